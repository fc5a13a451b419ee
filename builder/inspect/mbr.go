package inspect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// MBR layout (sector 0 of a partitioned disk).
const (
	mbrCodeEnd   = 0x1B8 // boot code occupies 0x000..0x1B7 (mbr.bin <= 440 bytes)
	mbrDiskSig   = 0x1B8 // u32 disk signature
	mbrTable     = 0x1BE // 4 entries of 16 bytes
	peStatus     = 0x0   // entry: status, 0x80 active
	peFirstCHS   = 0x1   // entry: 3-byte CHS of the first sector
	peType       = 0x4   // entry: partition type
	peLastCHS    = 0x5   // entry: 3-byte CHS of the last sector
	peStartLBA   = 0x8   // entry: u32 first sector
	peSectors    = 0xC   // entry: u32 number of sectors
	sigOffset    = 0x1FE
	activeStatus = 0x80
)

// typeESP is an EFI system partition: FAT of any type, booted by UEFI.
const typeESP = 0xEF

var typeNames = map[uint8]string{
	0x00: "empty", 0x01: "FAT12", 0x04: "FAT16 <32M", 0x05: "extended", 0x06: "FAT16",
	0x07: "NTFS/exFAT", 0x0B: "FAT32", 0x0C: "FAT32 LBA", 0x0E: "FAT16 LBA", 0x0F: "extended LBA",
	0x82: "Linux swap", 0x83: "Linux", 0xEE: "GPT protective",
	0xED: "GPT partition (gptmbr.bin's hand-over)", 0xEF: "EFI system", 0xFB: "VMFS", 0xFC: "VMware vmkcore",
}

// fatTypeOf is the FAT type a partition type byte promises (0 if none).
func fatTypeOf(t uint8) int {
	switch t {
	case 0x01:
		return 12
	case 0x04, 0x06, 0x0E:
		return 16
	case 0x0B, 0x0C:
		return 32
	}
	return 0
}

func decodeCHS(b []byte) CHS {
	return CHS{Head: b[0], Sector: b[1] & 0x3F, Cylinder: uint16(b[1]&0xC0)<<2 | uint16(b[2])}
}

// bootCodeKind recognises MBR boot code by structure: the messages each
// loader prints, not a hash of one build.
func bootCodeKind(code []byte) string {
	has := func(s string) bool { return bytes.Contains(code, []byte(s)) }
	switch {
	case bytes.Count(code, []byte{0}) == len(code):
		return "empty"
	case has("Missing operating system") && has("Multiple active partitions"):
		return "syslinux mbr.bin"
	case has("Missing operating system") && has("Operating system load error"):
		return "syslinux altmbr.bin"
	case has("Boot partition not found") && has("Disk error on boot"):
		return gptmbrGUID
	case has("Missing OS") && has("Disk error"):
		return gptmbrAttr
	case has("GRUB"):
		return "GRUB"
	case has("Invalid partition table"):
		return "MS-DOS/Windows"
	case has("isolinux") || has("ISOLINUX"):
		return "isohybrid"
	}
	return "unknown"
}

// parseMBR decodes sector 0 and checks what mbr.bin needs: 55 AA, exactly
// one entry with status 0x80 and entries inside the image. It returns the
// entry to inspect (nil when none holds anything).
func (in *inspector) parseMBR(sec []byte) *PartitionEntry {
	le := binary.LittleEndian
	m := &MBRReport{
		BootCode:      bootCodeKind(sec[:mbrCodeEnd]),
		Signature:     le.Uint16(sec[sigOffset:]) == 0xAA55,
		DiskSignature: le.Uint32(sec[mbrDiskSig:]),
	}
	in.rep.MBR = m
	if !m.Signature {
		in.fault("MBR: no 55 AA signature at 0x1FE (found %02X %02X): the BIOS will not boot the disk", sec[0x1FE], sec[0x1FF])
	}
	isGPT := sec[mbrTable+peType] == 0xEE // a protective MBR: gpt.go judges the boot code
	switch {
	case isGPT:
	case m.BootCode == "syslinux mbr.bin":
	case m.BootCode == "empty":
		in.biosFault("MBR: no boot code (0x000..0x1B7 all zero): the BIOS would run nothing; lay mbr.bin there")
	default:
		in.warn("MBR: boot code is %s, not syslinux mbr.bin", m.BootCode)
	}
	imageSectors := in.im.size / 512
	var active []int
	m.InOrder = true
	var prev *PartitionEntry // the last used entry before this one
	var pick *PartitionEntry
	for i := range 4 {
		e := sec[mbrTable+16*i : mbrTable+16*i+16]
		p := PartitionEntry{
			Index:    i + 1,
			Status:   e[peStatus],
			FirstCHS: decodeCHS(e[peFirstCHS:]),
			Type:     e[peType],
			LastCHS:  decodeCHS(e[peLastCHS:]),
			StartLBA: le.Uint32(e[peStartLBA:]),
			Sectors:  le.Uint32(e[peSectors:]),
		}
		p.TypeName = typeNames[p.Type]
		if p.TypeName == "" {
			p.TypeName = fmt.Sprintf("type 0x%02X", p.Type)
		}
		m.Entries = append(m.Entries, p)
		if p.Status&0x80 != 0 {
			active = append(active, p.Index)
		}
		if p.Status != 0 && p.Status != activeStatus {
			in.fault("partition %d: status 0x%02X is neither 0x00 nor 0x80", p.Index, p.Status)
		}
		if p.Type == 0 && p.Sectors == 0 && p.StartLBA == 0 {
			continue
		}
		end := int64(p.StartLBA) + int64(p.Sectors)
		switch {
		case p.Sectors == 0:
			in.fault("partition %d: 0 sectors", p.Index)
		case p.StartLBA == 0:
			in.fault("partition %d starts at sector 0, on top of the MBR", p.Index)
		case end > imageSectors:
			in.fault("partition %d ends at sector %s, past the image's %s sectors", p.Index, human.Commas(end), human.Commas(imageSectors))
		}
		for _, q := range m.Entries[:i] {
			if q.Sectors != 0 && q.StartLBA != 0 && int64(q.StartLBA) < end && int64(p.StartLBA) < int64(q.StartLBA)+int64(q.Sectors) {
				in.fault("partitions %d and %d overlap", q.Index, p.Index)
				m.InOrder = false
			}
		}
		if prev != nil && p.StartLBA < prev.StartLBA {
			in.warn("partition %d starts at sector %s, before partition %d (%s): some firmware ignores an MBR whose entries are out of order",
				p.Index, human.Commas(int64(p.StartLBA)), prev.Index, human.Commas(int64(prev.StartLBA)))
			m.InOrder = false
		}
		prev = &m.Entries[i]
		if p.Type == 0xEF && m.ESP == 0 {
			m.ESP = p.Index
		}
	}
	if isGPT {
		return in.parseGPT(sec, m)
	}
	switch len(active) {
	case 0:
		in.biosFault("no active partition: mbr.bin would print \"Missing operating system.\"")
	case 1:
		m.Active = active[0]
	default:
		strs := make([]string, len(active))
		for i, a := range active {
			strs[i] = fmt.Sprint(a)
		}
		in.fault("%d active partitions (%s): mbr.bin would print \"Multiple active partitions.\"", len(active), strings.Join(strs, ", "))
	}
	if len(active) > 0 {
		pick = &m.Entries[active[0]-1]
	} else {
		for i := range m.Entries {
			if (fatTypeOf(m.Entries[i].Type) != 0 || m.Entries[i].Type == typeESP) && m.Entries[i].Sectors != 0 {
				pick = &m.Entries[i]
				break
			}
		}
	}
	if pick != nil && (pick.Sectors == 0 || pick.StartLBA == 0) {
		return nil
	}
	return pick
}
