package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestInspectISO: inspect --iso passes an image with the ISO it was built
// from (a 5.x+ BOOT.CFG differs only by the builder's own edit: no
// warning), and fails an image of other media, saying why.
func TestInspectISO(t *testing.T) {
	iso4, tar4 := inputs(t, tarball.Spec{})
	iso7, tar7 := inputs7(t)
	dir := t.TempDir()
	img4, img7 := filepath.Join(dir, "esx41.img"), filepath.Join(dir, "esx70.img")
	for _, b := range [][]string{{iso4, tar4, img4}, {iso7, tar7, img7}} {
		if _, stderr, err := runCLI("build", "--iso", b[0], "--syslinux", b[1], "--ks", "http://d/ks.cfg", "-o", b[2]); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
	}
	for _, tt := range []struct {
		img, iso string
		code     int
		want     []string
		not      []string
	}{
		{img4, iso4, 0, []string{"ISO: matches (esxi-4.1)"}, []string{"warning", "FAULT"}},
		{img7, iso7, 0, []string{"ISO: matches (esxi-7.0)", "2 host edits of BOOT.CFG"}, []string{"differs from the ISO's copy", "FAULT"}},
		{img4, iso7, 3, []string{"FAULT: LDLINUX.SYS is SYSLINUX 3.70, but the ISO's media (esxi-7.0) need syslinux 3.86",
			"are not on the image (/B.B00", "ISO: does NOT match"}, nil},
		{img7, iso4, 3, []string{"need syslinux 3.70", "/VMKBOOT.GZ", "ISO: does NOT match"}, nil},
	} {
		t.Run(filepath.Base(tt.img)+" vs "+filepath.Base(tt.iso), func(t *testing.T) {
			stdout, _, err := runCLI("inspect", "--iso", tt.iso, tt.img)
			if exitCode(err) != tt.code {
				t.Errorf("exit %d (%v), want %d", exitCode(err), err, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(stdout, w) {
					t.Errorf("output has %q:\n%s", w, stdout)
				}
			}
		})
	}
}
