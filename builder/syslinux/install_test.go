package syslinux_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
)

// The tiny loader below is built by hand here, not by fixtures/tarball, so
// that the patch is checked against values worked out outside the code
// under test. Expected checksums were computed separately (Python, summing
// the hand-patched file as little-endian dwords).
const (
	tinyStamp = 0x11223344
	tinyLen   = 1636 // 3 sectors + 100 bytes: 4 sectors, 409 dwords
	tinyRAID  = 0x1D6
)

// tinySys: banner, zero padding to 0x20, magic, stamp, zeros, "TAIL" in the
// last dword.
func tinySys(extra ...byte) []byte {
	b := make([]byte, tinyLen)
	copy(b, "\r\nSYSLINUX 3.70 2008-06-30 \x00\r\n\x1a")
	copy(b[0x20:], []byte{0xFE, 0x02, 0xB2, 0x3E}) // LDLINUX_MAGIC
	copy(b[0x24:], []byte{0x44, 0x33, 0x22, 0x11}) // stamp
	copy(b[tinyLen-4:], "TAIL")
	return append(b, extra...)
}

// tinyBss: a pristine-shaped template with the stamp at 0x70 and CD 16 at 0x1D6.
func tinyBss() []byte {
	b := make([]byte, 512)
	copy(b, []byte{0xEB, 0x58, 0x90})
	copy(b[3:], "SYSLINUX")
	for i := 0x5A; i < 0x1F8; i++ {
		b[i] = 0x90
	}
	copy(b[0x6C:], []byte{0x66, 0x81, 0x3E, 0x24, 0x7E, 0x44, 0x33, 0x22, 0x11}) // cmp dword [7E24h], 11223344h
	copy(b[tinyRAID:], []byte{0xCD, 0x16})
	copy(b[0x1F8:], []byte{0xEF, 0xBE, 0xAD, 0xDE, 0x7F, 0x00, 0xD6, 0x01})
	return b
}

// fsBoot: a filesystem boot sector with a recognisable BPB and code area.
func fsBoot() [512]byte {
	var b [512]byte
	copy(b[:], []byte{0xEB, 0x3C, 0x90})
	copy(b[3:], "mkfs.fat")
	b[0x0B], b[0x0C] = 0x00, 0x02 // 512 bytes per sector
	for i := 0x0D; i < 0x5A; i++ {
		b[i] = byte(i)
	}
	for i := 0x5A; i < 0x1FE; i++ {
		b[i] = 0xF4
	}
	b[0x1FE], b[0x1FF] = 0x55, 0xAA
	return b
}

// dwordSum adds up the first n little-endian dwords, written out by hand.
func dwordSum(b []byte, n int) uint32 {
	var s uint32
	for i := 0; i < n; i++ {
		s += uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
	}
	return s
}

func TestInstallTiny(t *testing.T) {
	sectors := []uint32{0x100, 0x101, 0x200, 0x7FFFFFFF}
	wantArea := []byte{
		0x99, 0x01, // LDLDwords = 1636>>2 = 409
		0x03, 0x00, // LDLSectors = 4-1
		0x4D, 0x06, 0x04, 0xC2, // CheckSum = 0xC204064D
		0x01, 0x01, 0x00, 0x00, // SectorPtrs[0] = 0x101
		0x00, 0x02, 0x00, 0x00, // SectorPtrs[1] = 0x200
		0xFF, 0xFF, 0xFF, 0x7F, // SectorPtrs[2] = 0x7FFFFFFF
	}
	tests := []struct {
		name     string
		sys      []byte
		opt      syslinux.Options
		maxXfer  []byte
		raidByte byte
	}{
		{"plain", tinySys(), syslinux.Options{}, []byte{0x7F, 0x00}, 0x16},
		{"stupid", tinySys(), syslinux.Options{Stupid: true}, []byte{0x01, 0x00}, 0x16},
		{"raid", tinySys(), syslinux.Options{RAID: true}, []byte{0x7F, 0x00}, 0x18},
		{"stupid+raid", tinySys(), syslinux.Options{Stupid: true, RAID: true}, []byte{0x01, 0x00}, 0x18},
		// Two bytes past the last whole dword: same dword count, same checksum.
		{"odd length", tinySys('Z', 'Z'), syslinux.Options{}, []byte{0x7F, 0x00}, 0x16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bss, sys, fs := tinyBss(), tc.sys, fsBoot()
			bssCopy, sysCopy, fsCopy := bytes.Clone(bss), bytes.Clone(sys), fs
			boot, patched, err := syslinux.Install(bss, sys, fs, sectors, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bss, bssCopy) || !bytes.Equal(sys, sysCopy) || fs != fsCopy {
				t.Fatal("Install modified an input")
			}
			// Boot sector: jump from bss, OEM+BPB from the filesystem, code from bss.
			if !bytes.Equal(boot[:3], []byte{0xEB, 0x58, 0x90}) {
				t.Errorf("jump % X", boot[:3])
			}
			if !bytes.Equal(boot[3:0x5A], fs[3:0x5A]) {
				t.Errorf("OEM/BPB not kept: % X", boot[3:0x5A])
			}
			wantCode := bytes.Clone(bss[0x5A:0x1F8])
			wantCode[tinyRAID-0x5A+1] = tc.raidByte
			if !bytes.Equal(boot[0x5A:0x1F8], wantCode) {
				t.Errorf("boot code differs from bss")
			}
			if got := boot[tinyRAID : tinyRAID+2]; !bytes.Equal(got, []byte{0xCD, tc.raidByte}) {
				t.Errorf("int at 0x1D6: % X", got)
			}
			if got := boot[0x1F8:0x1FC]; !bytes.Equal(got, []byte{0x00, 0x01, 0x00, 0x00}) {
				t.Errorf("FirstSector % X", got)
			}
			if got := boot[0x1FC:0x1FE]; !bytes.Equal(got, tc.maxXfer) {
				t.Errorf("MaxTransfer % X, want % X", got, tc.maxXfer)
			}
			if boot[0x1FE] != 0x55 || boot[0x1FF] != 0xAA {
				t.Errorf("signature % X", boot[0x1FE:])
			}
			// ldlinux.sys: the patch area and nothing else.
			if got := patched[0x28 : 0x28+len(wantArea)]; !bytes.Equal(got, wantArea) {
				t.Errorf("patch area\n got % X\nwant % X", got, wantArea)
			}
			for i := 0x28 + len(wantArea); i < 0x28+8+256; i++ {
				if patched[i] != 0 {
					t.Fatalf("byte %#x after the pointers = %#x, want 0", i, patched[i])
				}
			}
			if !bytes.Equal(patched[:0x28], sys[:0x28]) || !bytes.Equal(patched[0x130:], sys[0x130:]) {
				t.Error("bytes outside the patch area changed")
			}
			if s := dwordSum(patched, 409); s != 0x3EB202FE {
				t.Errorf("dword sum %#x, want the magic", s)
			}
			pa, m, err := syslinux.ReadPatchArea(patched)
			if err != nil || m != 0x20 || pa.Magic != 0x3EB202FE || pa.Stamp != tinyStamp ||
				pa.LDLDwords != 409 || pa.LDLSectors != 3 || pa.CheckSum != 0xC204064D ||
				pa.SectorPtrs[0] != 0x101 || pa.SectorPtrs[2] != 0x7FFFFFFF || pa.SectorPtrs[3] != 0 {
				t.Errorf("ReadPatchArea = %+v, %#x, %v", pa, m, err)
			}
		})
	}
}

// A patched file, patched again with fewer sectors, must not keep stale pointers.
func TestInstallRepatchZeroesPointers(t *testing.T) {
	_, p1, err := syslinux.Install(tinyBss(), tinySys(), fsBoot(), []uint32{5, 6, 7, 8}, syslinux.Options{})
	if err != nil {
		t.Fatal(err)
	}
	short := bytes.Clone(p1[:1024]) // 2 sectors, pointers 6,7,8 left from the first patch
	_, p2, err := syslinux.Install(tinyBss(), short, fsBoot(), []uint32{20, 21}, syslinux.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pa, _, _ := syslinux.ReadPatchArea(p2)
	if pa.SectorPtrs[0] != 21 || pa.SectorPtrs[1] != 0 || pa.SectorPtrs[2] != 0 || pa.LDLSectors != 1 || pa.LDLDwords != 256 {
		t.Errorf("%+v", pa)
	}
	if s := dwordSum(p2, 256); s != 0x3EB202FE {
		t.Errorf("sum %#x", s)
	}
}

func TestInstallErrors(t *testing.T) {
	noSig := fsBoot()
	noSig[0x1FF] = 0
	bps4k := fsBoot()
	bps4k[0x0C] = 0x10
	badRAID := tinyBss()
	badRAID[0x1FE] = 0x80 // points at 0x180, a NOP
	tests := []struct {
		name    string
		bss     []byte
		sys     []byte
		fs      [512]byte
		sectors []uint32
		opt     syslinux.Options
		want    error
	}{
		{"too few sectors", tinyBss(), tinySys(), fsBoot(), []uint32{1, 2, 3}, syslinux.Options{}, syslinux.ErrBadSectors},
		{"too many sectors", tinyBss(), tinySys(), fsBoot(), []uint32{1, 2, 3, 4, 5}, syslinux.Options{}, syslinux.ErrBadSectors},
		{"sector zero", tinyBss(), tinySys(), fsBoot(), []uint32{1, 0, 3, 4}, syslinux.Options{}, syslinux.ErrBadSectors},
		{"no 55 AA", tinyBss(), tinySys(), noSig, []uint32{1, 2, 3, 4}, syslinux.Options{}, syslinux.ErrBadBootSect},
		{"4K sectors", tinyBss(), tinySys(), bps4k, []uint32{1, 2, 3, 4}, syslinux.Options{}, syslinux.ErrBadBootSect},
		{"raid pointer", badRAID, tinySys(), fsBoot(), []uint32{1, 2, 3, 4}, syslinux.Options{RAID: true}, syslinux.ErrBadLoader},
		{"66 sectors", tinyBss(), append(tinySys(), make([]byte, 65*512-tinyLen+1)...), fsBoot(), make([]uint32, 66), syslinux.Options{}, syslinux.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p, err := syslinux.Install(tc.bss, tc.sys, tc.fs, tc.sectors, tc.opt)
			if !errors.Is(err, tc.want) || p != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// 65 sectors is the most 3.x can load: every pointer slot is used.
func TestInstall65Sectors(t *testing.T) {
	sys := append(tinySys(), make([]byte, 65*512-tinyLen)...)
	sectors := make([]uint32, 65)
	for i := range sectors {
		sectors[i] = uint32(1000 + 3*i)
	}
	_, p, err := syslinux.Install(tinyBss(), sys, fsBoot(), sectors, syslinux.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pa, _, _ := syslinux.ReadPatchArea(p)
	if pa.LDLSectors != 64 || pa.SectorPtrs[63] != 1000+3*64 || pa.LDLDwords != 65*128 {
		t.Errorf("%+v", pa)
	}
	if s := dwordSum(p, 65*128); s != 0x3EB202FE {
		t.Errorf("sum %#x", s)
	}
}
