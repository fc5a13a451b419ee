package isofs

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// A name with a backslash (which lookups take for a folder separator) is
// refused, whichever naming scheme carries it; ISO9660 names cannot hold
// one, so the plain image opens.
func TestBackslashNames(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rr, joliet bool
		err        string
	}{
		{"rock ridge", true, false, `bad file name "b\\c.txt"`},
		{"joliet", false, true, `bad file name "b\\c.txt"`},
		{"iso9660", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := image(t, isogen.Spec{RockRidge: tc.rr, Joliet: tc.joliet, Files: map[string][]byte{"a/b\\c.txt": []byte("x")}})
			im, err := read(bytes.NewReader(img), int64(len(img)), "bs.iso")
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range im.Files() {
					if _, err := im.Section(f.Path); err != nil {
						t.Errorf("%s: %v", f.Path, err)
					}
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

// Two files whose names differ only in case would be one file on FAT and
// to syslinux and mboot: the walk refuses the image, naming both. (Rock Ridge
// names "cima.vgz" and "cimb.vgz", the second patched to "CIMA.VGZ".)
func TestNamesDifferOnlyInCase(t *testing.T) {
	img := image(t, isogen.Spec{RockRidge: true, Files: map[string][]byte{"cima.vgz": []byte("a"), "cimb.vgz": []byte("b")}})
	if n := bytes.Count(img, []byte("cimb.vgz")); n != 1 {
		t.Fatalf("%d Rock Ridge names cimb.vgz in the image, want 1", n)
	}
	img = bytes.Replace(img, []byte("cimb.vgz"), []byte("CIMA.VGZ"), 1)
	_, err := read(bytes.NewReader(img), int64(len(img)), "case.iso")
	if err == nil || !strings.Contains(err.Error(), `case.iso: folder /: "cima.vgz" and "CIMA.VGZ" differ only in case`) {
		t.Fatalf("err = %v", err)
	}
}
