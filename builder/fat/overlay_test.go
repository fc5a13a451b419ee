package fat

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// overlayFiles is a volume with folders, a big shared file and small files
// whose bytes depend on a host.
func overlayFiles(host string) ([]File, map[string]io.ReaderAt) {
	small := map[string][]byte{
		"syslinux.cfg":         []byte("default esxi\nappend ks=http://deploy/" + host + ".cfg\n"),
		"EFI/BOOT/BOOT.CFG":    []byte("kernelopt=ks=http://deploy/" + host + ".cfg\n"),
		"upgrade/metadata.zip": fileData("meta", 3000),
	}
	files := []File{
		{Path: "LDLINUX.SYS", Size: 14_900, Attr: ReadOnly | Hidden | System},
		{Path: "syslinux.cfg", Size: int64(len(small["syslinux.cfg"]))},
		{Path: "EFI/BOOT/BOOT.CFG", Size: int64(len(small["EFI/BOOT/BOOT.CFG"]))},
		{Path: "upgrade/metadata.zip", Size: 3000},
		{Path: "big.bin", Size: 3<<20 + 7},
	}
	content := map[string]io.ReaderAt{
		"LDLINUX.SYS": bytes.NewReader(fileData(host, 14_900)),
		"big.bin":     bytes.NewReader(fileData("big", 3<<20+7)),
	}
	for k, v := range small {
		content[k] = bytes.NewReader(v)
	}
	return files, content
}

// TestOverlay: a volume written from one plan, with q.WriteMeta and
// q.WriteFiles of the files that differ, has exactly the bytes of q's
// volume written in full.
func TestOverlay(t *testing.T) {
	for _, typ := range []int{12, 16, 32} {
		t.Run(map[int]string{12: "fat12", 16: "fat16", 32: "fat32"}[typ], func(t *testing.T) {
			pf, pc := overlayFiles("esx01")
			qf, qc := overlayFiles("esx002")
			spec := func(files []File, id uint32, mod time.Time) Spec {
				s := Spec{Files: files, Type: typ, HiddenSectors: 2048, VolumeID: id, Label: "ESXI", ModTime: mod}
				if typ == 12 {
					s.TotalSectors = 8001
				}
				return s
			}
			p, err := NewPlan(spec(pf, 1, testTime))
			if err != nil {
				t.Fatal(err)
			}
			q, err := NewPlan(spec(qf, 2, testTime.Add(time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			rewrite := func(path string) bool { return path != "big.bin" }
			if err := p.SameLayout(q, rewrite); err != nil {
				t.Fatal(err)
			}
			if err := p.SameLayout(q, func(path string) bool { return path == "big.bin" }); err == nil {
				t.Error("SameLayout accepts files of other sizes that are not rewritten")
			}
			dir := t.TempDir()
			size := int64(2048*SectorSize) + int64(p.TotalSectors)*SectorSize
			write := func(name string, pl *Plan, c map[string]io.ReaderAt) string {
				path := filepath.Join(dir, name)
				f, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				f.Truncate(size)
				if err := pl.Write(context.Background(), f, 2048*SectorSize, pl.BootSector(), c, WriteOptions{}); err != nil {
					t.Fatal(err)
				}
				return path
			}
			full := write("full", q, qc)
			over := write("over", p, pc)
			f, err := os.OpenFile(over, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := q.WriteMeta(ctx, f, 2048*SectorSize, q.BootSector()); err != nil {
				t.Fatal(err)
			}
			if err := q.WriteFiles(ctx, f, 2048*SectorSize, qc, "LDLINUX.SYS", "syslinux.cfg", "EFI/BOOT/BOOT.CFG", "upgrade/metadata.zip"); err != nil {
				t.Fatal(err)
			}
			f.Close()
			a, _ := os.ReadFile(full)
			b, _ := os.ReadFile(over)
			if !bytes.Equal(a, b) {
				for i := range a {
					if a[i] != b[i] {
						t.Fatalf("overlaid volume differs from the full write at byte %d", i)
					}
				}
			}
			if q.MetaBytes() <= int64(q.FirstDataSector)*SectorSize {
				t.Errorf("MetaBytes %d does not cover the folders", q.MetaBytes())
			}
		})
	}
}

func TestSameLayoutRefuses(t *testing.T) {
	pf, _ := overlayFiles("esx01")
	p, _ := NewPlan(Spec{Files: pf, ModTime: testTime})
	long := append([]File(nil), pf...)
	long[1].Size = 5000 // syslinux.cfg takes more clusters
	moved := append([]File(nil), pf...)
	moved[0], moved[1] = moved[1], moved[0]
	tests := []struct {
		name string
		s    Spec
		want string
	}{
		{"fat32", Spec{Files: pf, Type: 32, ModTime: testTime}, "geometry differs"},
		{"size", Spec{Files: pf, TotalSectors: p.TotalSectors + 63, ModTime: testTime}, "geometry differs"},
		{"clusters", Spec{Files: long, ModTime: testTime}, "syslinux.cfg: clusters"},
		{"order", Spec{Files: moved, ModTime: testTime}, "file 1 is LDLINUX.SYS vs syslinux.cfg"},
		{"fewer files", Spec{Files: pf[:4], ModTime: testTime}, "5 files vs 3 and 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := NewPlan(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			err = p.SameLayout(q, func(string) bool { return true })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SameLayout = %v, want %q", err, tt.want)
			}
		})
	}
}
