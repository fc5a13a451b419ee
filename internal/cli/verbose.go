package cli

import (
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/fat"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/zerorun"
)

// decisions says, for -v, what build decided for plan p and why: the
// layout, the syslinux release, the FAT type, the sizes and the caches.
func decisions(in *builder.Inputs, f *buildFlags, p *builder.Plan) []string {
	var out []string
	say := func(what, format string, a ...any) {
		out = append(out, fmt.Sprintf("%-9s %s", what, fmt.Sprintf(format, a...)))
	}
	say("layout", "%s: %s", in.Media.Layout, p.LayoutFound)
	tarball := "read from " + in.TarballPath
	if dir := cacheDir("tarballs"); in.TarballCached {
		tarball = "its three files taken from the cache in " + dir + " (same tarball bytes as before)"
	} else if dir != "" {
		tarball += ", its three files kept in the cache in " + dir
	}
	if p.UEFIOnly {
		say("syslinux", "none: %s media are UEFI-only (no isolinux.bin, no mboot.c32); the image boots by UEFI alone", in.Media.Layout)
	} else {
		say("syslinux", "%s, as %s media need; %s", p.Syslinux, in.Media.Layout, tarball)
	}
	for _, m := range p.Added {
		say("module", "%s from %s: added at the end of the boot module list (--add-module)", m.Name, m.Path)
	}
	switch {
	case f.fatType != 0:
		say("fat", "FAT%d: --fat %d", p.FAT.Type, f.fatType)
	case in.Media.FAT != 0:
		say("fat", "FAT%d: %s media get FAT%d, as VMware's USB procedure says (--fat changes it)", p.FAT.Type, in.Media.Layout, in.Media.FAT)
	default:
		say("fat", "FAT%d: the type for %s clusters of this partition (FAT16 up to 1 GiB; --fat changes it)", p.FAT.Type,
			human.Commas(p.FAT.Clusters))
	}
	var payload int64
	for _, fp := range p.Files {
		payload += fp.Size
	}
	part := int64(p.Partition.Sectors) * 512
	if f.size != "" {
		say("size", "partition %s bytes: --size %s, in whole tracks of 63 sectors", human.Commas(part), f.size)
	} else {
		say("size", "partition %s bytes: the payload (%s bytes in %d files) plus %d%% headroom (at least %s MiB), at least %s MiB, "+
			"in whole tracks of 63 sectors (--size changes it)", human.Commas(part), human.Commas(payload), len(p.Files),
			fat.HeadroomPercent, human.Commas(fat.MinHeadroom>>20), human.Commas(fat.MinAutoSectors*512>>20))
	}
	say("clusters", "%s of %s bytes, %s used by the files", human.Commas(p.FAT.Clusters), human.Commas(int(p.FAT.SectorsPerCluster)*512),
		human.Commas(p.FAT.UsedClusters))
	if p.PartitionOnly {
		say("image", "%s bytes: the partition alone (--partition-only)", human.Commas(p.ImageBytes))
	} else {
		say("image", "%s bytes: %s sectors before the partition (--partition-start), then the partition", human.Commas(p.ImageBytes),
			human.Commas(p.Partition.StartLBA))
	}
	return out
}

// zeroNote says, for -v after a write, whether the zero-run cache saved
// hashing (a big partition's free space).
func zeroNote(m *zerorun.Memo) string {
	dir := cacheDir("zeros")
	if dir == "" {
		return fmt.Sprintf("%-9s off (ESXI_AUTOPART_CACHE=off): every zero run was hashed", "zeros")
	}
	if n := m.Hits(); n > 0 {
		return fmt.Sprintf("%-9s %d run(s) of zeros of 64 MiB or more: their hash state taken from %s instead of hashing them", "zeros", n, dir)
	}
	return fmt.Sprintf("%-9s no run of zeros taken from %s (a run of 64 MiB or more is kept there for the next build)", "zeros", dir)
}

// verbose prints -v lines on w, each after "esxi-autopart -v: ".
func verbose(w io.Writer, lines ...string) {
	for _, l := range lines {
		fmt.Fprintln(w, "esxi-autopart -v:", l)
	}
}
