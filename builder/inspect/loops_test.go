package inspect

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// Layout of tinyImage(t, false): sector 0 boot sector, sector 1 the FAT12,
// sector 2 the root folder (16 entries), cluster c at sector c+1. Clusters:
// LDLINUX.SYS 2-4, SYSLINUX.CFG 5, MBOOT.C32 6, A.GZ 7, B.GZ 8, KS.CFG 9,
// LONGNA~1.TXT 10, folder EFI 11, EFI/BOOTX64.EFI 12. Root slots: 0
// LDLINUX.SYS ... 5 KS.CFG, 6 the LFN slot, 7 LONGNA~1.TXT, 8 EFI.
const (
	tinyFAT  = 512
	tinyRoot = 1024
	tinyEFI  = (11 + 1) * 512 // folder EFI's cluster
)

// tinyEdit is a change to the tiny image.
type tinyEdit func(img []byte)

// link sets the FAT12 entry of cluster c to v.
func link(c, v uint32) tinyEdit {
	return func(img []byte) {
		fat := img[tinyFAT : tinyFAT+512]
		off := c * 3 / 2
		if c%2 == 0 {
			fat[off], fat[off+1] = byte(v), fat[off+1]&0xF0|byte(v>>8)&0x0F
		} else {
			fat[off], fat[off+1] = fat[off]&0x0F|byte(v<<4), byte(v>>4)
		}
	}
}

// dirent writes a directory entry at byte off.
func dirent(off int, name83 string, attr byte, first uint32, size uint32) tinyEdit {
	return func(img []byte) {
		e := img[off : off+32]
		copy(e, name83)
		e[11] = attr
		le.PutUint16(e[26:], uint16(first))
		le.PutUint32(e[28:], size)
	}
}

// TestLoopsAndLies: cluster chains with cycles, folders that point at
// themselves or at each other, and sizes far beyond the volume end in
// faults, promptly and without allocating in proportion to a size field.
func TestLoopsAndLies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []tinyEdit
		fault string // substring of some fault
	}{
		{"file chain back to its start", []tinyEdit{link(4, 2)}, "/LDLINUX.SYS"},
		{"file chain on itself", []tinyEdit{link(5, 5), dirent(tinyRoot+32, "SYSLINUXCFG", 0x20, 5, 1<<20)}, "/SYSLINUX.CFG"},
		{"folder chain on itself", []tinyEdit{link(11, 11)}, "(a loop)"},
		{"folder chain into a file", []tinyEdit{link(11, 2)}, "/EFI"},
		{"folder holds itself", []tinyEdit{dirent(tinyEFI+64, "SELF       ", attrDir, 11, 0)}, "already used by another folder (a loop)"},
		{"two folders share a cluster", []tinyEdit{dirent(tinyRoot+9*32, "EFI2       ", attrDir, 11, 0)}, "already used by another folder"},
		{"folder at the root's cluster 0", []tinyEdit{dirent(tinyEFI+64, "ROOT       ", attrDir, 0, 0)}, "/EFI/ROOT: folder cluster 0 is already used"},
		{"folder past the last cluster", []tinyEdit{dirent(tinyEFI+64, "FAR        ", attrDir, 4000, 0)}, "outside 2.."},
		{"4 GiB file in one cluster", []tinyEdit{dirent(tinyRoot+5*32, "KS      CFG", 0x20, 9, 0xFFFFFFFF)}, "/KS.CFG"},
		{"4 GiB loader", []tinyEdit{dirent(tinyRoot, "LDLINUX SYS", 0x27, 2, 0xFFFFFFFF)}, "LDLINUX.SYS"},
		{"every file cross-linked", func() []tinyEdit {
			var e []tinyEdit
			for i := 9; i < 16; i++ {
				e = append(e, dirent(tinyRoot+32*i, "X"+string(rune('A'+i))+"      BIN", 0x20, 2, 0xFFFFFFFF))
			}
			return append(e, link(4, 2))
		}(), "/XJ.BIN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := bytes.Clone(tinyImage(t, false))
			for _, e := range tc.edits {
				e(img)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err := Inspect(memImage(img), int64(len(img)), Options{})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if r.Bootable && strings.Contains(tc.fault, "LDLINUX") {
				t.Errorf("bootable:\n%s", r.Text())
			}
			if !has(r.Faults, tc.fault) {
				t.Errorf("want a fault with %q:\n%s", tc.fault, r.Text())
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
				t.Errorf("allocated %d MiB", d>>20)
			}
		})
	}
}
