package diskwrite

import (
	"bytes"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
)

// WholeGPT is how a whole-disk write lays a GPT image's table out on a
// disk larger than the image: the image's disk GUID and entries, the
// backup GPT moved to the disk's last sectors and the headers' LBAs made
// the disk's, as `sgdisk -e` would move them.
type WholeGPT struct {
	DiskSectors    uint64 `json:"disk_sectors"`
	AlternateLBA   uint64 `json:"alternate_lba"`      // the primary header's AlternateLBA: the disk's last sector, the backup header
	LastUsableLBA  uint64 `json:"last_usable_lba"`    // both headers': the sector before the backup entry array (sgdisk -e's choice)
	BackupArrayLBA uint64 `json:"backup_entries_lba"` // the backup entry array's first sector
	// The image's own backup (entry array, then header at
	// ImageAlternateLBA), which now lies inside the disk and is zeroed
	// (ImageBackupLBA..ZeroedToLBA-1; none when the disk is the image's size).
	ImageAlternateLBA uint64 `json:"image_alternate_lba"`
	ImageBackupLBA    uint64 `json:"image_backup_lba"`
	ZeroedToLBA       uint64 `json:"zeroed_to_lba"`
	ProtectiveSectors uint32 `json:"protective_sectors"` // the 0xEE entry's size: the disk's sectors but sector 0 (at most 2^32-1)
}

// readTable keeps what a whole-disk write needs of a GPT image's table:
// its disk GUID and used entries, which must fill the array's first slots
// of the usual layout (128 entries of 128 bytes from LBA 2).
func (im *Image) readTable(d *gpt.Disk) error {
	h := d.Primary.Header
	if h == nil || h.EntryLBA != 2 || h.NumEntries != gpt.NumEntries || h.EntrySize != gpt.EntrySize || h.FirstUsableLBA != gpt.FirstUsable {
		return fmt.Errorf("image %s: its GPT is not of the usual layout (128 entries of 128 bytes from LBA 2, first usable LBA 34)", im.Name)
	}
	im.table = gpt.Table{DiskGUID: h.DiskGUID}
	for i, e := range d.Partitions() {
		if e.Index != i+1 {
			return fmt.Errorf("image %s: GPT entry %d is used after an empty one", im.Name, e.Index)
		}
		im.table.Entries = append(im.table.Entries, e.Entry)
	}
	return nil
}

// wholeGPT plans a GPT image over the whole disk: the volume, zeros over
// the image's own backup GPT (inside the disk now), the disk's backup GPT
// in its last 33 sectors, the gap before the partition, and last sector 0
// (the image's, its protective entry covering the disk) with the primary
// GPT (AlternateLBA and LastUsableLBA the disk's, CRC32s recomputed).
func (p *Plan) wholeGPT(src io.ReaderAt) error {
	t, img := p.Target, p.Image
	sectors := uint64(t.Size / 512)
	enc, err := img.table.Encode(sectors)
	if err != nil {
		return fmt.Errorf("image %s: its GPT laid out for %s (%s sectors): %w", img.Name, t.Name, human.Commas(sectors), err)
	}
	imgSectors := uint64(img.Size / 512)
	g := &WholeGPT{
		DiskSectors: sectors, AlternateLBA: sectors - 1, LastUsableLBA: sectors - gpt.TableSectors - 1,
		BackupArrayLBA: sectors - gpt.TableSectors, ImageAlternateLBA: imgSectors - 1, ImageBackupLBA: imgSectors - gpt.TableSectors,
		ZeroedToLBA: min(imgSectors, sectors-gpt.TableSectors),
	}
	if g.ZeroedToLBA < g.ImageBackupLBA {
		g.ZeroedToLBA = g.ImageBackupLBA
	}
	s, _ := mbr.Parse(img.Sector0)
	s.Entries[0] = gpt.ProtectiveEntry(sectors)
	g.ProtectiveSectors = s.Entries[0].Sectors
	p.GPT = g
	s0 := s.Bytes()
	head := append(s0[:], enc.Primary...)
	vol := disk.Total(p.Ranges)
	if n := g.ZeroedToLBA - g.ImageBackupLBA; n > 0 {
		p.Ranges = append(p.Ranges, disk.Range{Off: int64(g.ImageBackupLBA) * 512, Len: int64(n) * 512,
			What: fmt.Sprintf("LBA %s-%s: the image's own backup GPT (zeros)", human.Commas(g.ImageBackupLBA), human.Commas(g.ZeroedToLBA-1)), From: zeros{}})
	}
	p.Ranges = append(p.Ranges, disk.Range{Off: int64(g.BackupArrayLBA) * 512, Len: int64(len(enc.Backup)),
		What: fmt.Sprintf("LBA %s-%s: the backup GPT", human.Commas(g.BackupArrayLBA), human.Commas(g.AlternateLBA)), From: bytes.NewReader(enc.Backup)})
	if base := int64(img.Start) * 512; base > int64(len(head)) {
		p.Ranges = append(p.Ranges, disk.Range{Off: int64(len(head)), Len: base - int64(len(head)), What: "the gap before the partition", From: src, At: int64(len(head))})
	}
	p.Ranges = append(p.Ranges, disk.Range{Off: 0, Len: int64(len(head)), What: "sector 0 and the primary GPT", From: bytes.NewReader(head)})
	p.sector0Last = true
	p.sector0 = s0
	p.WriteBytes = disk.Total(p.Ranges)
	code := "gptmbr.bin and the boot GUID at 0x1A8"
	if img.UEFIOnly {
		code = "no boot code: the image is UEFI-only"
	}
	p.Writes = append(p.Writes,
		fmt.Sprintf("partition %d (%s): the image's FAT volume, %s bytes (free clusters skipped)", p.Partition, Geometry(img.Start, img.Sectors), human.Commas(vol)),
		fmt.Sprintf("sector 0: the image's protective MBR (%s, disk signature %08x), its 0xEE entry made the disk's: LBA 1 + %s sectors", code, s0sig(img.Sector0), human.Commas(g.ProtectiveSectors)),
		fmt.Sprintf("LBA 1-33: the image's GPT (disk GUID %s, its entries) with AlternateLBA %s (the disk's last sector) and LastUsableLBA %s, as `sgdisk -e` sets them, CRC32s recomputed",
			img.table.DiskGUID, human.Commas(g.AlternateLBA), human.Commas(g.LastUsableLBA)),
		fmt.Sprintf("LBA %s-%s: the backup GPT (entry array, then header)", human.Commas(g.BackupArrayLBA), human.Commas(g.AlternateLBA)))
	if g.ZeroedToLBA > g.ImageBackupLBA {
		p.Writes = append(p.Writes, fmt.Sprintf("LBA %s-%s: zeros over the image's own backup GPT, which lies inside the disk", human.Commas(g.ImageBackupLBA), human.Commas(g.ZeroedToLBA-1)))
	}
	if free := int64(g.BackupArrayLBA-g.ImageBackupLBA) * 512; free > 0 {
		p.Keeps = append(p.Keeps, fmt.Sprintf("the %s bytes (%s) between the image and the backup GPT: free space the GPT's usable range takes in, unpartitioned", human.Commas(free), human.Bytes(free)))
	}
	return nil
}
