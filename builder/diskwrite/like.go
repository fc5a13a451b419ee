package diskwrite

import (
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
)

// fatTypes are the MBR partition types of FAT volumes (and the EFI system
// partition, which is one).
var fatTypes = map[byte]bool{0x01: true, 0x04: true, 0x06: true, 0x0B: true, 0x0C: true, 0x0E: true, 0xEF: true}

// LikeDisk reads sector 0 of name (a disk, a disk file or a 512-byte dump:
// dd if=/dev/sda of=sda.mbr bs=512 count=1) and returns the partition an
// image must be built for so that Write accepts it: number (1-4), or 0
// for the only FAT-typed partition. On a GPT disk (a dump then needs
// sectors 0-33) number is an entry's slot and the partition has a GUID.
func LikeDisk(name string, number int) (Partition, error) {
	b, err := disk.ReadSector0(name)
	if err != nil {
		return Partition{}, fmt.Errorf("--like-disk %w", err)
	}
	s, ok := mbr.Parse(b)
	if !ok {
		return Partition{}, fmt.Errorf("--like-disk %s: sector 0 has no MBR (no 55 AA at byte 510): no partition table to build for", name)
	}
	ps := partitions(s)
	t := &Target{Name: name, Partitions: ps}
	if t.isGPT() {
		return likeGPT(name, number)
	}
	if number < 0 || number > 4 {
		return Partition{}, fmt.Errorf("--partition %d: an MBR has partitions 1 to 4", number)
	}
	if number != 0 {
		for _, q := range ps {
			if q.Number == number && !fatTypes[q.Type] {
				return Partition{}, fmt.Errorf("--like-disk %w", notFAT(name, q))
			}
			if q.Number == number {
				return q, nil
			}
		}
		return Partition{}, fmt.Errorf("--like-disk %s: partition %d is empty; the table has %s", name, number, listPartitions(ps))
	}
	var fat []Partition
	for _, q := range ps {
		if fatTypes[q.Type] {
			fat = append(fat, q)
		}
	}
	if len(fat) != 1 {
		return Partition{}, fmt.Errorf("--like-disk %s: %d FAT partitions in %s: name the automation partition with --partition N", name, len(fat), listPartitions(ps))
	}
	return fat[0], nil
}
