// Package mbr builds and parses the disk's sector 0: boot code, disk
// signature and the four primary partition entries.
//
// It must not know FAT internals or what the boot code does.
package mbr

import (
	"encoding/binary"
	"fmt"
)

// Offsets inside sector 0.
const (
	BootCodeSize    = 440   // 0x000-0x1B7: boot code (mbr.bin)
	SignatureOffset = 0x1B8 // u32 disk signature
	TableOffset     = 0x1BE // four 16-byte partition entries
	BootSigOffset   = 0x1FE // 55 AA
)

// Heads and SectorsPerTrack are the BIOS geometry CHS fields are computed for.
const (
	Heads           = 255
	SectorsPerTrack = 63
)

// Partition types written and recognised.
const (
	TypeFAT12    = 0x01
	TypeFAT16    = 0x06 // FAT16, CHS
	TypeFAT32CHS = 0x0B
	TypeFAT32    = 0x0C // FAT32, LBA
	TypeFAT16LBA = 0x0E
	TypeEFI      = 0xEF
)

// StatusActive is the only status value that marks the bootable entry.
const StatusActive = 0x80

// PartitionEntry is one 16-byte entry of the partition table.
type PartitionEntry struct {
	Status   byte    // 0x00: 0x80 active, 0x00 inactive
	FirstCHS [3]byte // 0x01: CHS of the first sector
	Type     byte    // 0x04: partition type
	LastCHS  [3]byte // 0x05: CHS of the last sector
	StartLBA uint32  // 0x08: first sector
	Sectors  uint32  // 0x0C: number of sectors
}

// Sector is the whole 512-byte sector 0.
type Sector struct {
	BootCode      [BootCodeSize]byte // 0x000: boot code
	DiskSignature uint32             // 0x1B8: disk signature
	Reserved      [2]byte            // 0x1BC: zero
	Entries       [4]PartitionEntry  // 0x1BE: partition table
	// 0x1FE: 55 AA, always written
}

// CHS encodes an LBA for the 255/63 geometry; past its reach it gives FE FF FF.
func CHS(lba uint32) [3]byte {
	c := lba / (Heads * SectorsPerTrack)
	if c > 1023 {
		return [3]byte{0xFE, 0xFF, 0xFF}
	}
	h := (lba / SectorsPerTrack) % Heads
	s := lba%SectorsPerTrack + 1
	return [3]byte{byte(h), byte(s) | byte((c>>8)<<6), byte(c)}
}

// NewEntry returns an entry for sectors [start, start+n) with CHS fields filled.
func NewEntry(status, typ byte, start, n uint32) PartitionEntry {
	return PartitionEntry{
		Status: status, Type: typ, StartLBA: start, Sectors: n,
		FirstCHS: CHS(start), LastCHS: CHS(start + n - 1),
	}
}

// Bytes encodes the sector.
func (s *Sector) Bytes() [512]byte {
	var b [512]byte
	copy(b[:BootCodeSize], s.BootCode[:])
	binary.LittleEndian.PutUint32(b[SignatureOffset:], s.DiskSignature)
	copy(b[0x1BC:0x1BE], s.Reserved[:])
	for i, e := range s.Entries {
		o := TableOffset + 16*i
		b[o] = e.Status
		copy(b[o+1:o+4], e.FirstCHS[:])
		b[o+4] = e.Type
		copy(b[o+5:o+8], e.LastCHS[:])
		binary.LittleEndian.PutUint32(b[o+8:], e.StartLBA)
		binary.LittleEndian.PutUint32(b[o+12:], e.Sectors)
	}
	b[BootSigOffset], b[BootSigOffset+1] = 0x55, 0xAA
	return b
}

// Parse decodes a sector 0. It reports whether 55 AA is present.
func Parse(b [512]byte) (s Sector, bootSig bool) {
	copy(s.BootCode[:], b[:BootCodeSize])
	s.DiskSignature = binary.LittleEndian.Uint32(b[SignatureOffset:])
	copy(s.Reserved[:], b[0x1BC:0x1BE])
	for i := range s.Entries {
		o := TableOffset + 16*i
		e := &s.Entries[i]
		e.Status = b[o]
		copy(e.FirstCHS[:], b[o+1:o+4])
		e.Type = b[o+4]
		copy(e.LastCHS[:], b[o+5:o+8])
		e.StartLBA = binary.LittleEndian.Uint32(b[o+8:])
		e.Sectors = binary.LittleEndian.Uint32(b[o+12:])
	}
	return s, b[BootSigOffset] == 0x55 && b[BootSigOffset+1] == 0xAA
}

// SetBootCode lays code (at most 440 bytes, e.g. syslinux's mbr.bin) at offset 0.
func (s *Sector) SetBootCode(code []byte) error {
	if len(code) > BootCodeSize {
		return fmt.Errorf("mbr.bin: %d bytes, more than the %d bytes of boot code an MBR holds", len(code), BootCodeSize)
	}
	s.BootCode = [BootCodeSize]byte{}
	copy(s.BootCode[:], code)
	return nil
}
