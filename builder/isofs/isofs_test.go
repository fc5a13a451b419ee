package isofs_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil/testiso"
)

// open writes and opens the ISO fixture s (testutil.ISO).
func open(t *testing.T, s isogen.Spec) *isofs.Image {
	t.Helper()
	im, _ := testiso.Open(t, s)
	return im
}

func TestLookup(t *testing.T) {
	files := map[string][]byte{"EFI/BOOT/BOOTX64.EFI": []byte("efi"), "README": []byte("r")}
	for _, rr := range []bool{false, true} {
		im := open(t, isogen.Spec{RockRidge: rr, Files: files})
		for _, tc := range []struct {
			path string
			ok   bool
		}{
			{"/ISOLINUX.CFG", true},
			{"isolinux.cfg", true},
			{"IsoLinux.Cfg", true},
			{"/efi//boot/./bootx64.efi", true},
			{"EFI\\BOOT\\BOOTX64.EFI", true},
			{"readme", true}, // plain ISO9660 "README.;1": ";1" and "." stripped
			{"EFI", false},   // folders are not files
			{"EFI/BOOT", false},
			{"isolinux.cfg;1", false},
			{"nope.gz", false},
			{"", false},
		} {
			f, ok := im.Lookup(tc.path)
			if ok != tc.ok {
				t.Errorf("rr=%v Lookup(%q) = %v, %v; want ok=%v", rr, tc.path, f, ok, tc.ok)
			}
		}
		want := "isolinux.cfg"
		if !rr {
			want = "ISOLINUX.CFG"
		}
		if f, _ := im.Lookup("/Isolinux.CFG"); f.Path != want || f.Size != 298 {
			t.Errorf("rr=%v: %+v, want %s 298 bytes", rr, f, want)
		}
	}
}

func TestSectionOuterIsTheFile(t *testing.T) {
	im := open(t, isogen.Spec{RockRidge: true})
	sr, err := im.Section("sys.vgz")
	if err != nil {
		t.Fatal(err)
	}
	outer, off, n := sr.Outer()
	if _, ok := outer.(*os.File); !ok {
		t.Fatalf("Outer() is %T, want *os.File (copy_file_range)", outer)
	}
	if off%2048 != 0 || n != sr.Size() {
		t.Errorf("off %d n %d", off, n)
	}
	if _, err := im.Section("nope"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "esxi.iso") {
		t.Errorf("Section(nope) = %v", err)
	}
}

func TestReadFile(t *testing.T) {
	im := open(t, isogen.Spec{RockRidge: true})
	b, err := im.ReadFile("/ISOLINUX.CFG", 4096)
	if err != nil || string(b) != isogen.Isolinux41 {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	if _, err := im.ReadFile("isolinux.cfg", 100); err == nil || !strings.Contains(err.Error(), "298 bytes, more than the 100 allowed") {
		t.Errorf("over max: %v", err)
	}
	if im.VolumeID() != "ESXi-4.1.0-260247" {
		t.Errorf("volume ID %q", im.VolumeID())
	}
}

func TestDepth(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("d/", n) + "f.txt" }
	for _, tc := range []struct {
		folders int
		err     string
	}{
		{isofs.MaxDepth, ""},
		{isofs.MaxDepth + 1, "nested deeper than 16"},
	} {
		p := filepath.Join(t.TempDir(), "deep.iso")
		if err := isogen.Write(p, isogen.Spec{RockRidge: true, Files: map[string][]byte{deep(tc.folders): []byte("x")}}); err != nil {
			t.Fatal(err)
		}
		im, err := isofs.Open(p)
		if tc.err == "" {
			if err != nil {
				t.Fatalf("%d folders: %v", tc.folders, err)
			}
			if _, ok := im.Lookup(deep(tc.folders)); !ok {
				t.Errorf("%d folders: file missing", tc.folders)
			}
			im.Close()
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "deep.iso") {
			t.Errorf("%d folders: err = %v, want %q", tc.folders, err, tc.err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.iso")
	os.WriteFile(short, make([]byte, 1000), 0o644)
	zeros := filepath.Join(dir, "zeros.iso")
	os.WriteFile(zeros, make([]byte, 40000), 0o644)
	for _, tc := range []struct{ path, want string }{
		{short, "short.iso: not an ISO9660 image: 1,000 bytes"},
		{zeros, "zeros.iso: not an ISO9660 image: no CD001"},
		{filepath.Join(dir, "missing.iso"), "no such file"},
		{dir, "not a regular file"},
	} {
		if _, err := isofs.Open(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s) = %v, want %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}
