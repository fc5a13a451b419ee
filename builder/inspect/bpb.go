package inspect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// bootSector is a FAT boot sector's BIOS parameter block, read at the
// offsets of the FAT specification (fatgen103). FAT12/16 keep the extended
// BPB at 0x24, FAT32 at 0x40.
type bootSector struct {
	Jump              [3]byte // 0x000: EB xx 90 or E9 xx xx
	OEMName           [8]byte // 0x003
	BytesPerSector    uint16  // 0x00B
	SectorsPerCluster uint8   // 0x00D
	ReservedSectors   uint16  // 0x00E
	NumFATs           uint8   // 0x010
	RootEntries       uint16  // 0x011: 0 on FAT32
	TotalSectors16    uint16  // 0x013: 0 when TotalSectors32 is used
	Media             uint8   // 0x015: 0xF0 or 0xF8..0xFF
	FATSize16         uint16  // 0x016: 0 on FAT32
	SectorsPerTrack   uint16  // 0x018
	Heads             uint16  // 0x01A
	HiddenSectors     uint32  // 0x01C: partition start LBA
	TotalSectors32    uint32  // 0x020
	FATSize32         uint32  // 0x024: FAT32 only
	RootCluster       uint32  // 0x02C: FAT32 only
	BackupBootSector  uint16  // 0x032: FAT32 only
	BootSig16         uint8   // 0x026: 0x29 when the FAT12/16 fields below are valid
	VolumeID16        uint32  // 0x027
	Label16           [11]byte
	FSType16          [8]byte // 0x036
	BootSig32         uint8   // 0x042: 0x29 when the FAT32 fields below are valid
	VolumeID32        uint32  // 0x043
	Label32           [11]byte
	FSType32          [8]byte // 0x052
	Signature         uint16  // 0x1FE: 0xAA55
}

func parseBootSector(b []byte) bootSector {
	le := binary.LittleEndian
	var s bootSector
	copy(s.Jump[:], b[0x00:])
	copy(s.OEMName[:], b[0x03:])
	s.BytesPerSector = le.Uint16(b[0x0B:])
	s.SectorsPerCluster = b[0x0D]
	s.ReservedSectors = le.Uint16(b[0x0E:])
	s.NumFATs = b[0x10]
	s.RootEntries = le.Uint16(b[0x11:])
	s.TotalSectors16 = le.Uint16(b[0x13:])
	s.Media = b[0x15]
	s.FATSize16 = le.Uint16(b[0x16:])
	s.SectorsPerTrack = le.Uint16(b[0x18:])
	s.Heads = le.Uint16(b[0x1A:])
	s.HiddenSectors = le.Uint32(b[0x1C:])
	s.TotalSectors32 = le.Uint32(b[0x20:])
	s.FATSize32 = le.Uint32(b[0x24:])
	s.RootCluster = le.Uint32(b[0x2C:])
	s.BackupBootSector = le.Uint16(b[0x32:])
	s.BootSig16 = b[0x26]
	s.VolumeID16 = le.Uint32(b[0x27:])
	copy(s.Label16[:], b[0x2B:])
	copy(s.FSType16[:], b[0x36:])
	s.BootSig32 = b[0x42]
	s.VolumeID32 = le.Uint32(b[0x43:])
	copy(s.Label32[:], b[0x47:])
	copy(s.FSType32[:], b[0x52:])
	s.Signature = le.Uint16(b[0x1FE:])
	return s
}

// looksLikeFAT tells a FAT boot sector (a bare partition image) from an MBR.
func looksLikeFAT(b []byte) bool {
	s := parseBootSector(b)
	jump := s.Jump[0] == 0xEB && s.Jump[2] == 0x90 || s.Jump[0] == 0xE9
	bps := s.BytesPerSector
	return jump && (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) &&
		s.SectorsPerCluster != 0 && bits.OnesCount8(s.SectorsPerCluster) == 1 &&
		s.ReservedSectors != 0 && s.NumFATs != 0 && (s.Media == 0xF0 || s.Media >= 0xF8)
}

// geometry is the filesystem layout, in 512-byte sectors relative to the
// filesystem's first sector, as syslinux 3.70 computes it at boot.
type geometry struct {
	fatType     int    // 12, 16, 32
	total       uint32 // total sectors
	fatStart    uint32 // first FAT
	fatSectors  uint32 // sectors per FAT
	rootStart   uint32 // FAT12/16 root folder
	rootSectors uint32 // FAT12/16 root folder length
	dataStart   uint32 // cluster 2
	spc         uint32 // sectors per cluster
	clusters    uint32 // data clusters: valid numbers are 2..clusters+1
	rootCluster uint32 // FAT32 root folder's first cluster
}

// computeGeometry checks the BPB the way the 3.70 installer does and
// derives the layout. It returns faults (the layout is unusable when the
// returned geometry is nil) and warnings.
func computeGeometry(s bootSector) (g *geometry, faults, warns []string) {
	bad := func(f string, a ...any) { faults = append(faults, fmt.Sprintf(f, a...)) }
	if s.BytesPerSector != 512 {
		bad("BPB: %s bytes per sector; syslinux 3.70 needs 512", human.Commas(s.BytesPerSector))
	}
	if s.SectorsPerCluster == 0 || bits.OnesCount8(s.SectorsPerCluster) != 1 {
		bad("BPB: %d sectors per cluster is not a power of two", s.SectorsPerCluster)
	}
	if s.Media != 0xF0 && s.Media < 0xF8 {
		bad("BPB: media byte 0x%02X is neither 0xF0 nor 0xF8..0xFF", s.Media)
	}
	if s.ReservedSectors == 0 {
		bad("BPB: 0 reserved sectors")
	}
	if s.NumFATs == 0 {
		bad("BPB: 0 FATs")
	}
	total := uint32(s.TotalSectors16)
	if total == 0 {
		total = s.TotalSectors32
	}
	fatSize := uint32(s.FATSize16)
	if fatSize == 0 {
		fatSize = s.FATSize32
	}
	if fatSize == 0 {
		bad("BPB: 0 sectors per FAT")
	}
	if len(faults) > 0 {
		return nil, faults, warns
	}
	g = &geometry{total: total, fatStart: uint32(s.ReservedSectors), fatSectors: fatSize, spc: uint32(s.SectorsPerCluster)}
	fats := uint64(s.NumFATs) * uint64(fatSize)
	g.rootStart = uint32(min(uint64(g.fatStart)+fats, 1<<32-1))
	g.rootSectors = (uint32(s.RootEntries) + 15) / 16
	data := uint64(g.fatStart) + fats + uint64(g.rootSectors)
	if data >= uint64(total) {
		bad("BPB: the data area would start at sector %s, past the filesystem's %s sectors", human.Commas(int64(data)), human.Commas(total))
		return nil, faults, warns
	}
	g.dataStart = uint32(data)
	g.clusters = (total - g.dataStart) / g.spc
	switch {
	case g.clusters < 4085:
		g.fatType = 12
	case g.clusters < 65525:
		g.fatType = 16
	default:
		g.fatType = 32
	}
	if g.clusters == 0 {
		bad("BPB: no data clusters")
		return nil, faults, warns
	}
	if g.fatType == 32 && g.clusters >= 0x0FFFFFF5 {
		bad("BPB: %s clusters is more than FAT32 can address", human.Commas(g.clusters))
		return nil, faults, warns
	}
	if need := ((uint64(g.clusters)+2)*uint64(g.fatType) + 7) / 8; uint64(fatSize)*512 < need {
		bad("BPB: a FAT of %s sectors cannot hold %s FAT%d entries", human.Commas(fatSize), human.Commas(g.clusters+2), g.fatType)
		return nil, faults, warns
	}
	// Installer checks (syslxmod.c): the label must agree with the count.
	fs16, fs32 := string(s.FSType16[:]), string(s.FSType32[:])
	switch g.fatType {
	case 12, 16:
		if s.FATSize16 == 0 {
			bad("BPB: FAT%d by cluster count (%s clusters) but FATSz16 is 0", g.fatType, human.Commas(g.clusters))
			return nil, faults, warns
		}
		if g.rootSectors == 0 {
			bad("BPB: FAT%d with no root folder entries", g.fatType)
			return nil, faults, warns
		}
		want := fmt.Sprintf("FAT%d   ", g.fatType)
		if s.BootSig16 == 0x29 && fs16 != want && fs16 != "FAT     " {
			warns = append(warns, fmt.Sprintf("BPB: type string %q but %s clusters make it FAT%d; syslinux boots by the count, its installer would refuse", fs16, human.Commas(g.clusters), g.fatType))
		}
	case 32:
		g.rootCluster = s.RootCluster
		if s.BootSig32 != 0x29 || fs32 != "FAT32   " {
			warns = append(warns, fmt.Sprintf("BPB: FAT32 by cluster count (%s clusters) but no FAT32 signature (0x29 at 0x42, \"FAT32   \" at 0x52); the 3.70 installer would refuse", human.Commas(g.clusters)))
		}
		if g.rootCluster < 2 || g.rootCluster > g.clusters+1 {
			bad("BPB: FAT32 root cluster %s is outside 2..%s", human.Commas(g.rootCluster), human.Commas(g.clusters+1))
			return nil, faults, warns
		}
	}
	return g, faults, warns
}

// volumeLabel and volumeID pick the extended BPB that the FAT type uses.
func (s bootSector) volumeLabel(fatType int) (string, uint32, string) {
	if fatType == 32 {
		if s.BootSig32 != 0x29 {
			return "", 0, ""
		}
		return string(bytes.TrimRight(s.Label32[:], " ")), s.VolumeID32, string(s.FSType32[:])
	}
	if s.BootSig16 != 0x29 {
		return "", 0, ""
	}
	return string(bytes.TrimRight(s.Label16[:], " ")), s.VolumeID16, string(s.FSType16[:])
}
