package syslinux

import (
	"encoding/binary"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// Options are the syslinux installer switches that change the boot sector.
type Options struct {
	Stupid bool // -s: "safe, slow and stupid", MaxTransfer = 1 sector per BIOS read
	RAID   bool // -r: on boot failure, int 18h (next boot device) instead of int 16h (wait for a key)
}

// PatchArea is the ldlinux.sys patch area at M (see the pa* offsets).
type PatchArea struct {
	Magic      uint32     // M+0: LDLINUX_MAGIC
	Stamp      uint32     // M+4: LDLINUX_MAGIC ^ HEXDATE
	LDLDwords  uint16     // M+8: dwords covered by the checksum, len(sys) >> 2
	LDLSectors uint16     // M+10: sectors after the first, ceil(len/512) - 1
	CheckSum   uint32     // M+12: Magic minus the sum of the other covered dwords
	SectorPtrs [64]uint32 // M+16: fs-relative sectors of file sectors 1..n-1, zero after
}

// ReadPatchArea finds the patch area of ldlinux.sys (pristine or patched)
// and returns it with its offset M.
func ReadPatchArea(sys []byte) (PatchArea, int, error) {
	m, err := findMagic(sys)
	if err != nil {
		return PatchArea{}, 0, err
	}
	le := binary.LittleEndian
	pa := PatchArea{
		Magic:      le.Uint32(sys[m+paMagic:]),
		Stamp:      le.Uint32(sys[m+paStamp:]),
		LDLDwords:  le.Uint16(sys[m+paDwords:]),
		LDLSectors: le.Uint16(sys[m+paSectors:]),
		CheckSum:   le.Uint32(sys[m+paCheckSum:]),
	}
	for i := range pa.SectorPtrs {
		pa.SectorPtrs[i] = le.Uint32(sys[m+paSectorPtrs+4*i:])
	}
	return pa, m, nil
}

// Install does what the 3.x installer does to the two files, as bytes.
//
// fsBoot is the filesystem's own sector 0 (BPB and 55 AA in place); sectors
// holds the filesystem-relative sector of each 512-byte sector of ldlinux.sys
// as stored in the filesystem. The returned boot sector is fsBoot with bytes
// 0x000-0x002 and 0x05A-0x1FD taken from the patched bss (FirstSector,
// MaxTransfer, the -r patch); the returned copy of sys carries LDLDwords,
// LDLSectors, SectorPtrs and CheckSum. Only its first sector differs from sys.
// Neither bss nor sys is modified.
func Install(bss, sys []byte, fsBoot [512]byte, sectors []uint32, opt Options) (boot [512]byte, patched []byte, err error) {
	ld, err := ParseLoader(bss, sys)
	if err != nil {
		return boot, nil, err
	}
	if len(sectors) != ld.Sectors {
		return boot, nil, fmt.Errorf("ldlinux.sys: %s bytes take %d sectors, but the sector list has %d: %w",
			human.Commas(int64(len(sys))), ld.Sectors, len(sectors), ErrBadSectors)
	}
	for i, s := range sectors {
		if s == 0 {
			return boot, nil, fmt.Errorf("ldlinux.sys: sector %d is at filesystem sector 0, the boot sector: %w", i, ErrBadSectors)
		}
	}
	if fsBoot[bssSignature] != 0x55 || fsBoot[bssSignature+1] != 0xAA {
		return boot, nil, fmt.Errorf("filesystem boot sector: no 55 AA signature at 0x1FE: %w", ErrBadBootSect)
	}
	if bps := binary.LittleEndian.Uint16(fsBoot[0x0B:]); bps != SectorSize {
		return boot, nil, fmt.Errorf("filesystem boot sector: %d bytes per sector, syslinux 3.x needs 512: %w", bps, ErrBadBootSect)
	}

	le := binary.LittleEndian
	var pb [512]byte // patched copy of ldlinux.bss
	copy(pb[:], bss)
	if opt.Stupid {
		le.PutUint16(pb[bssMaxTransfer:], 1)
	}
	if opt.RAID {
		p, err := raidOffset(bss)
		if err != nil {
			return boot, nil, err
		}
		pb[p+1] = 0x18 // CD 16 -> CD 18
	}
	le.PutUint32(pb[bssFirstSector:], sectors[0])
	pb[bssSignature], pb[bssSignature+1] = 0x55, 0xAA

	boot = fsBoot
	copy(boot[bssJump:bssOEM], pb[bssJump:bssOEM])
	copy(boot[bssCode:bssSignature], pb[bssCode:bssSignature])

	patched = make([]byte, len(sys))
	copy(patched, sys)
	m := ld.MagicOffset
	dwords := len(sys) >> 2
	le.PutUint16(patched[m+paDwords:], uint16(dwords))
	le.PutUint16(patched[m+paSectors:], uint16(ld.Sectors-1))
	for i := range 64 {
		var v uint32
		if i+1 < len(sectors) {
			v = sectors[i+1]
		}
		le.PutUint32(patched[m+paSectorPtrs+4*i:], v)
	}
	le.PutUint32(patched[m+paCheckSum:], 0)
	var sum uint32
	for i := range dwords {
		sum += le.Uint32(patched[4*i:])
	}
	le.PutUint32(patched[m+paCheckSum:], Magic-sum)
	return boot, patched, nil
}
