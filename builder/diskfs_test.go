package builder

import (
	"crypto/sha256"
	"io"
	"os"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
)

// checkDiskfs reads every file back with go-diskfs's FAT reader (an
// implementation independent of ours): bytes equal to the source, and
// LDLINUX.SYS's disk range equal to the planned sector list.
func checkDiskfs(t *testing.T, fx fixture, p *Plan, img string) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := file.New(f, true)
	base := int64(0)
	if !p.PartitionOnly {
		base = int64(p.Partition.StartLBA) * 512
	}
	size := int64(p.FAT.TotalSectors) * 512
	var fsys interface {
		OpenFile(string, int) (filesystem.File, error)
	}
	if p.FAT.Type == 32 {
		fsys, err = fat32.Read(b, size, base, 512)
	} else {
		fsys, err = fat16.Read(b, size, base, 512)
	}
	if err != nil {
		t.Fatalf("go-diskfs FAT%d: %v", p.FAT.Type, err)
	}
	for _, pf := range p.Files {
		h, err := fsys.OpenFile("/"+pf.Dst, os.O_RDONLY)
		if err != nil {
			t.Errorf("go-diskfs open %s: %v", pf.Dst, err)
			continue
		}
		got := make([]byte, pf.Size)
		if n, err := h.Read(got); (err != nil && err != io.EOF) || int64(n) != pf.Size {
			t.Errorf("go-diskfs read %s: %d of %d bytes, %v", pf.Dst, n, pf.Size, err)
			continue
		}
		switch pf.Dst {
		case ConfigName:
			if string(got) != p.Config {
				t.Errorf("go-diskfs reads SYSLINUX.CFG %q, planned %q", got, p.Config)
			}
		case LoaderName:
			ff, ok := h.(*fat12.File)
			if !ok {
				t.Fatalf("go-diskfs file type %T", h)
			}
			ranges, err := ff.GetDiskRanges()
			if err != nil || len(ranges) != 1 || ranges[0].Offset != uint64(p.Loader.Sectors[0])*512 {
				t.Errorf("go-diskfs LDLINUX.SYS ranges %+v (%v), planned first sector %d", ranges, err, p.Loader.Sectors[0])
			}
		default:
			if sha256.Sum256(got) != sha256.Sum256(fx.file(pf.Src)) {
				t.Errorf("go-diskfs reads %s with a SHA-256 other than the ISO's %s", pf.Dst, pf.Src)
			}
		}
	}
}
