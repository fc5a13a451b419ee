package fat

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"testing"
)

func TestBootSector(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		check map[int][]byte // offset -> expected bytes
	}{
		{"fat16-small", Spec{TotalSectors: 40_005, Type: 16, HiddenSectors: 2048, VolumeID: 0x12345678, Label: "esxi"}, map[int][]byte{
			0x00: {0xEB, 0x58, 0x90}, 0x03: []byte("MSWIN4.1"), 0x0B: {0, 2}, 0x0D: {4}, 0x10: {2}, 0x11: {0, 2},
			0x13: le16(40_005), 0x15: {0xF8}, 0x18: {63, 0, 255, 0}, 0x1C: le32(2048), 0x20: le32(0),
			0x24: {0x80, 0, 0x29}, 0x27: le32(0x12345678), 0x2B: []byte("ESXI       FAT16   "), 0x1FE: {0x55, 0xAA},
		}},
		{"fat16-large", Spec{TotalSectors: 131_103, Type: 16}, map[int][]byte{0x13: le16(0), 0x20: le32(131_103), 0x2B: []byte("NO NAME    FAT16   ")}},
		{"fat12", Spec{TotalSectors: 4095, Type: 12}, map[int][]byte{0x36: []byte("FAT12   ")}},
		{"fat32", Spec{TotalSectors: 600_003, Type: 32, HiddenSectors: 63, VolumeID: 0xCAFEF00D}, map[int][]byte{
			0x11: {0, 0, 0, 0}, 0x16: {0, 0}, 0x1C: le32(63), 0x20: le32(600_003), 0x24: le32(585),
			0x28: {0, 0, 0, 0}, 0x2C: le32(2), 0x30: {1, 0, 6, 0}, 0x40: {0x80, 0, 0x29}, 0x43: le32(0xCAFEF00D),
			0x47: []byte("NO NAME    FAT32   "), 0x5A: make([]byte, 0x1FE-0x5A), 0x1FE: {0x55, 0xAA},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			bs := p.BootSector()
			for off, want := range tc.check {
				if got := bs[off : off+len(want)]; !bytes.Equal(got, want) {
					t.Errorf("bytes at %#x = % x, want % x", off, got, want)
				}
			}
		})
	}
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// TestBootOverlay: boot code overlaid on 0-2 and 0x5A-0x1FD is written to
// sector 0 and, on FAT32, the backup at sector 6; FSInfo at 1 and 7.
func TestBootOverlay(t *testing.T) {
	for _, typ := range []int{16, 32} {
		p, err := NewPlan(Spec{Files: []File{{Path: "LDLINUX.SYS", Size: 9000, Attr: ReadOnly | Hidden | System}}, Type: typ, HiddenSectors: 2048})
		if err != nil {
			t.Fatal(err)
		}
		boot := p.BootSector()
		boot[0], boot[1], boot[2] = 0xEB, 0x3C, 0x90
		for i := 0x5A; i < 0x1FE; i++ {
			boot[i] = byte(i)
		}
		out, _ := os.Create(t.TempDir() + "/img")
		out.Truncate(int64(p.TotalSectors) * SectorSize)
		if err := p.Write(context.Background(), out, 0, boot, map[string]io.ReaderAt{"LDLINUX.SYS": bytes.NewReader(make([]byte, 9000))}, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, 8*SectorSize)
		out.ReadAt(raw, 0)
		out.Close()
		if !bytes.Equal(raw[:SectorSize], boot[:]) {
			t.Errorf("FAT%d: sector 0 is not the given boot sector", typ)
		}
		if typ == 32 {
			if !bytes.Equal(raw[6*SectorSize:7*SectorSize], boot[:]) {
				t.Error("FAT32: backup boot sector differs")
			}
			fsi := raw[SectorSize : 2*SectorSize]
			if !bytes.Equal(fsi, raw[7*SectorSize:]) || string(fsi[0:4]) != "RRaA" || string(fsi[0x1E4:0x1E8]) != "rrAa" ||
				binary.LittleEndian.Uint32(fsi[0x1E8:]) != p.FreeClusters || binary.LittleEndian.Uint32(fsi[0x1EC:]) != p.NextFree {
				t.Errorf("FAT32: FSInfo % x", fsi[0x1E0:])
			}
		}
		im := &image{path: out.Name(), plan: p, data: map[string][]byte{"LDLINUX.SYS": make([]byte, 9000)}}
		checkFsck(t, im)
	}
}
