package diskwrite

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
)

// Modes of a write.
const (
	IntoPartition = "partition"  // the image's partition into a partition of the target; the table kept
	WholeDisk     = "whole-disk" // the image's sector 0 and partition over the start of the target
)

// Target is what the plan knows of the target: read by Describe, or made
// up by a test.
type Target struct {
	Name       string      `json:"path"`
	Size       int64       `json:"bytes"`
	SectorSize int         `json:"logical_sector_size"`
	Device     bool        `json:"block_device"`
	Sector0    [512]byte   `json:"-"`
	Uses       []disk.Use  `json:"-"`
	Content    []string    `json:"content"` // file systems and tables found on it ("a GPT", "an ext2/3/4 file system")
	Partitions []Partition `json:"partitions"`
	GPT        []Partition `json:"gpt_partitions,omitempty"` // a GPT's used entries (Describe reads them when sector 0 is a protective MBR)
	gptErr     error
}

// Partition is a non-empty entry of the target's MBR.
type Partition struct {
	Number  int    `json:"number"` // 1-4
	Active  bool   `json:"active"`
	Type    byte   `json:"type"`
	Start   uint32 `json:"start_lba"`
	Sectors uint32 `json:"sectors"`
	// A GPT entry's unique and type GUIDs (Number is its slot).
	GUID     string `json:"unique_guid,omitempty"`
	TypeGUID string `json:"type_guid,omitempty"`
	unique   gpt.GUID
	typeGUID gpt.GUID
}

// Options say how to write.
type Options struct {
	Partition int  // the target's partition to write into (1-4); 0: the one with the image's start
	WholeDisk bool // write sector 0 and the partition over the disk (a blank disk, a USB stick)
	Wipe      bool // with WholeDisk: a target holding partitions or a file system is overwritten
}

// Plan is every byte range a write puts on the target, in the order
// written, and what it keeps: a plain value to print before writing.
type Plan struct {
	Image       *Image       `json:"image"`
	Target      *Target      `json:"target"`
	Mode        string       `json:"mode"`
	Partition   int          `json:"partition"` // the MBR entry (1-4) that holds the image's partition
	Start       uint32       `json:"start_lba"`
	Sectors     uint32       `json:"sectors"`
	Ranges      []disk.Range `json:"ranges"`
	WriteBytes  int64        `json:"write_bytes"`
	Writes      []string     `json:"writes"` // what will be written, in words
	Keeps       []string     `json:"keeps"`  // what stays as it was
	Notes       []string     `json:"notes"`
	GPT         *WholeGPT    `json:"gpt,omitempty"` // --whole-disk with a GPT image: its table laid out for the disk
	sector0     [512]byte
	sector0Last bool
}

// partitions lists the non-empty entries of an MBR sector.
func partitions(s mbr.Sector) []Partition {
	var out []Partition
	for i, e := range s.Entries {
		if e.Type == 0 && e.Sectors == 0 {
			continue
		}
		out = append(out, Partition{Number: i + 1, Active: e.Status == mbr.StatusActive, Type: e.Type, Start: e.StartLBA, Sectors: e.Sectors})
	}
	return out
}

// NewPlan plans writing img (read from src) onto t, or refuses with the
// reason. Nothing is written.
func NewPlan(img *Image, src io.ReaderAt, t *Target, o Options) (*Plan, error) {
	if t.SectorSize != 512 {
		return nil, fmt.Errorf("%s: logical sector size %d bytes: mbr.bin and SYSLINUX 3.x boot only disks of 512-byte sectors (a 4Kn disk cannot boot this way)", t.Name, t.SectorSize)
	}
	s, sig := mbr.Parse(t.Sector0)
	if sig {
		t.Partitions = partitions(s)
	}
	p := &Plan{Image: img, Target: t, Keeps: []string{}, Notes: []string{}}
	if t.Partitions == nil {
		t.Partitions = []Partition{}
	}
	if t.Content == nil {
		t.Content = []string{}
	}
	if o.WholeDisk {
		return p, p.wholeDisk(src, o)
	}
	if !sig || len(t.Partitions) == 0 {
		return nil, fmt.Errorf("%s has no partition table to write into: write the whole disk with --whole-disk (a blank disk or a USB stick), or partition it first", t.Name)
	}
	return p, p.intoPartition(src, o)
}

// isGPT reports whether the table is a GPT's protective MBR.
func (t *Target) isGPT() bool {
	for _, q := range t.Partitions {
		if q.Type == 0xEE {
			return true
		}
	}
	return false
}

// kernelPartition is the kernel's view of entry q, if any.
func (t *Target) kernelPartition(q Partition) (disk.Use, bool) {
	for _, u := range t.Uses {
		if u.Partition != 0 && u.Start == int64(q.Start) {
			return u, true
		}
	}
	return disk.Use{}, false
}

// diskUse is the whole disk's own use entry.
func (t *Target) diskUse() disk.Use {
	for _, u := range t.Uses {
		if u.Partition == 0 {
			return u
		}
	}
	return disk.Use{}
}

func (p *Plan) intoPartition(src io.ReaderAt, o Options) error {
	t, img := p.Target, p.Image
	p.Mode = IntoPartition
	if t.isGPT() {
		return p.intoGPT(src, o)
	}
	if img.GPT {
		return fmt.Errorf("image %s is a GPT image (%s), but %s has an MBR partition table: build for it with `esxi-autopart build --like-disk %s …` (on an MBR disk that builds an MBR image)", img.Name, img.gptKind(), t.Name, t.Name)
	}
	q := choose(t.Partitions, o.Partition, img.Start)
	if q == nil && o.Partition != 0 {
		return fmt.Errorf("%s: partition %d is empty; its table has %s", t.Name, o.Partition, listPartitions(t.Partitions))
	}
	if q == nil || q.Start != img.Start || q.Sectors != img.Sectors {
		return p.mismatch(q)
	}
	if !fatTypes[q.Type] {
		return notFAT(t.Name, *q)
	}
	if end := (int64(q.Start) + int64(q.Sectors)) * 512; end > t.Size {
		return fmt.Errorf("%s: partition %d ends at byte %s, past the disk's %s bytes", t.Name, q.Number, human.Commas(end), human.Commas(t.Size))
	}
	if err := p.volumeInto(t, q, img, src); err != nil {
		return err
	}
	if img.UEFIOnly {
		return p.uefiOnlyInto(q)
	}
	// Sector 0: the table and the disk signature stay; the boot code is the
	// image's mbr.bin; the partition becomes the only active one.
	p.sector0 = t.Sector0
	if !img.PartitionOnly {
		copy(p.sector0[:mbr.BootCodeSize], img.Sector0[:mbr.BootCodeSize])
	}
	var was []string
	for _, c := range t.Partitions {
		at := mbr.TableOffset + 16*(c.Number-1)
		if c.Active && c.Number != q.Number {
			was = append(was, fmt.Sprint(c.Number))
		}
		p.sector0[at] = 0
		if c.Number == q.Number {
			p.sector0[at] = mbr.StatusActive
		}
	}
	vol := p.planSector0()
	p.Writes = append(p.Writes, fmt.Sprintf("partition %d (%s): the image's FAT volume, %s bytes (free clusters skipped)", q.Number, Geometry(q.Start, q.Sectors), human.Commas(vol)))
	if img.PartitionOnly {
		p.Keeps = append(p.Keeps, "the boot code (bytes 0-439): a partition-only image carries none; the disk's must boot the active partition (syslinux mbr.bin, build's --mbr-out)")
	} else {
		p.Writes = append(p.Writes, "bytes 0-439 of the disk: the image's boot code ("+bootCodeName(img.Sector0[:mbr.BootCodeSize])+")")
	}
	switch {
	case len(was) > 0:
		p.Writes = append(p.Writes, fmt.Sprintf("partition %d becomes the only active partition (partition %s was active and no longer is)", q.Number, strings.Join(was, ", ")))
	case !q.Active:
		p.Writes = append(p.Writes, fmt.Sprintf("partition %d becomes the active partition", q.Number))
	default:
		p.Notes = append(p.Notes, fmt.Sprintf("partition %d was already the only active partition", q.Number))
	}
	p.Keeps = append(p.Keeps, fmt.Sprintf("the partition table (but the active flags) and the disk signature %08x, byte for byte", s0sig(t.Sector0)))
	p.keepOthers(t.Partitions, q.Number)
	if q.Type != img.Type {
		p.Notes = append(p.Notes, fmt.Sprintf("partition %d keeps its type %#02x (the image's entry says %#02x)", q.Number, q.Type, img.Type))
	}
	return nil
}

// choose returns the partition of parts numbered number (--partition), or
// with number 0 the one that starts at start, or nil.
func choose(parts []Partition, number int, start uint32) *Partition {
	for i := range parts {
		c := &parts[i]
		if (number != 0 && c.Number == number) || (number == 0 && c.Start == start) {
			return c
		}
	}
	return nil
}

// volumeInto checks that neither target t nor its partition q is in use
// and plans the image's FAT volume into q.
func (p *Plan) volumeInto(t *Target, q *Partition, img *Image, src io.ReaderAt) error {
	if u := t.diskUse(); u.InUse() {
		return fmt.Errorf("%s is in use: %s; nothing was written", t.Name, u)
	}
	if u, ok := t.kernelPartition(*q); ok && u.InUse() {
		return fmt.Errorf("%s partition %d is in use: %s; unmount or release it first; nothing was written", t.Name, q.Number, u)
	}
	p.Partition, p.Start, p.Sectors = q.Number, q.Start, q.Sectors
	base := int64(q.Start) * 512
	for _, e := range img.volume {
		p.Ranges = append(p.Ranges, disk.Range{Off: base + e.Off, Len: e.Len, What: fmt.Sprintf("partition %d bytes %s-%s", q.Number, human.Commas(e.Off), human.Commas(e.Off+e.Len)), From: src, At: img.volumeOffset() + e.Off})
	}
	return nil
}

// planSector0 plans p.sector0 as the last write (the disk stays as it was
// for firmware until the volume is whole) and returns the volume's bytes.
func (p *Plan) planSector0() int64 {
	vol := disk.Total(p.Ranges)
	p.Ranges = append(p.Ranges, disk.Range{Off: 0, Len: 512, What: "sector 0", From: bytes.NewReader(p.sector0[:])})
	p.sector0Last = true
	p.WriteBytes = disk.Total(p.Ranges)
	return vol
}

// name is how the plan names the partition: "partition 2" of an MBR,
// "GPT partition 2" of a GPT.
func (q Partition) name() string {
	if q.GUID != "" {
		return fmt.Sprintf("GPT partition %d", q.Number)
	}
	return fmt.Sprintf("partition %d", q.Number)
}

// typeName is the partition's type: the MBR byte (0x83), or the GPT
// type GUID.
func (q Partition) typeName() string {
	if q.GUID != "" {
		return q.TypeGUID
	}
	return fmt.Sprintf("%#02x", q.Type)
}

// keepOthers says that every partition of ps but number stays byte for
// byte (and that one the kernel has in use is left alone): the "kept"
// lines of a write into a partition, of an MBR or a GPT alike.
func (p *Plan) keepOthers(ps []Partition, number int) {
	for _, c := range ps {
		if c.Number == number {
			continue
		}
		line := fmt.Sprintf("%s (%s, type %s), byte for byte", c.name(), Geometry(c.Start, c.Sectors), c.typeName())
		if u, ok := p.Target.kernelPartition(c); ok && u.InUse() {
			line += "; " + u.String() + ", left alone"
		}
		p.Keeps = append(p.Keeps, line)
	}
}

// mismatch refuses an image built for another start or size, naming both
// and the build command line that would match.
func (p *Plan) mismatch(q *Partition) error {
	t, img := p.Target, p.Image
	if q == nil {
		return fmt.Errorf("image %s is built for a partition at %s, but no partition of %s starts there (its table has %s); a FAT volume is made for one start and size: build for the target with `esxi-autopart build --like-disk %s --partition N …`",
			img.Name, Geometry(img.Start, img.Sectors), t.Name, listPartitions(t.Partitions), t.Name)
	}
	return fmt.Errorf("image %s is built for a partition at %s, but %s partition %d is %s; a FAT volume is made for one start and size: build for it with `esxi-autopart build --like-disk %s --partition %d …`",
		img.Name, Geometry(img.Start, img.Sectors), t.Name, q.Number, Geometry(q.Start, q.Sectors), t.Name, q.Number)
}

func listPartitions(ps []Partition) string {
	if len(ps) == 0 {
		return "no partitions"
	}
	var s []string
	for _, q := range ps {
		s = append(s, fmt.Sprintf("%d at %s", q.Number, Geometry(q.Start, q.Sectors)))
	}
	return strings.Join(s, "; ")
}

func s0sig(b [512]byte) uint32 {
	return uint32(b[0x1B8]) | uint32(b[0x1B9])<<8 | uint32(b[0x1BA])<<16 | uint32(b[0x1BB])<<24
}

// bootCodeName names boot code by the messages it carries.
func bootCodeName(code []byte) string {
	switch {
	case bytes.Contains(code, []byte("Missing operating system")) && bytes.Contains(code, []byte("Multiple active partitions")):
		return "syslinux mbr.bin"
	case bytes.Count(code, []byte{0}) == len(code):
		return "empty"
	}
	return "not syslinux's mbr.bin"
}

func (p *Plan) wholeDisk(src io.ReaderAt, o Options) error {
	t, img := p.Target, p.Image
	p.Mode = WholeDisk
	if img.PartitionOnly {
		return fmt.Errorf("image %s is a bare partition (build --partition-only): it has no sector 0 to write a whole disk with; write it into a partition of %s (without --whole-disk), or build a whole image", img.Name, t.Name)
	}
	if t.Size < img.Size {
		return fmt.Errorf("%s: %s bytes, too small for image %s of %s bytes", t.Name, human.Commas(t.Size), img.Name, human.Commas(img.Size))
	}
	var used []string
	for _, u := range t.Uses {
		if u.InUse() {
			used = append(used, u.String())
		}
	}
	if len(used) > 0 {
		return fmt.Errorf("%s is in use, and --whole-disk overwrites its table: %s; nothing was written", t.Name, strings.Join(used, "; "))
	}
	if len(t.Content) > 0 && !o.Wipe {
		return fmt.Errorf("%s holds %s: --whole-disk would overwrite it; add --wipe to do so, or write into its automation partition without --whole-disk", t.Name, strings.Join(t.Content, " and "))
	}
	p.Partition, p.Start, p.Sectors = 1, img.Start, img.Sectors
	for i, e := range mbrPartitions(img) {
		if e.StartLBA == img.Start {
			p.Partition = i + 1
		}
	}
	base := int64(img.Start) * 512
	for _, e := range img.volume {
		p.Ranges = append(p.Ranges, disk.Range{Off: base + e.Off, Len: e.Len, What: fmt.Sprintf("partition bytes %s-%s", human.Commas(e.Off), human.Commas(e.Off+e.Len)), From: src, At: base + e.Off})
	}
	if img.GPT {
		if err := p.wholeGPT(src); err != nil {
			return err
		}
		if len(t.Content) > 0 {
			p.Writes = append(p.Writes, "--wipe: "+strings.Join(t.Content, " and ")+" will be overwritten")
		}
		return nil
	}
	if t.isGPT() && o.Wipe {
		n := int64(33 * 512) // the backup GPT: 32 sectors of entries and the header
		off := t.Size/512*512 - n
		if off >= base+int64(img.Sectors)*512 {
			p.Ranges = append(p.Ranges, disk.Range{Off: off, Len: n, What: "the old backup GPT (zeros)", From: zeros{}})
			p.Writes = append(p.Writes, "zeros over the old backup GPT in the disk's last 33 sectors")
		}
	}
	p.Ranges = append(p.Ranges, disk.Range{Off: 0, Len: base, What: "sector 0 and the gap before the partition", From: src, At: 0})
	p.sector0Last = true
	copy(p.sector0[:], img.Sector0[:])
	p.WriteBytes = disk.Total(p.Ranges)
	p.Writes = append(p.Writes,
		fmt.Sprintf("sectors 0-%d: the image's MBR (%s, disk signature %08x, one active partition) and zeros up to the partition", img.Start-1, bootCodeName(img.Sector0[:mbr.BootCodeSize]), s0sig(img.Sector0)),
		fmt.Sprintf("partition %d (%s): the image's FAT volume, %s bytes (free clusters skipped)", p.Partition, Geometry(img.Start, img.Sectors), human.Commas(p.WriteBytes-base)))
	if len(t.Content) > 0 {
		p.Writes = append(p.Writes, "--wipe: "+strings.Join(t.Content, " and ")+" will be overwritten")
	}
	if rest := t.Size - img.Size; rest > 0 {
		p.Keeps = append(p.Keeps, fmt.Sprintf("the %s bytes after the image (%s), unpartitioned", human.Commas(rest), human.Bytes(rest)))
	}
	return nil
}

func mbrPartitions(img *Image) [4]mbr.PartitionEntry {
	s, _ := mbr.Parse(img.Sector0)
	return s.Entries
}

// zeros reads as zeros.
type zeros struct{}

func (zeros) ReadAt(p []byte, off int64) (int, error) { clear(p); return len(p), nil }

// uefiOnlyInto finishes the plan of a UEFI-only image into partition q:
// its volume alone. Sector 0 stays as it was: UEFI reads files, not boot
// code, and takes no notice of the active flag.
func (p *Plan) uefiOnlyInto(q *Partition) error {
	t := p.Target
	p.WriteBytes = disk.Total(p.Ranges)
	p.Writes = append(p.Writes, fmt.Sprintf("partition %d (%s): the image's FAT volume, %s bytes (free clusters skipped)", q.Number, Geometry(q.Start, q.Sectors), human.Commas(p.WriteBytes)))
	p.Keeps = append(p.Keeps, fmt.Sprintf("sector 0 (boot code, table, active flags, disk signature %08x), byte for byte: the image is UEFI-only, and UEFI reads files, not boot code", s0sig(t.Sector0)))
	p.keepOthers(t.Partitions, q.Number)
	if q.Type != mbr.TypeEFI {
		p.Notes = append(p.Notes, fmt.Sprintf("partition %d has type %#02x: some firmware lists an MBR FAT partition as UEFI-bootable only with type 0xEF (EFI system partition)", q.Number, q.Type))
	}
	return nil
}

// notFAT refuses a partition whose type is no FAT type: inspect (and
// firmware that looks at types) would not take it for the automation
// partition.
func notFAT(name string, q Partition) error {
	return fmt.Errorf("%s: partition %d has type %#02x, not a FAT type: make it the automation partition first (e.g. `sfdisk --part-type %s %d c` for FAT32 LBA, or ef for an EFI system partition)",
		name, q.Number, q.Type, name, q.Number)
}
