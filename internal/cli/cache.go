package cli

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/zerorun"
)

// cacheDir is a folder of the cache (kind: "tarballs" or "zeros") in
// $ESXI_AUTOPART_CACHE, or in esxi-autopart in the user's cache folder
// ($XDG_CACHE_HOME or ~/.cache). "" (no cache) when the variable is "off"
// or there is no such folder.
func cacheDir(kind string) string {
	switch v := os.Getenv("ESXI_AUTOPART_CACHE"); v {
	case "off", "0", "false":
		return ""
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(dir, "esxi-autopart", kind)
	default:
		return filepath.Join(v, kind)
	}
}

// openInputs opens the ISO and the tarball, through the tarball cache.
// Without a tarball for media that need one (all but UEFI-only media),
// it is a usage error (exit 2).
func openInputs(iso, tarball string) (*builder.Inputs, error) {
	in, err := builder.OpenCached(iso, tarball, cacheDir("tarballs"))
	if errors.Is(err, builder.ErrNeedSyslinux) {
		return nil, &exitError{code: 2, err: err}
	}
	return in, err
}

// zeroRuns is the memo of hashed zero runs (a big partition's free space).
func zeroRuns() *zerorun.Memo { return zerorun.New(cacheDir("zeros")) }
