package builder

import (
	"crypto/sha256"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
)

// PartitionName is the GPT name of the image's EFI system partition.
const PartitionName = "ESXi boot"

// derivedGUID is a GUID from the host's identity and a purpose: same
// inputs and settings, same GUIDs.
func derivedGUID(id [32]byte, purpose string) gpt.GUID {
	h := sha256.New()
	h.Write(id[:])
	h.Write([]byte(purpose))
	return gpt.DerivedGUID(h.Sum(nil))
}

// layGPT lays out a GPT image: the protective MBR (the tarball's
// gptmbr.bin, the ESP's GUID at 0x1A8, the disk signature, one 0xEE
// entry), the primary header and array at LBA 1, the FAT volume as the
// ESP at start, and the backup array and header in the last sectors.
//
// A UEFI-only image's protective MBR has no boot code and nothing at
// 0x1A8, and its ESP no legacy-BIOS-bootable attribute: nothing boots it
// by BIOS, and neither a gptmbr.bin nor inspect should be told otherwise.
func (p *Plan) layGPT(in *Inputs, start, n uint32) error {
	var code []byte
	if !p.UEFIOnly {
		code = in.Tarball.GPTMBR
	}
	switch {
	case p.UEFIOnly:
	case code == nil:
		return fmt.Errorf("%s: no %s/mbr/gptmbr.bin: a GPT image's protective MBR boots the BIOS through it (syslinux 3.86 has it)", in.TarballPath, in.Tarball.Top)
	case len(code) > gpt.BootGUIDOffset:
		return fmt.Errorf("%s: mbr/gptmbr.bin is %d bytes; syslinux 3.86's is %d, followed by the boot partition's GUID at 0x%X, which this one would overwrite",
			in.TarballPath, len(code), gpt.BootGUIDOffset, gpt.BootGUIDOffset)
	}
	if start < gpt.FirstUsable {
		return fmt.Errorf("partition start %d: a GPT image's partition starts at sector %d or later, after the table", start, gpt.FirstUsable)
	}
	sectors := uint64(start) + uint64(n) + gpt.TableSectors
	g := p.GPT
	g.FirstLBA, g.LastLBA, g.BackupLBA = uint64(start), uint64(start)+uint64(n)-1, sectors-1
	e := gpt.Entry{Type: gpt.ESPType, Unique: g.PartitionGUID, FirstLBA: g.FirstLBA, LastLBA: g.LastLBA}
	if !p.UEFIOnly {
		e.Attributes = gpt.AttrLegacyBIOSBootable
	}
	e.SetName(PartitionName)
	enc, err := gpt.Table{DiskGUID: g.DiskGUID, Entries: []gpt.Entry{e}}.Encode(sectors)
	if err != nil {
		return err
	}
	var s mbr.Sector
	if err := s.SetBootCode(code); err != nil {
		return fmt.Errorf("%s: %w", in.TarballPath, err)
	}
	if !p.UEFIOnly {
		copy(s.BootCode[gpt.BootGUIDOffset:], g.PartitionGUID[:])
	}
	s.DiskSignature = p.DiskSignature
	s.Entries[0] = gpt.ProtectiveEntry(sectors)
	sec := s.Bytes()
	p.head = append(sec[:], enc.Primary...)
	p.tail = enc.Backup
	p.ImageBytes = int64(sectors) * 512
	// What gptmbr.bin hands the boot sector: an active made-up entry (a
	// UEFI-only image's is not active: no gptmbr.bin hands it over).
	status := byte(mbr.StatusActive)
	if p.UEFIOnly {
		status = 0
	}
	p.Partition = mbr.NewEntry(status, mbr.TypeEFI, start, n)
	return nil
}

// BootCode is the 440 bytes of sector 0 before the disk signature, as
// written: mbr.bin, or for a GPT image gptmbr.bin and the boot GUID at
// 0x1A8. Nil for a partition-only image.
func (p *Plan) BootCode() []byte {
	if len(p.head) < mbr.BootCodeSize {
		return nil
	}
	return append([]byte(nil), p.head[:mbr.BootCodeSize]...)
}
