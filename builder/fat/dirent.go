package fat

import (
	"encoding/binary"
	"time"
	"unicode/utf16"
)

// Attr is a directory entry's attribute byte (offset 0x0B).
type Attr uint8

const (
	ReadOnly  Attr = 0x01
	Hidden    Attr = 0x02
	System    Attr = 0x04
	VolumeID  Attr = 0x08
	Directory Attr = 0x10
	Archive   Attr = 0x20

	attrLongName = ReadOnly | Hidden | System | VolumeID // 0x0F marks a VFAT long-name entry
)

// dirEntrySize is the size of every directory entry, short or long.
const dirEntrySize = 32

// dirEntry is a 32-byte short (8.3) directory entry, fatgen103
// "FAT 32 Byte Directory Entry Structure".
type dirEntry struct {
	Name         [11]byte // 0x00 8.3 name, blank padded, no dot
	Attr         Attr     // 0x0B attributes
	NTRes        uint8    // 0x0C reserved for Windows NT (case bits), 0
	CrtTimeTenth uint8    // 0x0D creation time, 10 ms units, 0..199
	CrtTime      uint16   // 0x0E creation time (2-second resolution)
	CrtDate      uint16   // 0x10 creation date
	LstAccDate   uint16   // 0x12 last access date
	FstClusHI    uint16   // 0x14 first cluster, high word (FAT32)
	WrtTime      uint16   // 0x16 last write time
	WrtDate      uint16   // 0x18 last write date
	FstClusLO    uint16   // 0x1A first cluster, low word
	FileSize     uint32   // 0x1C size in bytes, 0 for folders
}

func (e *dirEntry) put(b []byte) {
	_ = b[31]
	copy(b[0x00:0x0B], e.Name[:])
	b[0x0B] = byte(e.Attr)
	b[0x0C] = e.NTRes
	b[0x0D] = e.CrtTimeTenth
	binary.LittleEndian.PutUint16(b[0x0E:], e.CrtTime)
	binary.LittleEndian.PutUint16(b[0x10:], e.CrtDate)
	binary.LittleEndian.PutUint16(b[0x12:], e.LstAccDate)
	binary.LittleEndian.PutUint16(b[0x14:], e.FstClusHI)
	binary.LittleEndian.PutUint16(b[0x16:], e.WrtTime)
	binary.LittleEndian.PutUint16(b[0x18:], e.WrtDate)
	binary.LittleEndian.PutUint16(b[0x1A:], e.FstClusLO)
	binary.LittleEndian.PutUint32(b[0x1C:], e.FileSize)
}

// lfnEntry is a 32-byte VFAT long-name entry holding 13 UTF-16 units.
type lfnEntry struct {
	Ord       uint8     // 0x00 sequence number 1..20, | 0x40 on the last one (stored first)
	Name1     [5]uint16 // 0x01 characters 1-5
	Attr      Attr      // 0x0B always 0x0F
	Type      uint8     // 0x0C always 0
	Chksum    uint8     // 0x0D checksum of the short name that follows
	Name2     [6]uint16 // 0x0E characters 6-11
	FstClusLO uint16    // 0x1A always 0
	Name3     [2]uint16 // 0x1C characters 12-13
}

func (e *lfnEntry) put(b []byte) {
	_ = b[31]
	b[0x00] = e.Ord
	for i, c := range e.Name1 {
		binary.LittleEndian.PutUint16(b[0x01+2*i:], c)
	}
	b[0x0B] = byte(e.Attr)
	b[0x0C] = e.Type
	b[0x0D] = e.Chksum
	for i, c := range e.Name2 {
		binary.LittleEndian.PutUint16(b[0x0E+2*i:], c)
	}
	binary.LittleEndian.PutUint16(b[0x1A:], e.FstClusLO)
	for i, c := range e.Name3 {
		binary.LittleEndian.PutUint16(b[0x1C+2*i:], c)
	}
}

// putLongName writes the long-name entries for long (in on-disk order:
// last part first) into b and returns the number of bytes used.
func putLongName(b []byte, long, short string) int {
	units := utf16.Encode([]rune(long))
	n := (len(units) + 12) / 13
	padded := make([]uint16, n*13)
	for i := range padded {
		switch {
		case i < len(units):
			padded[i] = units[i]
		case i == len(units):
			padded[i] = 0x0000 // terminator when the name does not fill the entry
		default:
			padded[i] = 0xFFFF
		}
	}
	sum := lfnChecksum(short)
	for k := 0; k < n; k++ {
		seq := n - k // on-disk order is n, n-1, ..., 1
		part := padded[(seq-1)*13 : seq*13]
		e := lfnEntry{Ord: uint8(seq), Attr: attrLongName, Chksum: sum}
		if seq == n {
			e.Ord |= 0x40
		}
		copy(e.Name1[:], part[0:5])
		copy(e.Name2[:], part[5:11])
		copy(e.Name3[:], part[11:13])
		e.put(b[k*dirEntrySize:])
	}
	return n * dirEntrySize
}

// fatTime is a FAT timestamp: date, time (2 s) and the 10 ms remainder.
type fatTime struct {
	Date, Time uint16
	Tenth      uint8
}

// toFATTime converts t (in UTC) to FAT's 1980..2107 range, clamping.
func toFATTime(t time.Time) fatTime {
	t = t.UTC()
	switch {
	case t.Year() < 1980:
		return fatTime{Date: 1<<5 | 1} // 1980-01-01 00:00:00
	case t.Year() > 2107:
		return fatTime{Date: 127<<9 | 12<<5 | 31, Time: 23<<11 | 59<<5 | 29, Tenth: 199}
	}
	return fatTime{
		Date:  uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day()),
		Time:  uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2),
		Tenth: uint8(t.Second()%2*100 + t.Nanosecond()/10_000_000),
	}
}

// shortEntry builds the 8.3 entry for a file or folder.
func shortEntry(short string, attr Attr, cluster uint32, size uint32, ft fatTime) dirEntry {
	e := dirEntry{
		Attr:         attr,
		CrtTimeTenth: ft.Tenth,
		CrtTime:      ft.Time,
		CrtDate:      ft.Date,
		LstAccDate:   ft.Date,
		FstClusHI:    uint16(cluster >> 16),
		WrtTime:      ft.Time,
		WrtDate:      ft.Date,
		FstClusLO:    uint16(cluster),
		FileSize:     size,
	}
	copy(e.Name[:], short)
	return e
}
