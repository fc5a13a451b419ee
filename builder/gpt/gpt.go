// Package gpt encodes and decodes GUID partition tables as the UEFI
// specification (chapter 5, "GUID Partition Table Disk Layout") lays them
// out on a disk of 512-byte sectors: the protective MBR entry, the header at
// LBA 1 with the entry array from LBA 2, and the backup array and header at
// the end of the disk, each checked by CRC32. It knows nothing of FAT or
// boot loaders; builder/inspect and the disk writer read tables with it.
package gpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"unicode/utf16"

	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
)

// Sizes of the layout this package writes (and the usual one).
const (
	SectorSize        = 512
	HeaderSize        = 92  // bytes of the header the CRC covers
	EntrySize         = 128 // bytes per partition entry
	NumEntries        = 128 // entries in the array
	EntryArraySectors = NumEntries * EntrySize / SectorSize
	// TableSectors is what one copy of the table takes: header + array.
	TableSectors = 1 + EntryArraySectors
	// FirstUsable is the first LBA a partition may use: after the
	// protective MBR, the header and the array.
	FirstUsable = 2 + EntryArraySectors
)

// Signature is the header's first 8 bytes.
const Signature = "EFI PART"

// Revision is the header revision written (1.0).
const Revision = 0x00010000

// TypeProtective is the protective MBR entry's partition type.
const TypeProtective = 0xEE

// BootGUIDOffset is where syslinux 3.86's gptmbr.bin reads the unique
// partition GUID of the partition to boot: 16 bytes at 0x1A8 of sector 0
// (mbr/gptmbr.S, bootguid), between its 424 bytes of code and the disk
// signature.
const BootGUIDOffset = 0x1A8

// Partition attribute bits (UEFI spec table 5-7).
const (
	AttrRequired           = 1 << 0 // platform required
	AttrNoBlockIO          = 1 << 1 // firmware must not produce a block I/O protocol for it
	AttrLegacyBIOSBootable = 1 << 2 // legacy BIOS bootable (gptmbr.bin of syslinux 4.x+ boots this one)
)

// Header is a GPT header (the first HeaderSize bytes of its sector).
type Header struct {
	Signature      [8]byte // 0x00: "EFI PART"
	Revision       uint32  // 0x08: 0x00010000
	HeaderSize     uint32  // 0x0C: 92
	HeaderCRC32    uint32  // 0x10: CRC32 of HeaderSize bytes with this field zero
	Reserved       uint32  // 0x14: zero
	MyLBA          uint64  // 0x18: the LBA of this header
	AlternateLBA   uint64  // 0x20: the LBA of the other header
	FirstUsableLBA uint64  // 0x28: first LBA a partition may use
	LastUsableLBA  uint64  // 0x30: last LBA a partition may use
	DiskGUID       GUID    // 0x38: the disk's GUID
	EntryLBA       uint64  // 0x48: first LBA of this copy's entry array
	NumEntries     uint32  // 0x50: entries in the array
	EntrySize      uint32  // 0x54: bytes per entry (128 × 2^n)
	EntryArrayCRC  uint32  // 0x58: CRC32 of NumEntries × EntrySize bytes
}

// Entry is one partition entry (the first EntrySize bytes of its slot).
type Entry struct {
	Type       GUID       // 0x00: partition type GUID; zero for an unused entry
	Unique     GUID       // 0x10: unique partition GUID
	FirstLBA   uint64     // 0x20: first sector
	LastLBA    uint64     // 0x28: last sector, inclusive
	Attributes uint64     // 0x30: attribute bits
	Name       [36]uint16 // 0x38: UTF-16LE name, zero padded
}

// Used reports whether the entry describes a partition.
func (e Entry) Used() bool { return !e.Type.IsZero() }

// Sectors is the partition's length.
func (e Entry) Sectors() uint64 { return e.LastLBA - e.FirstLBA + 1 }

// NameString decodes the UTF-16 name up to its first zero.
func (e Entry) NameString() string {
	n := 0
	for n < len(e.Name) && e.Name[n] != 0 {
		n++
	}
	return string(utf16.Decode(e.Name[:n]))
}

// SetName stores s as UTF-16, cut at 36 code units.
func (e *Entry) SetName(s string) {
	e.Name = [36]uint16{}
	copy(e.Name[:], utf16.Encode([]rune(s)))
}

// Bytes encodes the header into a whole sector (the rest zero). The CRC
// field is written as it is; Seal computes it.
func (h *Header) Bytes() [SectorSize]byte {
	var b [SectorSize]byte
	le := binary.LittleEndian
	copy(b[0x00:], h.Signature[:])
	le.PutUint32(b[0x08:], h.Revision)
	le.PutUint32(b[0x0C:], h.HeaderSize)
	le.PutUint32(b[0x10:], h.HeaderCRC32)
	le.PutUint32(b[0x14:], h.Reserved)
	le.PutUint64(b[0x18:], h.MyLBA)
	le.PutUint64(b[0x20:], h.AlternateLBA)
	le.PutUint64(b[0x28:], h.FirstUsableLBA)
	le.PutUint64(b[0x30:], h.LastUsableLBA)
	copy(b[0x38:], h.DiskGUID[:])
	le.PutUint64(b[0x48:], h.EntryLBA)
	le.PutUint32(b[0x50:], h.NumEntries)
	le.PutUint32(b[0x54:], h.EntrySize)
	le.PutUint32(b[0x58:], h.EntryArrayCRC)
	return b
}

// Seal sets HeaderCRC32 to the CRC32 of the header.
func (h *Header) Seal() {
	h.HeaderCRC32 = 0
	b := h.Bytes()
	h.HeaderCRC32 = crc32.ChecksumIEEE(b[:HeaderSize])
}

// ParseHeader decodes the header in sector b. It does not judge it: see
// Check.
func ParseHeader(b []byte) Header {
	var h Header
	le := binary.LittleEndian
	copy(h.Signature[:], b[0x00:])
	h.Revision = le.Uint32(b[0x08:])
	h.HeaderSize = le.Uint32(b[0x0C:])
	h.HeaderCRC32 = le.Uint32(b[0x10:])
	h.Reserved = le.Uint32(b[0x14:])
	h.MyLBA = le.Uint64(b[0x18:])
	h.AlternateLBA = le.Uint64(b[0x20:])
	h.FirstUsableLBA = le.Uint64(b[0x28:])
	h.LastUsableLBA = le.Uint64(b[0x30:])
	copy(h.DiskGUID[:], b[0x38:])
	h.EntryLBA = le.Uint64(b[0x48:])
	h.NumEntries = le.Uint32(b[0x50:])
	h.EntrySize = le.Uint32(b[0x54:])
	h.EntryArrayCRC = le.Uint32(b[0x58:])
	return h
}

// HeaderCRC computes the CRC32 the header in sector b should carry (over
// its HeaderSize bytes, the CRC field taken as zero); ok is false when the
// header size is out of range.
func HeaderCRC(b []byte) (sum uint32, ok bool) {
	n := binary.LittleEndian.Uint32(b[0x0C:])
	if n < HeaderSize || n > uint32(len(b)) {
		return 0, false
	}
	c := append([]byte(nil), b[:n]...)
	binary.LittleEndian.PutUint32(c[0x10:], 0)
	return crc32.ChecksumIEEE(c), true
}

// EncodeEntry writes e into the EntrySize bytes of b.
func EncodeEntry(b []byte, e Entry) {
	le := binary.LittleEndian
	copy(b[0x00:], e.Type[:])
	copy(b[0x10:], e.Unique[:])
	le.PutUint64(b[0x20:], e.FirstLBA)
	le.PutUint64(b[0x28:], e.LastLBA)
	le.PutUint64(b[0x30:], e.Attributes)
	for i, c := range e.Name {
		le.PutUint16(b[0x38+2*i:], c)
	}
}

// ParseEntry decodes the entry in the first EntrySize bytes of b.
func ParseEntry(b []byte) Entry {
	var e Entry
	le := binary.LittleEndian
	copy(e.Type[:], b[0x00:])
	copy(e.Unique[:], b[0x10:])
	e.FirstLBA = le.Uint64(b[0x20:])
	e.LastLBA = le.Uint64(b[0x28:])
	e.Attributes = le.Uint64(b[0x30:])
	for i := range e.Name {
		e.Name[i] = le.Uint16(b[0x38+2*i:])
	}
	return e
}

// Table is what a GPT says: the disk's GUID and its partitions.
type Table struct {
	DiskGUID GUID
	Entries  []Entry // at most NumEntries; the array's first slots
}

// Encoded is a table laid out for a disk: the bytes of LBA 1 up to the
// first usable LBA (primary header and array), and of the last
// TableSectors sectors (backup array, then backup header).
type Encoded struct {
	Primary []byte // LBA 1 .. FirstUsable-1
	Backup  []byte // LBA sectors-TableSectors .. sectors-1
}

// Encode lays t out on a disk of sectors 512-byte sectors. Every entry
// must lie between the first and last usable LBA, and not overlap another.
func (t Table) Encode(sectors uint64) (Encoded, error) {
	if len(t.Entries) > NumEntries {
		return Encoded{}, fmt.Errorf("gpt: %d partitions, more than the %d entries of the array", len(t.Entries), NumEntries)
	}
	if sectors < FirstUsable+TableSectors+1 {
		return Encoded{}, fmt.Errorf("gpt: a disk of %d sectors has no room for two tables and a partition", sectors)
	}
	last := sectors - 1
	lastUsable := last - TableSectors
	array := make([]byte, EntryArraySectors*SectorSize)
	for i, e := range t.Entries {
		if e.FirstLBA < FirstUsable || e.LastLBA > lastUsable || e.LastLBA < e.FirstLBA {
			return Encoded{}, fmt.Errorf("gpt: partition %d at sectors %d..%d is outside the usable %d..%d", i+1, e.FirstLBA, e.LastLBA, FirstUsable, lastUsable)
		}
		for j, o := range t.Entries[:i] {
			if e.FirstLBA <= o.LastLBA && o.FirstLBA <= e.LastLBA {
				return Encoded{}, fmt.Errorf("gpt: partitions %d and %d overlap", j+1, i+1)
			}
		}
		EncodeEntry(array[i*EntrySize:], e)
	}
	h := Header{
		Revision: Revision, HeaderSize: HeaderSize,
		MyLBA: 1, AlternateLBA: last, FirstUsableLBA: FirstUsable, LastUsableLBA: lastUsable,
		DiskGUID: t.DiskGUID, EntryLBA: 2, NumEntries: NumEntries, EntrySize: EntrySize,
		EntryArrayCRC: crc32.ChecksumIEEE(array),
	}
	copy(h.Signature[:], Signature)
	h.Seal()
	b := h
	b.MyLBA, b.AlternateLBA, b.EntryLBA = last, 1, last-EntryArraySectors
	b.Seal()
	var e Encoded
	hb, bb := h.Bytes(), b.Bytes()
	e.Primary = append(append(e.Primary, hb[:]...), array...)
	e.Backup = append(append(e.Backup, array...), bb[:]...)
	return e, nil
}

// ProtectiveEntry is the protective MBR's one entry for a disk of sectors
// sectors: type 0xEE from LBA 1 to the end of the disk (or 2 TiB), status
// 0x00 as the UEFI specification asks.
func ProtectiveEntry(sectors uint64) mbr.PartitionEntry {
	n := min(sectors-1, 0xFFFFFFFF)
	return mbr.NewEntry(0x00, TypeProtective, 1, uint32(n))
}

// ErrNoGPT is returned by Read when neither header has the signature.
var ErrNoGPT = errors.New("no GPT header")
