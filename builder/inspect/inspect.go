package inspect

import (
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// inspector carries one Inspect call's state.
type inspector struct {
	im           *image
	opt          Options
	rep          *Report
	entry        *PartitionEntry // the MBR entry inspected; nil for a bare partition
	base         int64           // byte offset of the filesystem
	psec         int64           // sectors the partition (or bare image) spans
	vol          *volume         // nil when the BPB is unusable
	tree         *tree           // nil when the BPB is unusable
	bootsOK      bool            // the no-key-press entry names a kernel whose files exist
	modern       bool            // the boot sector has the SYSLINUX 4.x+ layout
	modernBanner bool            // a 4.x+ banner was reported
	biosPhase    bool            // faults now found are of the BIOS path only
	biosFaults   []int           // indices in rep.Faults of the BIOS path's faults
}

func (in *inspector) fault(f string, a ...any) {
	if in.biosPhase {
		in.biosFaults = append(in.biosFaults, len(in.rep.Faults))
	}
	in.rep.Faults = append(in.rep.Faults, fmt.Sprintf(f, a...))
}

// biosFault is a fault of the BIOS boot path alone (uefionly.go).
func (in *inspector) biosFault(f string, a ...any) {
	was := in.biosPhase
	in.biosPhase = true
	in.fault(f, a...)
	in.biosPhase = was
}

func (in *inspector) warn(f string, a ...any) {
	in.rep.Warnings = append(in.rep.Warnings, fmt.Sprintf(f, a...))
}

// Inspect reads the image of size bytes from r (a whole disk with an MBR,
// or a bare FAT partition) and reports what a BIOS boot through mbr.bin
// and SYSLINUX 3.x would do with it. It never writes. The error is non-nil
// only when r fails; everything wrong with the image is in Report.Faults.
func Inspect(r io.ReaderAt, size int64, opt Options) (*Report, error) {
	if size < 0 {
		return nil, fmt.Errorf("inspect: negative image size %d", size)
	}
	in := &inspector{
		im:  &image{r: r, size: size},
		opt: opt,
		rep: &Report{ImageSize: size, Faults: []string{}, Warnings: []string{}, Files: []FileReport{}},
	}
	in.run()
	if in.im.ioErr != nil {
		return nil, fmt.Errorf("inspect: %w", in.im.ioErr)
	}
	if in.judgeUEFIOnly() {
		return in.rep, nil
	}
	in.rep.Bootable = len(in.rep.Faults) == 0 && in.defaultBoots()
	return in.rep, nil
}

func (in *inspector) run() {
	if in.im.size < 512 {
		in.fault("the image is %s bytes, less than one sector", human.Commas(in.im.size))
		return
	}
	sec0 := make([]byte, 512)
	if err := in.im.readAt(sec0, 0); err != nil {
		in.fault("sector 0: %v", err)
		return
	}
	in.psec = in.im.size / 512
	if !looksLikeFAT(sec0) {
		in.entry = in.parseMBR(sec0)
		if in.entry == nil {
			in.fault("MBR: no partition entry to inspect")
			return
		}
		in.base = int64(in.entry.StartLBA) * 512
		in.psec = int64(in.entry.Sectors)
		in.rep.Partition.Entry = in.entry.Index
	}
	in.rep.Partition.Offset = in.base
	in.rep.Partition.Sectors = in.psec
	bs := make([]byte, 512)
	if err := in.im.readAt(bs, in.base); err != nil {
		in.fault("partition boot sector: %v", err)
		return
	}
	s := parseBootSector(bs)
	g := in.checkFilesystem(s)
	in.biosPhase = true
	in.checkBootCode(bs)
	loaded := in.simulateBoot(bs)
	in.biosPhase = false
	if g == nil {
		return
	}
	in.vol = newVolume(in.im, in.base, g)
	in.tree = in.vol.walk()
	in.rep.Faults = append(in.rep.Faults, in.tree.faults...)
	in.rep.Warnings = append(in.rep.Warnings, in.tree.warns...)
	in.checkFiles()
	in.biosPhase = true
	in.checkLoaderFile(loaded)
	in.checkConfig()
	in.biosPhase = false
	in.checkUEFI()
	in.checkESPType()
	in.compareISO()
}

// where names the inspected area: "partition 1" or "the image".
func (in *inspector) where() string {
	if in.entry != nil {
		return fmt.Sprintf("partition %d", in.entry.Index)
	}
	return "the image"
}

// checkFilesystem fills the PartitionReport from the BPB and checks it
// against the partition entry. It returns nil when the BPB is unusable.
func (in *inspector) checkFilesystem(s bootSector) *geometry {
	p := &in.rep.Partition
	p.OEMName = printable(s.OEMName[:])
	p.BytesPerSector = s.BytesPerSector
	p.SectorsPerCluster = s.SectorsPerCluster
	p.ReservedSectors = s.ReservedSectors
	p.NumFATs = s.NumFATs
	p.RootEntries = s.RootEntries
	p.TotalSectors = uint32(s.TotalSectors16)
	if p.TotalSectors == 0 {
		p.TotalSectors = s.TotalSectors32
	}
	p.Media = s.Media
	p.FATSectors = uint32(s.FATSize16)
	if p.FATSectors == 0 {
		p.FATSectors = s.FATSize32
	}
	p.SectorsPerTrack = s.SectorsPerTrack
	p.Heads = s.Heads
	p.HiddenSectors = s.HiddenSectors
	g, faults, warns := computeGeometry(s)
	for _, f := range faults {
		in.fault("%s", f)
	}
	for _, w := range warns {
		in.warn("%s", w)
	}
	if g != nil {
		p.FATType = g.fatType
		p.Clusters = g.clusters
		p.DataStart = g.dataStart
		p.RootCluster = g.rootCluster
		label, id, typ := s.volumeLabel(g.fatType)
		p.Label, p.VolumeID, p.TypeString = printable([]byte(label)), id, printable([]byte(typ))
		if int64(g.total) > in.psec {
			in.fault("the filesystem's %s sectors do not fit in %s (%s sectors)", human.Commas(g.total), in.where(), human.Commas(in.psec))
		}
		if s.SectorsPerTrack != 0 && g.total%uint32(s.SectorsPerTrack) != 0 {
			in.warn("BPB: %s total sectors is not a multiple of %d sectors per track; ESXi 4.1 GA's installer rejects such a boot medium (fixed in 4.1 U1)", human.Commas(g.total), s.SectorsPerTrack)
		}
	}
	if e := in.entry; e != nil {
		if want := fatTypeOf(e.Type); e.Type == typeESP {
			// an EFI system partition holds FAT of any type
		} else if want == 0 {
			in.fault("partition %d: type 0x%02X (%s) is not a FAT type", e.Index, e.Type, e.TypeName)
		} else if g != nil && want != 0 && want != g.fatType {
			in.warn("partition %d: type 0x%02X says FAT%d but the filesystem is FAT%d", e.Index, e.Type, want, g.fatType)
		}
		if s.HiddenSectors != e.StartLBA {
			if e.Status == activeStatus {
				in.warn("BPB hidden sectors %s differ from partition %d's start %s: mbr.bin passes the entry (status 0x80) so syslinux uses %s; a BIOS booting the disk as a floppy would not",
					human.Commas(s.HiddenSectors), e.Index, human.Commas(e.StartLBA), human.Commas(e.StartLBA))
			} else {
				in.fault("BPB hidden sectors %s differ from partition %d's start %s and its status is 0x%02X, not 0x80: the boot sector would read LDLINUX.SYS from the wrong place",
					human.Commas(s.HiddenSectors), e.Index, human.Commas(e.StartLBA), e.Status)
			}
		}
	}
	return g
}
