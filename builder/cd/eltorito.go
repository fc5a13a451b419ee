package cd

import (
	"encoding/binary"
	"fmt"
	"io"
)

// El Torito, as firmware reads it: the boot record volume descriptor names
// the boot catalog; the catalog's entries name the images the BIOS and the
// UEFI firmware load. (El Torito 1.0; UEFI 2.x section 13.3.2.1 for the EF
// platform.)

// Platform IDs of a validation entry or section header.
const (
	PlatformBIOS = 0x00 // 80x86
	PlatformEFI  = 0xEF // UEFI
)

const (
	bootRecordSector = 17                        // El Torito: the boot record is at sector 17
	bootSystemID     = "EL TORITO SPECIFICATION" // [7:39] of the boot record, zero padded
	entrySize        = 32                        // every catalog entry
	maxEntries       = 64                        // entries read from the catalog
)

// BootRecord is the El Torito boot record volume descriptor's used part.
type BootRecord struct {
	Type    uint8    // [0] 0: boot record
	ID      [5]byte  // [1:6] "CD001"
	Version uint8    // [6] 1
	System  [32]byte // [7:39] "EL TORITO SPECIFICATION", zero padded
	_       [32]byte // [39:71] unused
	Catalog uint32   // [71:75] sector of the boot catalog
}

// ValidationEntry is the catalog's first entry.
type ValidationEntry struct {
	HeaderID uint8    // [0] 1
	Platform uint8    // [1] PlatformBIOS, PlatformEFI, ...
	_        uint16   // [2:4] reserved
	ID       [24]byte // [4:28] manufacturer
	Checksum uint16   // [28:30] makes the 16 words sum to 0
	Key      [2]byte  // [30:32] 55 AA
}

// SectionEntry is a default (initial) entry or a section entry.
type SectionEntry struct {
	Boot      uint8    // [0] 0x88 bootable, 0x00 not
	Media     uint8    // [1] 0 no emulation, 1-3 floppy, 4 hard disk (low nibble)
	LoadSeg   uint16   // [2:4] load segment (0: 0x7C0)
	System    uint8    // [4] system type (partition type of an emulated disk)
	_         uint8    // [5] unused
	Sectors   uint16   // [6:8] 512-byte sectors the firmware loads
	LBA       uint32   // [8:12] first 2048-byte sector of the image
	Selection [20]byte // [12:32] selection criteria (section entries), unused
}

// SectionHeader starts a section of entries for one platform.
type SectionHeader struct {
	Indicator uint8    // [0] 0x90 more headers follow, 0x91 last header
	Platform  uint8    // [1] PlatformBIOS, PlatformEFI, ...
	Entries   uint16   // [2:4] section entries that follow
	ID        [28]byte // [4:32] ID string
}

// BootImage is one bootable entry of the catalog, as the plan reports it.
type BootImage struct {
	Platform string `json:"platform"`        // "BIOS" or "UEFI" (or "0xNN")
	Bootable bool   `json:"bootable"`        // indicator 0x88
	Media    string `json:"media"`           // "no emulation", "floppy", "hard disk"
	Sectors  uint16 `json:"load_sectors"`    // 512-byte sectors loaded
	LBA      uint32 `json:"lba"`             // first sector
	Path     string `json:"path,omitempty"`  // the ISO file at LBA ("" when none starts there)
	Size     int64  `json:"bytes,omitempty"` // that file's size
}

// Catalog is what the boot catalog holds.
type Catalog struct {
	Sector uint32      `json:"sector"`
	Images []BootImage `json:"images"`
}

func platformName(p uint8) string {
	switch p {
	case PlatformBIOS:
		return "BIOS"
	case PlatformEFI:
		return "UEFI"
	}
	return fmt.Sprintf("0x%02X", p)
}

func mediaName(m uint8) string {
	switch m & 0x0F {
	case 0:
		return "no emulation"
	case 1, 2, 3:
		return "floppy"
	case 4:
		return "hard disk"
	}
	return fmt.Sprintf("media 0x%02X", m)
}

// ReadCatalog reads the El Torito boot record and catalog of an image;
// (nil, nil) when the image has no boot record.
func ReadCatalog(r io.ReaderAt) (*Catalog, error) {
	buf := make([]byte, Sector)
	if _, err := r.ReadAt(buf, bootRecordSector*Sector); err != nil {
		return nil, fmt.Errorf("sector %d: %w", bootRecordSector, err)
	}
	var br BootRecord
	decode(buf, &br)
	if br.Type != 0 || string(br.ID[:]) != "CD001" || string(trimZero(br.System[:])) != bootSystemID {
		return nil, nil
	}
	if _, err := r.ReadAt(buf, int64(br.Catalog)*Sector); err != nil {
		return nil, fmt.Errorf("the El Torito catalog at sector %d: %w", br.Catalog, err)
	}
	var v ValidationEntry
	decode(buf[:entrySize], &v)
	var sum uint16
	for i := 0; i < entrySize; i += 2 {
		sum += binary.LittleEndian.Uint16(buf[i:])
	}
	if v.HeaderID != 1 || v.Key != [2]byte{0x55, 0xAA} || sum != 0 {
		return nil, fmt.Errorf("the El Torito catalog at sector %d: bad validation entry (header %d, key % X, checksum sum %d)", br.Catalog, v.HeaderID, v.Key, sum)
	}
	c := &Catalog{Sector: br.Catalog}
	add := func(platform uint8, e SectionEntry) {
		c.Images = append(c.Images, BootImage{Platform: platformName(platform), Bootable: e.Boot == 0x88,
			Media: mediaName(e.Media), Sectors: e.Sectors, LBA: e.LBA})
	}
	var d SectionEntry
	decode(buf[entrySize:2*entrySize], &d)
	add(v.Platform, d)
	for i := 2; i < maxEntries && i*entrySize < Sector; {
		var h SectionHeader
		decode(buf[i*entrySize:(i+1)*entrySize], &h)
		if h.Indicator != 0x90 && h.Indicator != 0x91 {
			break
		}
		i++
		for n := 0; n < int(h.Entries) && i*entrySize < Sector; n++ {
			var e SectionEntry
			decode(buf[i*entrySize:(i+1)*entrySize], &e)
			i++
			if e.Boot == 0x44 { // an extension entry continues the last one
				continue
			}
			add(h.Platform, e)
		}
		if h.Indicator == 0x91 {
			break
		}
	}
	return c, nil
}

// BootInfoTable is what mkisofs -boot-info-table writes at byte 8 of a
// no-emulation boot image (isolinux.bin), and what isolinux reads to find
// the rest of itself.
type BootInfoTable struct {
	PVD      uint32   // [8:12] sector of the primary volume descriptor
	File     uint32   // [12:16] sector of this file
	Length   uint32   // [16:20] length of this file in bytes
	Checksum uint32   // [20:24] sum of the file's 32-bit little-endian words from byte 64
	_        [40]byte // [24:64] reserved
}

// CheckBootInfoTable says whether bin (the whole boot image) carries a
// boot info table that is right for a file at sector lba; "" when it is.
func CheckBootInfoTable(bin []byte, lba uint32) string {
	if len(bin) < 64 {
		return fmt.Sprintf("%d bytes: too short for a boot info table", len(bin))
	}
	var t BootInfoTable
	decode(bin[8:64], &t)
	var sum uint32
	var w [4]byte
	for i := 64; i < len(bin); i += 4 {
		clear(w[:])
		copy(w[:], bin[i:])
		sum += binary.LittleEndian.Uint32(w[:])
	}
	switch {
	case t.PVD != 16:
		return fmt.Sprintf("boot info table: primary volume descriptor at sector %d, want 16", t.PVD)
	case t.File != lba:
		return fmt.Sprintf("boot info table: file at sector %d, but it is at sector %d", t.File, lba)
	case int(t.Length) != len(bin):
		return fmt.Sprintf("boot info table: length %d, but the file has %d bytes", t.Length, len(bin))
	case t.Checksum != sum:
		return fmt.Sprintf("boot info table: checksum %08X, the file sums to %08X", t.Checksum, sum)
	}
	return ""
}

func trimZero(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// decode reads a fixed-size little-endian struct from b.
func decode(b []byte, v any) {
	if _, err := binary.Decode(b, binary.LittleEndian, v); err != nil {
		panic(err) // sizes are fixed by the types: a short slice is a bug here
	}
}
