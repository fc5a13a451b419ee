package batch

import (
	"strings"
	"testing"
)

// FuzzCheckNames: whatever a manifest on disk says, a name checkNames lets
// through is a plain file name of the out-dir (no folder, not hidden, no
// line break for SHA256SUMS) and the one a run gives that host.
func FuzzCheckNames(f *testing.F) {
	f.Add("esx01", "esx01.img", "esx01.img.bmap", "esx01.cfg", "")
	f.Add("esx01", "esx01.img.zst", "", "", "zstd")
	f.Add("esx01", "../../etc/passwd", "", "", "")
	f.Add("esx01", "esx01.img\n0000  /etc/shadow", "", "", "")
	f.Add("..", "...img", "", "", "")
	f.Add("esx01", "esx01.img", "notes.txt", "", "")
	f.Add("a/b", "a/b.img", "", "", "")
	f.Fuzz(func(t *testing.T, id, image, bmap, ks, compression string) {
		h := ManifestHost{ID: id, Image: image, Bmap: bmap, Kickstart: ks, Compression: compression}
		if h.checkNames() != nil {
			return
		}
		for _, n := range []string{image, bmap, ks} {
			if n == "" {
				continue
			}
			if !plainName(n) || strings.ContainsAny(n, "/\\\n\r\x00") || !strings.HasPrefix(n, id+".") {
				t.Fatalf("accepted %q for host %q", n, id)
			}
		}
	})
}
