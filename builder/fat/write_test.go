package fat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
)

// esxiFiles is an ESXi-4.1-shaped file set, with sizes that hit the edges.
func esxiFiles(cluster int64) []File {
	return []File{
		{Path: "LDLINUX.SYS", Size: 14_900, Attr: ReadOnly | Hidden | System},
		{Path: "mboot.c32", Size: 50_000, Attr: Archive},
		{Path: "syslinux.cfg", Size: 1, Attr: Archive},
		{Path: "empty.txt", Size: 0},
		{Path: "exact.bin", Size: cluster},
		{Path: "exact2.bin", Size: 2*cluster + 1},
		{Path: "vmkernel.gz", Size: 20_000_003},
		{Path: "A Long File Name With Spaces.tgz", Size: 1234},
		{Path: "cim.vgz", Size: 3000},
		{Path: "EFI/BOOT/BOOTX64.EFI", Size: 70_000},
		{Path: "EFI/BOOT/bootia32.efi.signed", Size: 513},
		{Path: "EFI/VMware/crypto64.efi", Size: 2048, Attr: ReadOnly},
		{Path: "upgrade/metadata.zip", Size: 4096},
		{Path: "upgrade/very_long_name_number_1.xml", Size: 10},
		{Path: "upgrade/very_long_name_number_2.xml", Size: 0},
	}
}

func TestWriteOracles(t *testing.T) {
	tests := []struct {
		name     string
		spec     Spec
		base     int64
		buffered bool
		typ      int
	}{
		{"fat16-auto", Spec{Files: esxiFiles(2048), Label: "ESXI", ModTime: testTime}, 0, false, 16},
		{"fat16-offset", Spec{Files: esxiFiles(2048), HiddenSectors: 2048, ModTime: testTime}, 2048 * SectorSize, false, 16},
		{"fat16-buffered", Spec{Files: esxiFiles(2048), HiddenSectors: 2048}, 2048 * SectorSize, true, 16},
		{"fat32-offset", Spec{Files: esxiFiles(512), Type: 32, HiddenSectors: 2048, Label: "AUTOPART", ModTime: testTime}, 2048 * SectorSize, false, 32},
		{"fat32-big-clusters", Spec{Files: esxiFiles(4096), Type: 32, TotalSectors: 600_003, ModTime: testTime}, 0, false, 32},
		{"fat12", Spec{Files: []File{
			{Path: "LDLINUX.SYS", Size: 14_900, Attr: ReadOnly | Hidden | System},
			{Path: "a.txt", Size: 1}, {Path: "e", Size: 0}, {Path: "x/Long Name.dat", Size: 100_000},
		}, Type: 12, TotalSectors: 4095, HiddenSectors: 63, Label: "FLOPPY"}, 63 * SectorSize, false, 12},
		{"empty", Spec{ModTime: testTime}, 0, false, 16},
		{"fat32-long-folders", Spec{Files: append(many(40), longRoot(45)...), Type: 32, Label: "MANY"}, 0, false, 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im := buildImage(t, tc.spec, tc.base, tc.buffered)
			if im.plan.Type != tc.typ {
				t.Fatalf("type FAT%d, want FAT%d", im.plan.Type, tc.typ)
			}
			if tc.name == "fat32-long-folders" && im.plan.RootClusters < 5 {
				t.Fatalf("root folder in %d clusters, want a longer chain", im.plan.RootClusters)
			}
			checkAll(t, im)
		})
	}
}

// longRoot is n long-named root files: 4 entries each, so the FAT32 root
// chain spans several 512-byte clusters.
func longRoot(n int) []File {
	var fs []File
	for i := 0; i < n; i++ {
		fs = append(fs, File{Path: fmt.Sprintf("root file with a long name %02d.txt", i), Size: int64(i)})
	}
	return fs
}

// TestCopyFallback: copy_file_range from tmpfs to another filesystem
// fails with EXDEV on current kernels; Write falls back to buffered copies.
func TestCopyFallback(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "fat-test-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	defer os.RemoveAll(shm)
	data := fileData("x", 3<<20+5)
	src := filepath.Join(shm, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(src)
	defer f.Close()
	p, err := NewPlan(Spec{Files: []File{{Path: "big.bin", Size: int64(len(data))}}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := os.Create(filepath.Join(t.TempDir(), "img"))
	defer out.Close()
	out.Truncate(int64(p.TotalSectors) * SectorSize)
	if err := p.Write(context.Background(), out, 0, p.BootSector(), map[string]io.ReaderAt{"big.bin": f}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = fileio.CopyRange(context.Background(), out, int64(p.TotalSectors)*SectorSize, f, 0, 1, CopyChunk, nil)
	t.Logf("copy_file_range /dev/shm -> %s: %v", filepath.Dir(out.Name()), err)
	im := &image{path: out.Name(), plan: p, data: map[string][]byte{"big.bin": data}}
	checkSectors(t, im)
	checkFsck(t, im)
}

func TestWriteDeterministic(t *testing.T) {
	s := Spec{Files: esxiFiles(2048), ModTime: testTime, Type: 32}
	a := buildImage(t, s, 0, false)
	b := buildImage(t, s, 0, true)
	ab, _ := os.ReadFile(a.path)
	bb, _ := os.ReadFile(b.path)
	if !bytes.Equal(ab, bb) {
		t.Fatal("same Spec, different bytes (copy_file_range vs buffered)")
	}
}

func TestWriteErrors(t *testing.T) {
	p, err := NewPlan(Spec{Files: []File{{Path: "a.bin", Size: 10_000}, {Path: "b.bin", Size: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	short, _ := os.Create(filepath.Join(dir, "short"))
	defer short.Close()
	short.Write(make([]byte, 9_000))
	badBoot := p.BootSector()
	badBoot[0x0D] = 64
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		boot    [SectorSize]byte
		content map[string]io.ReaderAt
		want    string
	}{
		{"missing", context.Background(), p.BootSector(), map[string]io.ReaderAt{"a.bin": bytes.NewReader(make([]byte, 10_000))}, "b.bin: no content"},
		{"short-buffered", context.Background(), p.BootSector(), map[string]io.ReaderAt{"a.bin": bytes.NewReader(make([]byte, 9_999)), "b.bin": bytes.NewReader(make([]byte, 5))}, "a.bin: content ends after 9,999 of 10,000 bytes"},
		{"short-file", context.Background(), p.BootSector(), map[string]io.ReaderAt{"a.bin": short, "b.bin": bytes.NewReader(make([]byte, 5))}, "a.bin: content ends after 9,000 of 10,000 bytes"},
		{"section-size", context.Background(), p.BootSector(), map[string]io.ReaderAt{"a.bin": io.NewSectionReader(short, 0, 9_000), "b.bin": bytes.NewReader(make([]byte, 5))}, "a.bin: content has 9,000 bytes, the plan 10,000"},
		{"bpb", context.Background(), badBoot, nil, "boot sector byte 0xd"},
		{"canceled", ctx, p.BootSector(), map[string]io.ReaderAt{"a.bin": bytes.NewReader(make([]byte, 10_000)), "b.bin": bytes.NewReader(make([]byte, 5))}, "context canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := os.Create(filepath.Join(dir, tc.name+".img"))
			defer out.Close()
			out.Truncate(int64(p.TotalSectors) * SectorSize)
			err := p.Write(tc.ctx, out, 0, tc.boot, tc.content, WriteOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.name == "canceled" && !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		})
	}
}
