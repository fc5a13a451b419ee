package gpt

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// maxArrayBytes bounds the entry array Read reads (a header may claim any
// size): 1 MiB, 8,192 entries of 128 bytes.
const maxArrayBytes = 1 << 20

// Copy is one of the two tables as read.
type Copy struct {
	LBA      uint64  // where its header was looked for
	Header   *Header // nil when that sector has no "EFI PART"
	HeaderOK bool    // signature, size, CRC and own LBA right
	ArrayOK  bool    // the entry array's CRC matches the header's
	Entries  []Entry // every slot of its array (nil when unreadable)
}

// Disk is a disk's GPT as Read found it.
type Disk struct {
	Sectors  uint64   // the disk's size in sectors
	Primary  Copy     // at LBA 1
	Backup   Copy     // at the primary's AlternateLBA, else the last LBA
	Problems []string // every fault found, in words; empty for a sound table
}

// Partition is a used entry and its 1-based slot.
type Partition struct {
	Index int
	Entry
}

// Partitions are the used entries of the primary array (or the backup's
// when the primary is unusable), in slot order.
func (d *Disk) Partitions() []Partition {
	src := d.Primary.Entries
	if !d.Primary.HeaderOK || !d.Primary.ArrayOK {
		if d.Backup.HeaderOK && d.Backup.ArrayOK {
			src = d.Backup.Entries
		}
	}
	var out []Partition
	for i, e := range src {
		if e.Used() {
			out = append(out, Partition{Index: i + 1, Entry: e})
		}
	}
	return out
}

// Read reads the GPT of a disk of size bytes and checks it as UEFI
// firmware would (UEFI spec 5.3.2): each header's signature, size, CRC32
// and own LBA, each entry array's CRC32, the backup's place at the end of
// the disk and its agreement with the primary, and every used entry
// inside the usable range, not overlapping another and with a unique
// GUID. It returns ErrNoGPT when neither header is there, and other errors
// only when r fails; everything wrong with the table is in Problems.
func Read(r io.ReaderAt, size int64) (*Disk, error) {
	d := &Disk{Sectors: uint64(size) / SectorSize}
	if d.Sectors < 3 {
		return nil, fmt.Errorf("gpt: a disk of %d bytes: %w", size, ErrNoGPT)
	}
	last := d.Sectors - 1
	var err error
	if d.Primary, err = readCopy(r, d, 1, "primary"); err != nil {
		return nil, err
	}
	alt := last
	if h := d.Primary.Header; h != nil && d.Primary.HeaderOK && h.AlternateLBA != last {
		d.problem("primary header: alternate LBA %d, but the disk's last LBA is %d (the disk was resized, or the table made for another size)", h.AlternateLBA, last)
		if h.AlternateLBA < d.Sectors && h.AlternateLBA > 1 {
			alt = h.AlternateLBA
		}
	}
	if d.Backup, err = readCopy(r, d, alt, "backup"); err != nil {
		return nil, err
	}
	if d.Primary.Header == nil && d.Backup.Header == nil {
		return nil, ErrNoGPT
	}
	d.compare()
	d.checkEntries()
	return d, nil
}

func (d *Disk) problem(f string, a ...any) { d.Problems = append(d.Problems, fmt.Sprintf(f, a...)) }

// readCopy reads and checks the header at lba and its entry array.
func readCopy(r io.ReaderAt, d *Disk, lba uint64, name string) (Copy, error) {
	c := Copy{LBA: lba}
	sec := make([]byte, SectorSize)
	if err := readFull(r, sec, lba); err != nil {
		return c, err
	}
	if !bytes.Equal(sec[:8], []byte(Signature)) {
		d.problem("%s header: no %q signature at LBA %d", name, Signature, lba)
		return c, nil
	}
	h := ParseHeader(sec)
	c.Header = &h
	c.HeaderOK = true
	bad := func(f string, a ...any) {
		d.problem(name+" header (LBA %d): "+f, append([]any{lba}, a...)...)
		c.HeaderOK = false
	}
	if sum, ok := HeaderCRC(sec); !ok {
		bad("header size %d, want %d..%d", h.HeaderSize, HeaderSize, SectorSize)
		return c, nil
	} else if sum != h.HeaderCRC32 {
		bad("CRC32 0x%08X, but the header's bytes give 0x%08X", h.HeaderCRC32, sum)
	}
	if h.Revision != Revision {
		d.problem("%s header: revision 0x%08X, not 0x%08X", name, h.Revision, uint32(Revision))
	}
	if h.MyLBA != lba {
		bad("says it is at LBA %d", h.MyLBA)
	}
	last := d.Sectors - 1
	switch {
	case h.FirstUsableLBA > h.LastUsableLBA || h.LastUsableLBA >= last:
		bad("usable LBAs %d..%d do not fit a disk whose last LBA is %d", h.FirstUsableLBA, h.LastUsableLBA, last)
	case h.EntrySize < EntrySize || h.EntrySize&(h.EntrySize-1) != 0:
		bad("entry size %d, want 128 × 2^n", h.EntrySize)
	case h.NumEntries == 0 || uint64(h.NumEntries)*uint64(h.EntrySize) > maxArrayBytes:
		bad("%d entries of %d bytes", h.NumEntries, h.EntrySize)
	}
	if !c.HeaderOK {
		return c, nil
	}
	n := uint64(h.NumEntries) * uint64(h.EntrySize)
	arraySectors := (n + SectorSize - 1) / SectorSize
	if h.EntryLBA < 2 || h.EntryLBA+arraySectors > d.Sectors {
		bad("entry array at LBA %d (%d sectors) is not on the disk", h.EntryLBA, arraySectors)
		return c, nil
	}
	if lo, hi := h.EntryLBA, h.EntryLBA+arraySectors-1; lo <= h.LastUsableLBA && h.FirstUsableLBA <= hi {
		bad("entry array at LBAs %d..%d overlaps the usable LBAs %d..%d", lo, hi, h.FirstUsableLBA, h.LastUsableLBA)
	}
	array := make([]byte, n)
	if err := readFull(r, array, h.EntryLBA); err != nil {
		return c, err
	}
	if sum := crc32.ChecksumIEEE(array); sum != h.EntryArrayCRC {
		d.problem("%s entry array (LBA %d): CRC32 0x%08X, but the header says 0x%08X", name, h.EntryLBA, sum, h.EntryArrayCRC)
	} else {
		c.ArrayOK = true
	}
	for i := uint32(0); i < h.NumEntries; i++ {
		c.Entries = append(c.Entries, ParseEntry(array[uint64(i)*uint64(h.EntrySize):]))
	}
	return c, nil
}

// compare checks that the backup describes the disk as the primary does.
func (d *Disk) compare() {
	p, b := d.Primary, d.Backup
	if p.Header == nil || b.Header == nil || !p.HeaderOK || !b.HeaderOK {
		return
	}
	ph, bh := *p.Header, *b.Header
	if bh.AlternateLBA != 1 {
		d.problem("backup header: alternate LBA %d, want 1", bh.AlternateLBA)
	}
	if bh.EntryLBA <= bh.LastUsableLBA {
		d.problem("backup entry array at LBA %d lies inside the usable LBAs (it belongs after %d)", bh.EntryLBA, bh.LastUsableLBA)
	}
	if ph.DiskGUID != bh.DiskGUID || ph.FirstUsableLBA != bh.FirstUsableLBA || ph.LastUsableLBA != bh.LastUsableLBA ||
		ph.NumEntries != bh.NumEntries || ph.EntrySize != bh.EntrySize || ph.EntryArrayCRC != bh.EntryArrayCRC {
		d.problem("the backup header differs from the primary (disk GUID %s / %s, usable %d..%d / %d..%d, entries CRC 0x%08X / 0x%08X)",
			ph.DiskGUID, bh.DiskGUID, ph.FirstUsableLBA, ph.LastUsableLBA, bh.FirstUsableLBA, bh.LastUsableLBA, ph.EntryArrayCRC, bh.EntryArrayCRC)
	}
}

// checkEntries checks the used entries against the usable range and each
// other.
func (d *Disk) checkEntries() {
	h := d.Primary.Header
	if h == nil || !d.Primary.HeaderOK {
		h = d.Backup.Header
	}
	parts := d.Partitions()
	seen := map[GUID]int{}
	for i, p := range parts {
		if p.LastLBA < p.FirstLBA {
			d.problem("partition %d: last LBA %d before its first %d", p.Index, p.LastLBA, p.FirstLBA)
			continue
		}
		if h != nil && (p.FirstLBA < h.FirstUsableLBA || p.LastLBA > h.LastUsableLBA) {
			d.problem("partition %d at LBAs %d..%d is outside the usable LBAs %d..%d", p.Index, p.FirstLBA, p.LastLBA, h.FirstUsableLBA, h.LastUsableLBA)
		}
		for _, q := range parts[:i] {
			if p.FirstLBA <= q.LastLBA && q.FirstLBA <= p.LastLBA {
				d.problem("partitions %d and %d overlap", q.Index, p.Index)
			}
		}
		if j, dup := seen[p.Unique]; dup {
			d.problem("partitions %d and %d have the same unique GUID %s", j, p.Index, p.Unique)
		}
		seen[p.Unique] = p.Index
	}
}

// readFull reads len(p) bytes at sector lba; a read past the end of the
// disk is an io.ErrUnexpectedEOF error.
func readFull(r io.ReaderAt, p []byte, lba uint64) error {
	n, err := r.ReadAt(p, int64(lba)*SectorSize)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("gpt: reading %d bytes at LBA %d: %w", len(p), lba, err)
}
