package builder_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/bmap"
	"github.com/esxi-autopart/esxi-autopart/builder/fat"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestBmapOntoUsedDisk: `bmaptool copy` of an image and its bmap onto a
// loop device full of 0xA5 (a used disk) gives a partition fsck.fat finds
// clean, for FAT16 and FAT32, because the bmap maps both FATs whole. The
// control, a bmap of only the bytes the image file holds (the FATs' free
// tails left out), gives FAT entries pointing out of range.
func TestBmapOntoUsedDisk(t *testing.T) {
	bmaptool := testutil.NeedTool(t, "bmaptool")
	testutil.Need(t, "fsck.fat")
	dir := t.TempDir()
	in := open70(t, dir)
	for _, tc := range []struct {
		name    string
		o       builder.Options
		mapped  func(*builder.Plan) []fat.Extent
		wantBad bool
	}{
		{"FAT32", builder.Options{KS: "http://d/ks", Size: 256 << 20}, (*builder.Plan).DiskMapped, false},
		{"FAT16", builder.Options{KS: "http://d/ks", Size: 256 << 20, FATType: 16}, (*builder.Plan).DiskMapped, false},
		{"FAT32 control: file extents only", builder.Options{KS: "http://d/ks", Size: 256 << 20}, (*builder.Plan).Mapped, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := in.Plan(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			img := filepath.Join(dir, "esx01.img")
			if _, err := p.WriteFile(context.Background(), img, builder.WriteOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			var bm bytes.Buffer
			err = bmap.Write(&bm, f, p.ImageBytes, tc.mapped(p))
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(img+".bmap", bm.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			disk := filepath.Join(dir, "disk")
			testutil.FillFile(t, disk, p.ImageBytes, 0xA5)
			dev := testutil.LoopDevice(t, disk, false)
			if out, err := exec.Command(bmaptool, "copy", "--bmap", img+".bmap", img, dev).CombinedOutput(); err != nil {
				t.Fatalf("bmaptool copy onto %s: %v\n%s", dev, err, out)
			}
			part := filepath.Join(dir, "part")
			copyRange(t, dev, part, int64(p.Partition.StartLBA)*512, int64(p.Partition.Sectors)*512)
			out, err := exec.Command("fsck.fat", "-n", part).CombinedOutput()
			bad := err != nil || strings.Contains(string(out), "out of range")
			if bad != tc.wantBad {
				t.Errorf("fsck.fat -n of partition 1 of %s after bmaptool copy: %v (want a fault: %v)\n%s", dev, err, tc.wantBad, firstLines(string(out), 8))
			}
		})
	}
}

// copyRange copies n bytes at off of src into a new file dst.
func copyRange(t *testing.T, src, dst string, off, n int64) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, io.NewSectionReader(in, off, n)); err != nil {
		t.Fatal(err)
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}
