package inspect

import (
	"fmt"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// Text is a one-screen human summary; faults and warnings come last.
func (r *Report) Text() string {
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }
	verdict := "NOT BOOTABLE"
	if r.Bootable {
		verdict = "bootable"
	}
	if r.UEFIOnly {
		verdict += " by UEFI; not by BIOS (a UEFI-only image: no syslinux)"
	}
	w("Image: %s bytes (%s sectors): %s", human.Commas(r.ImageSize), human.Commas(r.ImageSize/512), verdict)
	if m := r.MBR; m != nil {
		w("MBR: %s, disk signature %08X, 55AA %s", m.BootCode, m.DiskSignature, yesNo(m.Signature))
		for _, e := range m.Entries {
			if e.Type == 0 && e.Sectors == 0 && e.Status == 0 {
				continue
			}
			w("  %d: status %02X type %02X (%s) start %s, %s sectors, CHS %d/%d/%d-%d/%d/%d", e.Index, e.Status, e.Type, e.TypeName,
				human.Commas(e.StartLBA), human.Commas(e.Sectors), e.FirstCHS.Cylinder, e.FirstCHS.Head, e.FirstCHS.Sector,
				e.LastCHS.Cylinder, e.LastCHS.Head, e.LastCHS.Sector)
		}
		esp := "none"
		if m.ESP != 0 {
			esp = fmt.Sprintf("partition %d", m.ESP)
		}
		active := "none"
		if m.Active != 0 {
			active = fmt.Sprintf("partition %d", m.Active)
		}
		if g := m.GPT; g != nil {
			w("GPT: disk %s, primary %s, backup (LBA %s) %s; boot GUID at 0x1A8 %s", g.DiskGUID, okBad(g.PrimaryOK), human.Commas(int64(g.BackupLBA)), okBad(g.BackupOK), g.BootGUID)
			for _, p := range g.Partitions {
				w("  %d: %s %s, LBA %s-%s, attributes %016X, %q, GUID %s", p.Index, p.Type, orDash(p.TypeName), human.Commas(int64(p.FirstLBA)), human.Commas(int64(p.LastLBA)), p.Attributes, p.Name, p.GUID)
			}
			bios := fmt.Sprintf("gptmbr.bin boots partition %d", g.BIOSBoots)
			if m.BootCode == "empty" {
				bios = "no boot code: the BIOS boots nothing"
			}
			w("  firmware view: %s; UEFI's EFI system partition: %d", bios, g.ESP)
		} else {
			w("  firmware view: entries in order and apart %s; BIOS boots the active entry: %s; UEFI's type 0xEF: %s", yesNo(m.InOrder), active, esp)
		}
	} else {
		w("MBR: none (bare partition image)")
	}
	p := r.Partition
	if p.FATType != 0 {
		w("Filesystem: FAT%d at byte %s, %s sectors, %d sectors/cluster, %s clusters, hidden sectors %s, label %q, id %08X",
			p.FATType, human.Commas(p.Offset), human.Commas(p.TotalSectors), p.SectorsPerCluster, human.Commas(p.Clusters), human.Commas(p.HiddenSectors), p.Label, p.VolumeID)
	} else {
		w("Filesystem: unreadable BPB at byte %s", human.Commas(p.Offset))
	}
	l := r.Loader
	if r.UEFIOnly {
		w("Boot sector: no syslinux (UEFI reads files, not boot sectors)")
	} else if l.Layout == "4.x+" {
		w("Boot sector: syslinux 4.x or later (not supported by ESXi's mboot.c32)")
	} else if l.Syslinux {
		w("Boot sector: syslinux, FirstSector %s, MaxTransfer %d, stamp in code %s%s", human.Commas(l.FirstSector), l.MaxTransfer, yesNo(l.StampInBootSector), raidText(l.RAID))
	} else {
		w("Boot sector: not syslinux (jump %s)", l.Jump)
	}
	if l.File != "" || l.Banner != "" {
		w("Loader: %s, %s, %s bytes, attributes %s, clusters %s, sectors %s, checksum %s",
			orDash(l.Banner), orDash(l.File), human.Commas(l.FileSize), orDash(l.Attr), orDash(l.Clusters), orDash(l.FileSectors), okBad(l.ChecksumOK))
	}
	c := r.Config
	if c.Path != "" {
		w("Config: %s (%s bytes, %d CR), default %q, boots %s", c.Path, human.Commas(c.Size), c.CRBytes, c.Default, orDash(c.Boots))
		if c.Serial != "" {
			w("  serial %s (line %d)", c.Serial, c.SerialLine)
		}
		for _, e := range append(c.Labels, derefs(c.Command)...) {
			w("  %s", labelLine(e))
		}
	}
	if r.UEFI != nil {
		b.WriteString(r.UEFI.text())
	}
	var files, dirs int
	var bytes int64
	for _, f := range r.Files {
		if f.Dir {
			dirs++
		} else {
			files++
			bytes += f.Size
		}
	}
	w("Files: %d files (%s bytes) in %d folders", files, human.Commas(bytes), dirs)
	if i := r.ISO; i != nil {
		verdict := "matches"
		if !i.Match {
			verdict = "does NOT match"
		}
		w("ISO: %s (%s); %d missing, %d differ, %d host edits of BOOT.CFG, %d not on the ISO", verdict, orDash(i.Layout),
			len(i.Missing), len(i.Differ), len(i.HostEdits), len(i.NotOnISO))
		if len(i.Added) > 0 {
			w("Added modules (not on the ISO, loaded at boot): %s", strings.Join(i.Added, ", "))
		}
	}
	for _, f := range r.BIOSFaults {
		w("BIOS (not a fault of a UEFI-only image): %s", f)
	}
	for _, f := range r.Faults {
		w("FAULT: %s", f)
	}
	for _, f := range r.Warnings {
		w("warning: %s", f)
	}
	return b.String()
}

func labelLine(e LabelReport) string {
	name := "label " + e.Name
	if e.Name == "" {
		name = "command"
	}
	if e.Localboot != "" && e.Kernel == "" {
		return fmt.Sprintf("%s: localboot %s", name, e.Localboot)
	}
	s := fmt.Sprintf("%s: %s %s", name, e.Kernel, found(e.Found))
	missing := 0
	for _, m := range e.Modules {
		if !m.Found {
			missing++
		}
	}
	switch {
	case e.mboot != nil && len(e.Modules) > 0: // VMware's mboot: the kernel, then the modules
		s += fmt.Sprintf(", kernel %s + %d modules (%d missing)", e.Modules[0].Name, len(e.Modules)-1, missing)
	case len(e.Modules) > 0:
		s += fmt.Sprintf(", %d modules (%d missing)", len(e.Modules), missing)
	}
	if e.BootCfg != "" {
		s += ", -c " + e.BootCfg
	}
	if e.MbootVolume != 0 {
		s += fmt.Sprintf(", -p %d (mboot's own FAT reader)", e.MbootVolume)
	}
	if e.KS != "" {
		s += ", ks=" + e.KS
	}
	if e.MenuBoots != "" {
		s += ", menu boots " + e.MenuBoots
	}
	return s
}

func derefs(e *LabelReport) []LabelReport {
	if e == nil {
		return nil
	}
	return []LabelReport{*e}
}

func raidText(r *bool) string {
	switch {
	case r == nil:
		return ""
	case *r:
		return ", RAID mode (-r)"
	}
	return ""
}

func yesNo(b bool) string { return map[bool]string{true: "yes", false: "no"}[b] }
func okBad(b bool) string { return map[bool]string{true: "ok", false: "bad"}[b] }
func found(b bool) string { return map[bool]string{true: "(found)", false: "(missing)"}[b] }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
