package fat

import "encoding/binary"

// OEMName is written at offset 0x03 of the boot sector ("MSWIN4.1" is
// what fatgen103 recommends for the widest compatibility).
const OEMName = "MSWIN4.1"

// bpb is the BIOS parameter block shared by all FAT types, bytes 0x0B-0x23.
type bpb struct {
	BytsPerSec uint16 // 0x0B bytes per sector, 512
	SecPerClus uint8  // 0x0D sectors per cluster
	RsvdSecCnt uint16 // 0x0E reserved sectors (boot sector first)
	NumFATs    uint8  // 0x10 FAT copies
	RootEntCnt uint16 // 0x11 FAT12/16 root entries; 0 on FAT32
	TotSec16   uint16 // 0x13 total sectors if < 65,536 (FAT12/16), else 0
	Media      uint8  // 0x15 media descriptor, also in FAT[0]
	FATSz16    uint16 // 0x16 sectors per FAT (FAT12/16); 0 on FAT32
	SecPerTrk  uint16 // 0x18 CHS sectors per track
	NumHeads   uint16 // 0x1A CHS heads
	HiddSec    uint32 // 0x1C sectors before the volume
	TotSec32   uint32 // 0x20 total sectors if TotSec16 is 0
}

func (b *bpb) put(s *[SectorSize]byte) {
	le := binary.LittleEndian
	le.PutUint16(s[0x0B:], b.BytsPerSec)
	s[0x0D] = b.SecPerClus
	le.PutUint16(s[0x0E:], b.RsvdSecCnt)
	s[0x10] = b.NumFATs
	le.PutUint16(s[0x11:], b.RootEntCnt)
	le.PutUint16(s[0x13:], b.TotSec16)
	s[0x15] = b.Media
	le.PutUint16(s[0x16:], b.FATSz16)
	le.PutUint16(s[0x18:], b.SecPerTrk)
	le.PutUint16(s[0x1A:], b.NumHeads)
	le.PutUint32(s[0x1C:], b.HiddSec)
	le.PutUint32(s[0x20:], b.TotSec32)
}

// ebpb is the extended BPB tail: at 0x24 on FAT12/16, at 0x40 on FAT32.
type ebpb struct {
	DrvNum     uint8    // +0x00 BIOS drive number, 0x80
	Reserved1  uint8    // +0x01 0 (Windows NT dirty flags)
	BootSig    uint8    // +0x02 0x29: the next three fields are present
	VolID      uint32   // +0x03 volume serial number
	VolLab     [11]byte // +0x07 volume label
	FilSysType [8]byte  // +0x12 "FAT12   ", "FAT16   " or "FAT32   " (informational)
}

func (e *ebpb) put(b []byte) {
	b[0x00] = e.DrvNum
	b[0x01] = e.Reserved1
	b[0x02] = e.BootSig
	binary.LittleEndian.PutUint32(b[0x03:], e.VolID)
	copy(b[0x07:0x12], e.VolLab[:])
	copy(b[0x12:0x1A], e.FilSysType[:])
}

// fat32BPB is the FAT32 part of the BPB, bytes 0x24-0x3F.
type fat32BPB struct {
	FATSz32   uint32   // 0x24 sectors per FAT
	ExtFlags  uint16   // 0x28 0: the FAT is mirrored to every copy
	FSVer     uint16   // 0x2A version 0.0
	RootClus  uint32   // 0x2C first cluster of the root folder
	FSInfo    uint16   // 0x30 sector of the FSInfo structure
	BkBootSec uint16   // 0x32 sector of the backup boot sector
	Reserved  [12]byte // 0x34 zero
}

func (f *fat32BPB) put(s *[SectorSize]byte) {
	le := binary.LittleEndian
	le.PutUint32(s[0x24:], f.FATSz32)
	le.PutUint16(s[0x28:], f.ExtFlags)
	le.PutUint16(s[0x2A:], f.FSVer)
	le.PutUint32(s[0x2C:], f.RootClus)
	le.PutUint16(s[0x30:], f.FSInfo)
	le.PutUint16(s[0x32:], f.BkBootSec)
	copy(s[0x34:0x40], f.Reserved[:])
}

// BPBEnd is where the boot sector's BPB ends for the plan's type (0x3E on
// FAT12/16, 0x5A on FAT32): bytes 0x03..BPBEnd-1 belong to the filesystem.
func (p *Plan) BPBEnd() int {
	if p.Type == 32 {
		return 0x5A
	}
	return 0x3E
}

// BootSector returns the volume's boot sector: jump EB 58 90, OEM name,
// BPB (+FAT32 fields), extended BPB, no boot code, 55 AA. A caller may
// overlay boot code on bytes 0x00-0x02 and 0x5A-0x1FD before Write.
func (p *Plan) BootSector() [SectorSize]byte {
	var s [SectorSize]byte
	copy(s[0:3], []byte{0xEB, 0x58, 0x90}) // jmp short 0x5A; nop
	copy(s[3:11], OEMName)
	b := bpb{
		BytsPerSec: p.BytesPerSector,
		SecPerClus: p.SectorsPerCluster,
		RsvdSecCnt: p.ReservedSectors,
		NumFATs:    p.NumFATs,
		RootEntCnt: p.RootEntries,
		Media:      p.Media,
		SecPerTrk:  p.SectorsPerTrack,
		NumHeads:   p.Heads,
		HiddSec:    p.HiddenSectors,
		TotSec32:   p.TotalSectors,
	}
	e := ebpb{DrvNum: 0x80, BootSig: 0x29, VolID: p.VolumeID}
	copy(e.VolLab[:], p.Label)
	copy(e.FilSysType[:], "FAT16   ")
	switch p.Type {
	case 32:
		copy(e.FilSysType[:], "FAT32   ")
		(&fat32BPB{FATSz32: p.FATSectors, RootClus: p.RootCluster, FSInfo: p.FSInfoSector, BkBootSec: p.BackupBootSector}).put(&s)
		e.put(s[0x40:])
	default:
		if p.Type == 12 {
			copy(e.FilSysType[:], "FAT12   ")
		}
		b.FATSz16 = uint16(p.FATSectors)
		if p.TotalSectors < 0x10000 {
			b.TotSec16, b.TotSec32 = uint16(p.TotalSectors), 0
		}
		e.put(s[0x24:])
	}
	b.put(&s)
	s[0x1FE], s[0x1FF] = 0x55, 0xAA
	return s
}

// fsInfo is the FAT32 FSInfo sector (fatgen103 "FAT32 FSInfo Sector Structure").
type fsInfo struct {
	LeadSig   uint32 // 0x000 0x41615252 "RRaA"
	StrucSig  uint32 // 0x1E4 0x61417272 "rrAa"
	FreeCount uint32 // 0x1E8 free clusters
	NxtFree   uint32 // 0x1EC hint: first free cluster
	TrailSig  uint32 // 0x1FC 0xAA550000
}

func (f *fsInfo) bytes() [SectorSize]byte {
	var s [SectorSize]byte
	le := binary.LittleEndian
	le.PutUint32(s[0x000:], f.LeadSig)
	le.PutUint32(s[0x1E4:], f.StrucSig)
	le.PutUint32(s[0x1E8:], f.FreeCount)
	le.PutUint32(s[0x1EC:], f.NxtFree)
	le.PutUint32(s[0x1FC:], f.TrailSig)
	return s
}

func (p *Plan) fsInfo() [SectorSize]byte {
	f := fsInfo{LeadSig: 0x41615252, StrucSig: 0x61417272, FreeCount: p.FreeClusters, NxtFree: p.NextFree, TrailSig: 0xAA550000}
	return f.bytes()
}
