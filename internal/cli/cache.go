package cli

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
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

// cacheKeyFile is the key that signs the caches' entries (cachestore):
// esxi-autopart/cache.key in the user's state folder ($XDG_STATE_HOME or
// ~/.local/state), never in a cache folder, so that a cache restored from
// elsewhere (a CI cache) or written by someone else is not taken on
// trust. "" (no cache) when there is no such folder.
func cacheKeyFile() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "esxi-autopart", "cache.key")
}

// cache is the cache folder of a kind, with the key (nil for none).
func cache(kind string) *cachestore.Folder {
	return cachestore.Open(cacheDir(kind), cacheKeyFile())
}

// openInputs opens the ISO and the tarball, through the tarball cache.
// Without a tarball for media that need one (all but UEFI-only media),
// it is a usage error (exit 2).
func openInputs(iso, tarball string) (*builder.Inputs, error) {
	in, err := builder.OpenCached(iso, tarball, cache("tarballs"))
	if errors.Is(err, builder.ErrNeedSyslinux) {
		return nil, &exitError{code: 2, err: err}
	}
	return in, err
}

// zeroRuns is the memo of hashed zero runs (a big partition's free space).
func zeroRuns() *zerorun.Memo { return zerorun.New(cache("zeros")) }
