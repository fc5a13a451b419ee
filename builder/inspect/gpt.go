package inspect

import (
	"errors"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// The two kinds of syslinux gptmbr.bin, by the messages they carry.
const (
	gptmbrGUID = "syslinux 3.x gptmbr.bin"  // boots the partition whose GUID is at 0x1A8 ("Boot partition not found")
	gptmbrAttr = "syslinux 4.x+ gptmbr.bin" // boots the legacy-BIOS-bootable partition ("Missing OS")
)

// GPTReport is a disk's GUID partition table and how each firmware would
// pick the partition to boot.
type GPTReport struct {
	DiskGUID       string         `json:"disk_guid"`
	PrimaryOK      bool           `json:"primary_ok"`      // the header at LBA 1 and its entry array check out (CRC32s, LBAs)
	BackupOK       bool           `json:"backup_ok"`       // the backup at the last LBA checks out and agrees with the primary
	BackupLBA      uint64         `json:"backup_lba"`      // where the backup header was read
	Partitions     []GPTPartition `json:"partitions"`      // used entries, in slot order
	BootGUID       string         `json:"boot_guid"`       // the 16 bytes at 0x1A8 of sector 0, as a GUID (syslinux 3.86's gptmbr.bin boots that partition)
	BootGUIDIndex  int            `json:"boot_guid_index"` // the partition whose unique GUID it is; 0 none
	LegacyBootable []int          `json:"legacy_bootable"` // partitions with attribute bit 2 (syslinux 4.x+ gptmbr.bin boots the first)
	BIOSBoots      int            `json:"bios_boots"`      // the partition gptmbr.bin boots (by its kind); 0 none
	ESP            int            `json:"esp"`             // the first EFI system partition (type C12A7328-…); 0 none
}

// GPTPartition is one used GPT entry.
type GPTPartition struct {
	Index      int    `json:"index"`      // 1-based slot
	Type       string `json:"type"`       // type GUID
	TypeName   string `json:"type_name"`  // "EFI system" or ""
	GUID       string `json:"guid"`       // unique partition GUID
	FirstLBA   uint64 `json:"first_lba"`  // first sector
	LastLBA    uint64 `json:"last_lba"`   // last sector, inclusive
	Attributes uint64 `json:"attributes"` // attribute bits (2: legacy BIOS bootable)
	Name       string `json:"name"`       // UTF-16 name
}

// parseGPT checks a disk whose sector 0 is a protective MBR: the
// protective entry, both GPT copies, and which partition gptmbr.bin (by
// the boot GUID at 0x1A8 or by attribute, as its kind does) and UEFI (the
// EFI system partition) would use. It returns that partition as the entry
// to inspect, as gptmbr.bin hands it to the boot sector (status 0x80).
func (in *inspector) parseGPT(sec []byte, m *MBRReport) *PartitionEntry {
	e := &m.Entries[0]
	if e.StartLBA != 1 || e.Status != 0 {
		in.warn("protective MBR: entry 1 starts at LBA %s with status 0x%02X; the UEFI specification asks for LBA 1 and status 0x00", human.Commas(int64(e.StartLBA)), e.Status)
	}
	for _, o := range m.Entries[1:] {
		if o.Type != 0 || o.Sectors != 0 {
			in.warn("protective MBR: entry %d is used (type 0x%02X): a GPT disk's MBR has one 0xEE entry (a hybrid MBR)", o.Index, o.Type)
		}
	}
	d, err := gpt.Read(in.im.r, in.im.size)
	if errors.Is(err, gpt.ErrNoGPT) {
		in.fault("MBR: a protective (0xEE) entry but no GPT header at LBA 1 or at the end of the disk")
		return nil
	}
	if err != nil {
		in.im.ioErr = err
		return nil
	}
	g := &GPTReport{PrimaryOK: d.Primary.HeaderOK && d.Primary.ArrayOK, BackupOK: d.Backup.HeaderOK && d.Backup.ArrayOK, BackupLBA: d.Backup.LBA,
		Partitions: []GPTPartition{}, LegacyBootable: []int{}}
	m.GPT = g
	for _, p := range d.Problems {
		in.fault("GPT: %s", p)
	}
	if h := d.Primary.Header; h != nil {
		g.DiskGUID = h.DiskGUID.String()
	} else if h := d.Backup.Header; h != nil {
		g.DiskGUID = h.DiskGUID.String()
	}
	var boot gpt.GUID
	copy(boot[:], sec[gpt.BootGUIDOffset:gpt.BootGUIDOffset+16])
	g.BootGUID = boot.String()
	parts := d.Partitions()
	for _, p := range parts {
		r := GPTPartition{Index: p.Index, Type: p.Type.String(), GUID: p.Unique.String(), FirstLBA: p.FirstLBA, LastLBA: p.LastLBA,
			Attributes: p.Attributes, Name: p.NameString()}
		if p.Type == gpt.ESPType {
			r.TypeName = "EFI system"
			if g.ESP == 0 {
				g.ESP = p.Index
			}
		}
		if p.Unique == boot && g.BootGUIDIndex == 0 {
			g.BootGUIDIndex = p.Index
		}
		if p.Attributes&gpt.AttrLegacyBIOSBootable != 0 {
			g.LegacyBootable = append(g.LegacyBootable, p.Index)
		}
		g.Partitions = append(g.Partitions, r)
	}
	switch m.BootCode {
	case gptmbrGUID:
		g.BIOSBoots = g.BootGUIDIndex
		if g.BIOSBoots == 0 {
			in.fault("GPT: the boot GUID at 0x1A8 of sector 0, %s, is no partition's unique GUID: %s would print \"Boot partition not found\"", g.BootGUID, m.BootCode)
		}
	case gptmbrAttr:
		if len(g.LegacyBootable) == 0 {
			in.fault("GPT: no partition has the legacy BIOS bootable attribute (bit 2): %s would print \"Missing OS\"", m.BootCode)
		} else {
			g.BIOSBoots = g.LegacyBootable[0]
		}
	case "empty": // a fault of the BIOS path alone: a UEFI-only image has none (uefionly.go)
		in.biosFault("protective MBR: no boot code (0x000..0x1B7 all zero): the BIOS would run nothing; lay gptmbr.bin there")
	default:
		in.warn("protective MBR: boot code is %s, not syslinux's gptmbr.bin", m.BootCode)
	}
	if g.ESP == 0 {
		in.warn("GPT: no EFI system partition (type %s): UEFI firmware would not boot the disk", gpt.ESPType)
	}
	pick := g.BIOSBoots
	if pick == 0 {
		pick = g.ESP
	}
	if pick == 0 && len(parts) > 0 {
		pick = parts[0].Index
	}
	for _, p := range parts {
		if p.Index != pick {
			continue
		}
		if g.ESP != 0 && p.Index != g.ESP {
			in.warn("GPT: the BIOS boots partition %d but UEFI firmware the EFI system partition %d", p.Index, g.ESP)
		}
		if p.LastLBA > 0xFFFFFFFF {
			in.fault("GPT: partition %d ends past LBA 2^32, beyond what the boot sector can address", p.Index)
			return nil
		}
		pe := &PartitionEntry{Index: p.Index, Status: activeStatus, Type: 0xEF, TypeName: "GPT partition " + fmt.Sprint(p.Index),
			StartLBA: uint32(p.FirstLBA), Sectors: uint32(p.Sectors())}
		if p.Type == gpt.ESPType {
			pe.TypeName = "EFI system (GPT)"
		}
		m.Active = p.Index
		return pe
	}
	return nil
}
