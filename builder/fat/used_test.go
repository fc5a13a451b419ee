package fat

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestUsedExtents: read from a written volume, UsedExtents gives exactly
// the plan's DiskExtents (both FATs whole, folders, every file's clusters)
// for FAT16 and FAT32, all of a FAT12 volume, and refuses what is not a
// FAT volume with the reason.
func TestUsedExtents(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
	}{
		{"fat16", Spec{Files: esxiFiles(2048), HiddenSectors: 2048}},
		{"fat32", Spec{Files: esxiFiles(512), Type: 32, HiddenSectors: 2048}},
		{"fat32-big-clusters", Spec{Files: esxiFiles(4096), Type: 32, TotalSectors: 600_003}},
		{"fat32-long-folders", Spec{Files: append(many(40), longRoot(45)...), Type: 32}},
		{"fat12", Spec{Files: []File{{Path: "a.txt", Size: 1}}, Type: 12, TotalSectors: 4095}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im := buildImage(t, tc.spec, 0, true)
			f, err := os.Open(im.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			size := int64(im.plan.TotalSectors) * SectorSize
			got, err := UsedExtents(f, size)
			if err != nil {
				t.Fatal(err)
			}
			want := im.plan.DiskExtents()
			if im.plan.Type == 12 {
				want = []Extent{{0, size}}
			}
			if !slices.Equal(got, want) {
				t.Errorf("UsedExtents:\n %v\nplan's DiskExtents:\n %v", got, want)
			}
			var fs int64
			for _, e := range im.plan.Extents() {
				fs += e.Len
			}
			var n int64
			for _, e := range got {
				n += e.Len
			}
			if im.plan.Type != 12 && n-fs != int64(im.plan.NumFATs)*int64(im.plan.FATSectors)*SectorSize-2*im.plan.fatUsed() {
				t.Errorf("%d bytes used, the file's extents %d: the difference is not the FATs' free tails", n, fs)
			}
		})
	}
	for _, tc := range []struct {
		name string
		edit func(b []byte)
		want string
	}{
		{"no 55 AA", func(b []byte) { b[0x1FF] = 0 }, "does not end in 55 AA"},
		{"4096-byte sectors", func(b []byte) { b[0x0C] = 0x10 }, "4096 bytes per sector"},
		{"no FATs", func(b []byte) { b[0x10] = 0 }, "not a FAT volume"},
		{"bigger than given", func(b []byte) { b[0x23] = 0x7F }, "more than the"},
	} {
		im := buildImage(t, Spec{Files: esxiFiles(512), Type: 32}, 0, true)
		b, err := os.ReadFile(im.path)
		if err != nil {
			t.Fatal(err)
		}
		tc.edit(b)
		_, err = UsedExtents(bytesReaderAt(b), int64(len(b)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, os.ErrInvalid
	}
	return copy(p, b[off:]), nil
}
