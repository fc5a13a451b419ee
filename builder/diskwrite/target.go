package diskwrite

import (
	"bytes"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
)

// Describe reads what the plan needs of an open target: sector 0, what
// uses it and what its first sectors hold.
func Describe(d *disk.Target) (*Target, error) {
	t := &Target{Name: d.Name, Size: d.Size, SectorSize: d.SectorSize, Device: d.Device}
	if d.Size < 512 {
		return t, nil // NewPlan refuses it as too small
	}
	s0, err := d.Sector0()
	if err != nil {
		return nil, err
	}
	t.Sector0 = s0
	if t.Uses, err = d.Uses(); err != nil {
		return nil, err
	}
	head := make([]byte, min(d.Size, 128<<10))
	if _, err := d.File.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: reading the first %d bytes: %w", d.Name, len(head), err)
	}
	t.Content = content(head)
	if s, ok := mbr.Parse(s0); ok && (&Target{Partitions: partitions(s)}).isGPT() {
		t.GPT, t.gptErr = readGPT(d.File, d.Size, d.Name) // intoGPT refuses a damaged table; --whole-disk --wipe overwrites it
	}
	return t, nil
}

// signature is a file system or volume magic at a byte offset.
type signature struct {
	off   int
	magic string
	name  string
}

var signatures = []signature{
	{1080, "\x53\xEF", "an ext2/3/4 file system"},
	{0, "XFSB", "an XFS file system"},
	{65600, "_BHRfS_M", "a Btrfs file system"},
	{32769, "CD001", "an ISO 9660 file system"},
	{512, "LABELONE", "an LVM physical volume"},
	{0, "LUKS\xBA\xBE", "a LUKS volume"},
	{4086, "SWAPSPACE2", "Linux swap"},
	{3, "NTFS    ", "an NTFS file system"},
	{3, "EXFAT   ", "an exFAT file system"},
}

// content names what the first bytes of a disk hold: a partition table
// (MBR or GPT), or a file system written over the whole disk.
func content(b []byte) []string {
	var out []string
	if len(b) >= 512 {
		var s0 [512]byte
		copy(s0[:], b)
		if isFATBootSector(s0[:]) {
			out = append(out, "a FAT file system over the whole disk")
		} else if s, ok := mbr.Parse(s0); ok {
			ps := partitions(s)
			switch {
			case len(ps) == 1 && ps[0].Type == 0xEE:
				out = append(out, "a GPT")
			case len(ps) > 0:
				out = append(out, "an MBR partition table ("+listPartitions(ps)+")")
			}
		}
	}
	for _, s := range signatures {
		if s.off+len(s.magic) <= len(b) && bytes.Equal(b[s.off:s.off+len(s.magic)], []byte(s.magic)) {
			out = append(out, s.name)
		}
	}
	return out
}
