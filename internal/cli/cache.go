package cli

import (
	"context"
	"errors"
	"fmt"
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
// it is a usage error (exit 2). Opening hashes and inflates the tarball and
// walks the ISO, each of which stops between reads once ctx ends
// (builder.OpenCachedContext); a read that blocks (a hung network file
// system) is not waited for: openInputs returns ctx's error at once and
// closes what opened later.
func openInputs(ctx context.Context, iso, tarball string) (*builder.Inputs, error) {
	type opened struct {
		in  *builder.Inputs
		err error
	}
	c := make(chan opened, 1)
	go func() {
		in, err := builder.OpenCachedContext(ctx, iso, tarball, cache("tarballs"))
		c <- opened{in, err}
	}()
	select {
	case o := <-c:
		if errors.Is(o.err, builder.ErrNeedSyslinux) {
			return nil, &exitError{code: 2, err: o.err}
		}
		return o.in, o.err
	case <-ctx.Done():
		go func() { // close what opened meanwhile
			if o := <-c; o.in != nil {
				o.in.Close()
			}
		}()
		return nil, fmt.Errorf("reading %s and %s: %w", iso, tarball, ctx.Err())
	}
}

// zeroRuns is the memo of hashed zero runs (a big partition's free space).
func zeroRuns() *zerorun.Memo { return zerorun.New(cache("zeros")) }
