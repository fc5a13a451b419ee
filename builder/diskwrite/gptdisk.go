package diskwrite

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
)

// gptmbrCodeSize is the boot code syslinux 3.86's gptmbr.bin takes: the
// unique GUID of the partition to boot follows it at gpt.BootGUIDOffset.
const gptmbrCodeSize = gpt.BootGUIDOffset

// basicDataType is the GPT type of a FAT volume that is not an EFI system
// partition (Microsoft basic data).
var basicDataType = gpt.MustParseGUID("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7")

// gptFAT reports whether a GPT partition type holds a FAT volume.
func gptFAT(t gpt.GUID) bool { return t == gpt.ESPType || t == basicDataType }

// gptPartitions lists the used entries of a GPT as Partitions.
func gptPartitions(ps []gpt.Partition) []Partition {
	out := []Partition{}
	for _, e := range ps {
		q := Partition{Number: e.Index, Start: uint32(e.FirstLBA), Sectors: uint32(e.Sectors()), GUID: e.Unique.String(), TypeGUID: e.Type.String(), unique: e.Unique, typeGUID: e.Type}
		if e.Type == gpt.ESPType {
			q.Type = mbr.TypeEFI
		}
		out = append(out, q)
	}
	return out
}

// readGPT reads and checks the GPT of a disk of size bytes and lists its
// partitions; a table with any fault is refused.
func readGPT(r io.ReaderAt, size int64, name string) ([]Partition, error) {
	d, err := gpt.Read(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: a protective MBR (type 0xEE), but its GPT: %w", name, err)
	}
	if len(d.Problems) > 0 {
		return nil, fmt.Errorf("%s: its GPT is damaged (%s): repair it first (sgdisk -v, gdisk's recovery menu)", name, strings.Join(d.Problems, "; "))
	}
	for _, e := range d.Partitions() {
		if e.LastLBA >= 1<<32 {
			return nil, fmt.Errorf("%s: GPT partition %d ends at LBA %d, past what a BIOS boot of 32-bit LBAs reaches", name, e.Index, e.LastLBA)
		}
	}
	return gptPartitions(d.Partitions()), nil
}

// readPrimaryGPT reads the primary GPT in the first 34 sectors of a disk
// or of a dump of them (the backup, at the disk's end, is not there).
func readPrimaryGPT(r io.ReaderAt, size int64, name string) ([]Partition, error) {
	const need = gpt.FirstUsable * 512
	if size < need {
		return nil, fmt.Errorf("%s: %s bytes, but a GPT disk's table lies in sectors 0-33: give the disk itself, or a dump of its first 34 sectors (dd if=/dev/sdX of=sdX.gpt bs=512 count=34)", name, human.Commas(size))
	}
	b := make([]byte, need)
	if _, err := r.ReadAt(b, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: reading sectors 0-33: %w", name, err)
	}
	h := gpt.ParseHeader(b[512:1024])
	if !bytes.Equal(h.Signature[:], []byte(gpt.Signature)) {
		return nil, fmt.Errorf("%s: a protective MBR (type 0xEE) but no GPT header at LBA 1", name)
	}
	if sum, ok := gpt.HeaderCRC(b[512:1024]); !ok || sum != h.HeaderCRC32 {
		return nil, fmt.Errorf("%s: the GPT header at LBA 1 fails its CRC32: repair the table first (sgdisk -v)", name)
	}
	if h.EntryLBA != 2 || h.EntrySize != gpt.EntrySize || h.NumEntries == 0 || h.NumEntries > gpt.NumEntries {
		return nil, fmt.Errorf("%s: a GPT of %d entries of %d bytes at LBA %d: only the usual layout (at most 128 entries of 128 bytes from LBA 2) is read", name, h.NumEntries, h.EntrySize, h.EntryLBA)
	}
	array := b[1024 : 1024+int(h.NumEntries)*gpt.EntrySize]
	if crc32.ChecksumIEEE(array) != h.EntryArrayCRC {
		return nil, fmt.Errorf("%s: the GPT entry array fails its CRC32: repair the table first (sgdisk -v)", name)
	}
	var ps []gpt.Partition
	for i := 0; i < int(h.NumEntries); i++ {
		if e := gpt.ParseEntry(array[i*gpt.EntrySize:]); e.Used() {
			ps = append(ps, gpt.Partition{Index: i + 1, Entry: e})
		}
	}
	return gptPartitions(ps), nil
}

// likeGPT picks the partition of a GPT disk an image is built for: number
// (an entry's slot), or 0 for the only FAT-typed one.
func likeGPT(name string, number int) (Partition, error) {
	d, err := disk.OpenRead(name)
	if err != nil {
		return Partition{}, fmt.Errorf("--like-disk %w", err)
	}
	defer d.Close()
	ps, err := readPrimaryGPT(d.File, d.Size, name)
	if err != nil {
		return Partition{}, fmt.Errorf("--like-disk %w", err)
	}
	if number != 0 {
		for _, q := range ps {
			if q.Number == number && !gptFAT(q.typeGUID) {
				return Partition{}, fmt.Errorf("--like-disk %s: GPT partition %d has type %s, not an EFI system partition or basic data: make it one first (sgdisk -t %d:ef00 %s)", name, number, q.TypeGUID, number, name)
			}
			if q.Number == number {
				return q, nil
			}
		}
		return Partition{}, fmt.Errorf("--like-disk %s: GPT partition %d is empty; the table has %s", name, number, listPartitions(ps))
	}
	var fat []Partition
	for _, q := range ps {
		if gptFAT(q.typeGUID) {
			fat = append(fat, q)
		}
	}
	if len(fat) != 1 {
		return Partition{}, fmt.Errorf("--like-disk %s: %d EFI system or basic data partitions in its GPT (%s): name the automation partition with --partition N", name, len(fat), listPartitions(ps))
	}
	return fat[0], nil
}

// intoGPT plans writing a GPT image's volume into a partition of a GPT
// target: the volume, then sector 0's boot code (gptmbr.bin) and the
// target partition's unique GUID at 0x1A8; the protective entry, both
// GPTs and every other partition stay.
func (p *Plan) intoGPT(src io.ReaderAt, o Options) error {
	t, img := p.Target, p.Image
	if !img.GPT {
		kind := "an MBR image (its sector 0 holds " + bootCodeName(img.Sector0[:mbr.BootCodeSize]) + ")"
		if img.PartitionOnly {
			kind = "a bare partition (build --partition-only) carrying no gptmbr.bin"
		}
		return fmt.Errorf("image %s is %s, but %s has a GPT, which a BIOS boots through gptmbr.bin naming the partition by its unique GUID; build for it with `esxi-autopart build --like-disk %s …` (on a GPT disk that builds a GPT image)", img.Name, kind, t.Name, t.Name)
	}
	if t.gptErr != nil {
		return t.gptErr
	}
	if t.GPT == nil {
		return fmt.Errorf("%s has a GPT (a protective MBR entry of type 0xEE) whose table was not read", t.Name)
	}
	q := choose(t.GPT, o.Partition, img.Start)
	if q == nil && o.Partition != 0 {
		return fmt.Errorf("%s: GPT partition %d is empty; its table has %s", t.Name, o.Partition, listPartitions(t.GPT))
	}
	if q == nil {
		return fmt.Errorf("image %s is built for a partition at %s, but no GPT partition of %s starts there (its table has %s); a FAT volume is made for one start and size: build for the target with `esxi-autopart build --like-disk %s --partition N …`",
			img.Name, Geometry(img.Start, img.Sectors), t.Name, listPartitions(t.GPT), t.Name)
	}
	if q.Start != img.Start || q.Sectors != img.Sectors {
		return fmt.Errorf("image %s is built for a partition at %s, but %s GPT partition %d is %s; a FAT volume is made for one start and size: build for it with `esxi-autopart build --like-disk %s --partition %d …`",
			img.Name, Geometry(img.Start, img.Sectors), t.Name, q.Number, Geometry(q.Start, q.Sectors), t.Name, q.Number)
	}
	if !gptFAT(q.typeGUID) {
		return fmt.Errorf("%s: GPT partition %d has type %s, not an EFI system partition or basic data: make it one first (sgdisk -t %d:ef00 %s)", t.Name, q.Number, q.TypeGUID, q.Number, t.Name)
	}
	if err := p.volumeInto(t, q, img, src); err != nil {
		return err
	}
	if img.UEFIOnly {
		return p.uefiOnlyIntoGPT(q)
	}
	p.sector0 = t.Sector0
	copy(p.sector0[:gptmbrCodeSize], img.Sector0[:gptmbrCodeSize])
	copy(p.sector0[gpt.BootGUIDOffset:gpt.BootGUIDOffset+16], q.unique[:])
	vol := p.planSector0()
	p.Writes = append(p.Writes,
		fmt.Sprintf("GPT partition %d (%s): the image's FAT volume, %s bytes (free clusters skipped)", q.Number, Geometry(q.Start, q.Sectors), human.Commas(vol)),
		"bytes 0-423 of the disk: the image's boot code (gptmbr.bin)",
		fmt.Sprintf("bytes 424-439 of the disk: the unique GUID %s of GPT partition %d, which becomes the partition gptmbr.bin boots", q.GUID, q.Number))
	p.Keeps = append(p.Keeps, "the protective MBR entry, the disk signature and both GPTs (primary at LBA 1-33, backup at the end), byte for byte")
	p.keepOthers(t.GPT, q.Number)
	if q.unique != img.partGUID {
		p.Notes = append(p.Notes, fmt.Sprintf("the image's own GPT names its partition %s; the target's GUID %s is the one written and booted", img.PartitionGUID, q.GUID))
	}
	return nil
}

// gptKind says what sector 0 of a GPT image holds.
func (im *Image) gptKind() string {
	if im.UEFIOnly {
		return "protective MBR without boot code: UEFI-only"
	}
	return "protective MBR, gptmbr.bin"
}

// uefiOnlyIntoGPT finishes the plan of a UEFI-only GPT image into GPT
// partition q: its volume alone. Sector 0 (the disk's boot code and boot
// GUID) and both GPTs stay: UEFI reads files, not boot code.
func (p *Plan) uefiOnlyIntoGPT(q *Partition) error {
	t := p.Target
	p.WriteBytes = disk.Total(p.Ranges)
	p.Writes = append(p.Writes, fmt.Sprintf("GPT partition %d (%s): the image's FAT volume, %s bytes (free clusters skipped)", q.Number, Geometry(q.Start, q.Sectors), human.Commas(p.WriteBytes)))
	p.Keeps = append(p.Keeps, "sector 0 (boot code, boot GUID, protective entry, disk signature) and both GPTs, byte for byte: the image is UEFI-only, and UEFI reads files, not boot code")
	p.keepOthers(t.GPT, q.Number)
	return nil
}
