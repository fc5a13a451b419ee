package main

import (
	"os"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder"
)

// tarballCache is the folder of the tarball cache: $ESXI_AUTOPART_CACHE,
// "" when that is "off", else esxi-autopart/tarballs in the user's cache
// folder ($XDG_CACHE_HOME or ~/.cache). "" (no cache) when there is none.
func tarballCache() string {
	switch v := os.Getenv("ESXI_AUTOPART_CACHE"); v {
	case "off", "0", "false":
		return ""
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(dir, "esxi-autopart", "tarballs")
	default:
		return v
	}
}

// openInputs opens the ISO and the tarball, through the tarball cache.
func openInputs(iso, tarball string) (*builder.Inputs, error) {
	return builder.OpenCached(iso, tarball, tarballCache())
}
