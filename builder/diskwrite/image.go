// Package diskwrite puts a built image onto a disk the way the procedure
// it replaces did: into an existing automation partition (its bytes, and
// mbr.bin over the disk's first 440 bytes, keeping the table, the disk
// signature and every other partition), or over a whole blank disk. It
// plans the byte ranges (a plain value: printed by --dry-run), writes
// them in one stream and reads them back from the disk.
//
// It must not know flags or terminals (internal/cli asks and prints), nor
// how an image is built: it reads the image it is given.
package diskwrite

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/fat"
	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
)

// Image is what a built image holds, as far as writing it goes.
type Image struct {
	Name          string    `json:"path"`
	Size          int64     `json:"bytes"`
	PartitionOnly bool      `json:"partition_only"`           // a bare FAT volume (build --partition-only): no sector 0 of a disk
	Start         uint32    `json:"start_lba"`                // the partition's first sector (partition-only: the BPB's hidden sectors)
	Sectors       uint32    `json:"sectors"`                  // the partition's size in sectors
	Type          byte      `json:"type"`                     // the partition type the image's entry has (partition-only: from the FAT type)
	UEFIOnly      bool      `json:"uefi_only"`                // a whole image without BIOS boot: no boot code, no active entry (UEFI-only media; MBR or GPT)
	Sector0       [512]byte `json:"-"`                        // the image's sector 0 (a whole image)
	GPT           bool      `json:"gpt"`                      // a GPT image: protective MBR with gptmbr.bin (none when UEFIOnly), the partition its one EFI system partition
	PartitionGUID string    `json:"partition_guid,omitempty"` // a GPT image's partition's unique GUID
	partGUID      gpt.GUID
	table         gpt.Table // a GPT image's disk GUID and entries (gptwhole.go)
	volume        []fat.Extent
}

// volumeOffset is the byte offset of the FAT volume in the image.
func (im *Image) volumeOffset() int64 {
	if im.PartitionOnly {
		return 0
	}
	return int64(im.Start) * 512
}

// isFATBootSector reports whether b looks like a FAT boot sector (a jump,
// 512 bytes per sector, 55 AA) rather than an MBR.
func isFATBootSector(b []byte) bool {
	return (b[0] == 0xEB || b[0] == 0xE9) && binary.LittleEndian.Uint16(b[0x0B:]) == 512 &&
		b[0x10] != 0 && b[0x1FE] == 0x55 && b[0x1FF] == 0xAA
}

// ReadImage reads the image of size bytes in r (name is for messages): a
// whole image (an MBR whose active entry holds a FAT volume) or a bare
// FAT volume, and the ranges of its volume a disk must receive.
func ReadImage(r io.ReaderAt, size int64, name string) (*Image, error) {
	im := &Image{Name: name, Size: size}
	if size < 512 {
		return nil, fmt.Errorf("image %s: %s bytes, less than one sector", name, human.Commas(size))
	}
	if _, err := r.ReadAt(im.Sector0[:], 0); err != nil {
		return nil, fmt.Errorf("image %s: reading sector 0: %w", name, err)
	}
	if isFATBootSector(im.Sector0[:]) {
		im.PartitionOnly = true
		im.Start = binary.LittleEndian.Uint32(im.Sector0[0x1C:])
		total := uint32(binary.LittleEndian.Uint16(im.Sector0[0x13:]))
		if total == 0 {
			total = binary.LittleEndian.Uint32(im.Sector0[0x20:])
		}
		im.Sectors = total
		im.Type = mbr.TypeFAT16LBA
		if binary.LittleEndian.Uint16(im.Sector0[0x16:]) == 0 {
			im.Type = mbr.TypeFAT32
		}
		if im.Start == 0 {
			return nil, fmt.Errorf("image %s: a bare FAT volume whose BPB says it starts at sector 0 (hidden sectors): not built for a partition of a disk", name)
		}
	} else {
		s, ok := mbr.Parse(im.Sector0)
		if !ok {
			return nil, fmt.Errorf("image %s: sector 0 is neither an MBR nor a FAT boot sector (no 55 AA)", name)
		}
		if pe := s.Entries[0]; pe.Type == gpt.TypeProtective {
			if err := im.readGPT(r, size); err != nil {
				return nil, err
			}
			goto volume
		}
		var act, used []int
		for i, e := range s.Entries {
			if e.Status == mbr.StatusActive {
				act = append(act, i)
			}
			if e.Type != 0 || e.Sectors != 0 {
				used = append(used, i)
			}
		}
		empty := bytes.Count(im.Sector0[:mbr.BootCodeSize], []byte{0}) == mbr.BootCodeSize
		switch {
		case len(act) == 0 && len(used) == 1 && empty: // UEFI-only media: nothing for a BIOS
			act, im.UEFIOnly = used, true
		case len(act) != 1:
			return nil, fmt.Errorf("image %s: %d active partition entries, want exactly one (the automation partition)", name, len(act))
		}
		e := s.Entries[act[0]]
		im.Start, im.Sectors, im.Type = e.StartLBA, e.Sectors, e.Type
	}
volume:
	end := im.volumeOffset() + int64(im.Sectors)*512
	if im.Sectors == 0 || end > size {
		return nil, fmt.Errorf("image %s: the partition (LBA %d, %s sectors) ends at byte %s, past the image's %s bytes",
			name, im.Start, human.Commas(im.Sectors), human.Commas(end), human.Commas(size))
	}
	ext, err := fat.UsedExtents(io.NewSectionReader(r, im.volumeOffset(), int64(im.Sectors)*512), int64(im.Sectors)*512)
	if err != nil {
		return nil, fmt.Errorf("image %s: the partition at LBA %d: %w", name, im.Start, err)
	}
	im.volume = ext
	return im, nil
}

// readGPT takes the partition of a GPT image: its one EFI system partition.
func (im *Image) readGPT(r io.ReaderAt, size int64) error {
	d, err := gpt.Read(r, size)
	if err != nil {
		return fmt.Errorf("image %s: a protective MBR, but its GPT: %w", im.Name, err)
	}
	if len(d.Problems) > 0 {
		return fmt.Errorf("image %s: its GPT is damaged: %s", im.Name, strings.Join(d.Problems, "; "))
	}
	var esp []gpt.Partition
	for _, e := range d.Partitions() {
		if e.Type == gpt.ESPType {
			esp = append(esp, e)
		}
	}
	if len(esp) != 1 || esp[0].LastLBA >= 1<<32 {
		return fmt.Errorf("image %s: %d EFI system partitions in its GPT, want exactly one (the automation partition)", im.Name, len(esp))
	}
	if err := im.readTable(d); err != nil {
		return err
	}
	e := esp[0]
	// UEFI-only media: no gptmbr.bin, nothing at 0x1A8, for no BIOS boot.
	im.UEFIOnly = bytes.Count(im.Sector0[:mbr.BootCodeSize], []byte{0}) == mbr.BootCodeSize
	im.GPT, im.PartitionGUID, im.partGUID = true, e.Unique.String(), e.Unique
	im.Start, im.Sectors, im.Type = uint32(e.FirstLBA), uint32(e.Sectors()), mbr.TypeEFI
	return nil
}

// Geometry is "LBA 2,048 + 2,097,144 sectors (1.0 GiB)".
func Geometry(start, sectors uint32) string {
	return fmt.Sprintf("LBA %s + %s sectors (%s)", human.Commas(start), human.Commas(sectors), human.Bytes(int64(sectors)*512))
}
