package fat

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// usedBPB is what UsedExtents reads of a boot sector (offsets per the FAT
// specification's BPB).
type usedBPB struct {
	BytesPerSector    uint16 // 0x0B
	SectorsPerCluster uint8  // 0x0D
	ReservedSectors   uint16 // 0x0E
	NumFATs           uint8  // 0x10
	RootEntries       uint16 // 0x11: FAT12/16 root folder entries (0 on FAT32)
	TotalSectors16    uint16 // 0x13
	FATSectors16      uint16 // 0x16: sectors per FAT (0 on FAT32)
	TotalSectors32    uint32 // 0x20
	FATSectors32      uint32 // 0x24: FAT32 sectors per FAT
}

func parseUsedBPB(b []byte) usedBPB {
	le := binary.LittleEndian
	return usedBPB{
		BytesPerSector: le.Uint16(b[0x0B:]), SectorsPerCluster: b[0x0D], ReservedSectors: le.Uint16(b[0x0E:]),
		NumFATs: b[0x10], RootEntries: le.Uint16(b[0x11:]), TotalSectors16: le.Uint16(b[0x13:]),
		FATSectors16: le.Uint16(b[0x16:]), TotalSectors32: le.Uint32(b[0x20:]), FATSectors32: le.Uint32(b[0x24:]),
	}
}

// UsedExtents reads the FAT volume of size bytes in r (its boot sector at
// offset 0) and returns the byte ranges a used disk must receive for it:
// the reserved sectors (boot sector, FSInfo, backups), every FAT copy
// whole, the FAT12/16 root folder, and every data cluster whose first
// FAT's entry is not zero (files, folders, bad or reserved marks). Only
// free data clusters are left out. Ranges are ascending, adjacent ones
// joined, and each is a whole number of 512-byte sectors.
func UsedExtents(r io.ReaderAt, size int64) ([]Extent, error) {
	var bs [SectorSize]byte
	if _, err := r.ReadAt(bs[:], 0); err != nil {
		return nil, fmt.Errorf("reading the boot sector: %w", err)
	}
	if bs[0x1FE] != 0x55 || bs[0x1FF] != 0xAA {
		return nil, fmt.Errorf("the boot sector does not end in 55 AA: not a FAT volume")
	}
	b := parseUsedBPB(bs[:])
	total := uint32(b.TotalSectors16)
	if total == 0 {
		total = b.TotalSectors32
	}
	fatSecs := uint32(b.FATSectors16)
	if fatSecs == 0 {
		fatSecs = b.FATSectors32
	}
	spc := uint32(b.SectorsPerCluster)
	switch {
	case b.BytesPerSector != SectorSize:
		return nil, fmt.Errorf("BPB: %d bytes per sector, want %d", b.BytesPerSector, SectorSize)
	case spc == 0 || spc&(spc-1) != 0:
		return nil, fmt.Errorf("BPB: %d sectors per cluster, want a power of two", spc)
	case b.NumFATs == 0 || fatSecs == 0 || b.ReservedSectors == 0:
		return nil, fmt.Errorf("BPB: %d FATs of %d sectors after %d reserved sectors: not a FAT volume", b.NumFATs, fatSecs, b.ReservedSectors)
	case int64(total)*SectorSize > size:
		return nil, fmt.Errorf("BPB: %s sectors, more than the %s bytes given", human.Commas(total), human.Commas(size))
	}
	rootSecs := (uint32(b.RootEntries)*32 + SectorSize - 1) / SectorSize
	meta := uint64(b.ReservedSectors) + uint64(b.NumFATs)*uint64(fatSecs) + uint64(rootSecs)
	if meta >= uint64(total) {
		return nil, fmt.Errorf("BPB: %d sectors of reserved sectors, FATs and root folder in a volume of %d", meta, total)
	}
	clusters := (total - uint32(meta)) / spc
	typ := 32
	switch {
	case clusters < 4085:
		typ = 12
	case clusters < 65525:
		typ = 16
	}
	if typ == 12 { // a FAT12 volume is small: write it all
		return []Extent{{0, int64(total) * SectorSize}}, nil
	}
	w := uint32(typ / 8)
	if uint64(clusters+2)*uint64(w) > uint64(fatSecs)*SectorSize {
		return nil, fmt.Errorf("BPB: %d clusters do not fit a FAT of %d sectors", clusters, fatSecs)
	}
	out := []Extent{{0, int64(meta) * SectorSize}}
	add := func(off, n int64) {
		if k := len(out) - 1; out[k].Off+out[k].Len >= off {
			out[k].Len = max(out[k].Len, off+n-out[k].Off)
			return
		}
		out = append(out, Extent{off, n})
	}
	cb := int64(spc) * SectorSize
	fatOff := int64(b.ReservedSectors) * SectorSize
	buf := make([]byte, 1<<20)
	for c := uint32(2); c < clusters+2; {
		n := min(uint32(len(buf))/w, clusters+2-c)
		chunk := buf[:n*w]
		if _, err := r.ReadAt(chunk, fatOff+int64(c)*int64(w)); err != nil {
			return nil, fmt.Errorf("reading FAT entries %d-%d: %w", c, c+n-1, err)
		}
		for i := uint32(0); i < n; i++ {
			var v uint32
			if typ == 16 {
				v = uint32(binary.LittleEndian.Uint16(chunk[i*2:]))
			} else {
				v = binary.LittleEndian.Uint32(chunk[i*4:]) & 0x0FFFFFFF
			}
			if v != 0 {
				add((int64(meta)+int64(c+i-2)*int64(spc))*SectorSize, cb)
			}
		}
		c += n
	}
	return out, nil
}
