package batch

import (
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/inventory"
)

// A manifest on disk (an earlier run's, a shard's) says which files are
// the tool's: the stale-file check removes them, a merge lists them in
// SHA256SUMS. Anyone can edit it, so its names are used only when they are
// exactly the names a run gives a host's outputs: <id>.img (with the
// compression's extension) or <id>.iso (an install CD), <id>.img.bmap,
// <id>.cfg, for an id an
// inventory accepts. Any other name ("../x", "notes.txt", a name with a
// newline) is not ours.

// hostNames are the names a run gives host id's outputs.
func hostNames(id, compression string) (image, bmap, ks string) {
	return id + ".img" + compress.Kind(compression).Ext(), id + ".img.bmap", id + ".cfg"
}

// checkNames refuses a manifest entry whose file names are not the ones a
// run gives host h.ID.
func (h *ManifestHost) checkNames() error {
	if err := inventory.CheckID(h.ID); err != nil {
		return err
	}
	switch compress.Kind(h.Compression) {
	case compress.None, compress.Zstd, compress.XZ, compress.Gzip:
	default:
		return fmt.Errorf("host %s: compression %q is not zstd, xz or gzip", h.ID, h.Compression)
	}
	image, bmap, ks := hostNames(h.ID, h.Compression)
	if h.Image == h.ID+".iso" && h.Compression == "" && h.Bmap == "" { // an install CD (--format iso)
		image = h.Image
	}
	for _, c := range []struct{ what, got, want string }{{"image", h.Image, image}, {"bmap", h.Bmap, bmap}, {"kickstart", h.Kickstart, ks}} {
		if c.got != "" && c.got != c.want {
			return fmt.Errorf("host %s: %s %q is not %s, the name a run gives it", h.ID, c.what, c.got, c.want)
		}
	}
	return nil
}
