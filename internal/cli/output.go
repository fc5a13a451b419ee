package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// planText renders a plan for --dry-run: every byte range decided.
func planText(p *builder.Plan) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("media      %s\n", p.LayoutFound)
	if p.UEFIOnly {
		w("%s", uefiOnlyLine(p))
	} else {
		w("syslinux   %s from %s (MaxTransfer %d, RAID %v)\n", p.Syslinux, p.Tarball, p.Loader.MaxTransfer, p.Loader.RAID)
	}
	w("host       %s  ks=%s\n", p.Host, p.KS)
	w("mtime      %s\n", p.ModTime.Format(time.RFC3339))
	if p.PartitionOnly {
		w("image      %s bytes: the partition only (hidden sectors %d)\n", human.Commas(p.ImageBytes), p.Partition.StartLBA)
	} else {
		w("image      %s bytes; disk signature %08X\n", human.Commas(p.ImageBytes), p.DiskSignature)
		if g := p.GPT; g != nil {
			attr := ", legacy BIOS bootable"
			if p.UEFIOnly {
				w("sector 0   protective entry (0xEE), no boot code\n")
				attr = ""
			} else {
				w("sector 0   gptmbr.bin + boot GUID at 0x1A8 + protective entry (0xEE)\n")
			}
			w("gpt        disk %s; headers at LBA 1 and %d, entries at 2 and %d\n", g.DiskGUID, g.BackupLBA, g.BackupLBA-32)
			w("           1: EFI system partition %s, LBA %d..%d%s, %q\n", g.PartitionGUID, g.FirstLBA, g.LastLBA, attr, builder.PartitionName)
		} else if p.UEFIOnly {
			w("sector 0   partition table, no boot code\n")
		} else {
			w("sector 0   mbr.bin + partition table\n")
		}
	}
	e := p.Partition
	w("partition  1: status 0x%02X type 0x%02X LBA %d..%d (%s sectors, %s bytes)\n",
		e.Status, e.Type, e.StartLBA, e.StartLBA+e.Sectors-1, human.Commas(int64(e.Sectors)), human.Commas(int64(e.Sectors)*512))
	f := p.FAT
	w("fat        FAT%d, %d B clusters, %s clusters, %d reserved, 2 FATs of %d sectors, data at sector %d\n",
		f.Type, int(f.SectorsPerCluster)*512, human.Commas(int64(f.Clusters)), f.ReservedSectors, f.FATSectors, f.FirstDataSector)
	w("files      %-14s %-14s %12s %8s %8s\n", "name", "from", "bytes", "cluster", "count")
	for _, fl := range p.Files {
		src := fl.Src
		if src == "" {
			src = "(built)"
		}
		w("           %-14s %-14s %12s %8d %8d\n", fl.Dst, src, human.Commas(fl.Size), fl.FirstCluster, fl.Clusters)
	}
	if !p.UEFIOnly {
		w("ldlinux    sectors %s\n", sectorRanges(p.Loader.Sectors))
	}
	addedText(w, p)
	if p.ConfigCRLF > 0 {
		w("note       the syslinux.cfg template had %d CR bytes; converted to LF\n", p.ConfigCRLF)
	}
	if !p.UEFIOnly {
		w("syslinux.cfg:\n")
		for _, l := range strings.SplitAfter(strings.TrimRight(p.Config, "\n"), "\n") {
			w("  | %s", l)
		}
		w("\n")
	}
	names := make([]string, 0, len(p.Generated))
	for name := range p.Generated {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		w("%s:\n", name)
		for _, l := range strings.SplitAfter(strings.TrimRight(p.Generated[name], "\n"), "\n") {
			w("  | %s", l)
		}
		w("\n")
	}
	w("\n")
	return b.String()
}

// summaryText is the one-screen report after a build; packed is the
// compressed file delivered instead of the raw image (nil: none).
func summaryText(p *builder.Plan, r *builder.Result, packed *compress.Written, took time.Duration) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	if packed != nil {
		w("built      %s (%s bytes, %s of a %s-byte image) in %.2fs\n", packed.Path, human.Commas(packed.Bytes), packed.Kind,
			human.Commas(r.Bytes), took.Seconds())
		w("sha256     %s (the image's; the %s file's is below)\n", r.SHA256, packed.Kind)
	} else {
		w("built      %s (%s bytes) in %.2fs\n", r.Path, human.Commas(r.Bytes), took.Seconds())
		w("sha256     %s\n", r.SHA256)
	}
	w("media      %s\n", p.LayoutFound)
	if p.UEFIOnly {
		w("%s", uefiOnlyLine(p))
	} else {
		w("syslinux   %s (MaxTransfer %d, RAID %v)\n", p.Syslinux, p.Loader.MaxTransfer, p.Loader.RAID)
	}
	var payload int64
	for _, f := range p.Files {
		payload += f.Size
	}
	table := fmt.Sprintf("MBR type 0x%02X", p.Partition.Type)
	switch {
	case p.GPT != nil:
		table = "GPT EFI system partition " + p.GPT.PartitionGUID.String()
	case p.PartitionOnly:
		table = "partition only"
	}
	w("partition  FAT%d at LBA %d (%s), %s bytes, %d files (%s bytes)\n", p.FAT.Type, p.Partition.StartLBA, table,
		human.Commas(int64(p.Partition.Sectors)*512), len(p.Files), human.Commas(payload))
	w("ks         %s\n", p.KS)
	addedText(w, p)
	if p.ConfigCRLF > 0 {
		w("note       the syslinux.cfg template had %d CR bytes; written with LF line endings only\n", p.ConfigCRLF)
	}
	return b.String()
}

// sectorRanges writes 100-105,200 for a sector list.
func sectorRanges(s []uint32) string {
	var parts []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(s[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", s[i], s[j]))
		}
		i = j + 1
	}
	return fmt.Sprintf("%s (%d sectors)", strings.Join(parts, ","), len(s))
}

// printWarnings prints what the inputs have that a loader reads other than
// as written; under --json they are in the plan instead.
func printWarnings(w io.Writer, warnings []string, asJSON bool) {
	if asJSON {
		return
	}
	for _, m := range warnings {
		fmt.Fprintln(w, "esxi-autopart: warning:", m)
	}
}

// addedText says which modules --add-module put at the end of the boot
// module list.
func addedText(w func(string, ...any), p *builder.Plan) {
	for _, m := range p.Added {
		w("module     %s from %s (%s bytes, sha256 %s) added to the boot module list\n", m.Name, m.Path, human.Commas(m.Bytes), m.SHA256)
	}
}

// uefiOnlyLine stands for the syslinux line of a UEFI-only image.
func uefiOnlyLine(p *builder.Plan) string {
	esp := "EFI system partition (type 0xEF)"
	if p.GPT != nil {
		esp = "GPT EFI system partition"
	}
	return "UEFI-only  boots by UEFI alone: no syslinux, no MBR boot code, " + esp + "\n"
}
