package inspect

import (
	"fmt"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// mbootRun is what mboot would do on one boot path: the boot.cfg it reads,
// the kernel and modules it loads, the kernel's command line, and every
// verdict (faults stop or break the boot; warnings do not).
type mbootRun struct {
	cfgPath string         // the boot.cfg it reads, as found on the disk; "" when none
	modules []ModuleReport // the kernel, then the modules
	cmdline string         // kernelopt= plus the words after mboot's options
	prefix  string         // the folder relative paths are read from
	faults  []string
	warns   []string
}

// mbootFrom says where mboot runs from and how it reads files.
type mbootFrom struct {
	uefi    bool   // mboot.efi started by the firmware (else mboot.c32 on syslinux)
	bootDir string // the loader's folder: relative -c paths start there ("" for the root)
	who     string // names the command line in messages
}

// follow runs mboot's config handling on the image.
func (in *inspector) mbootFollow(from mbootFrom, args mbootArgs) mbootRun {
	var r mbootRun
	for _, n := range args.notes {
		r.faults = append(r.faults, from.who+": "+n.text)
	}
	if len(r.faults) > 0 {
		return r
	}
	if args.pSet {
		in.mbootVolume(&r, from, args.volume)
	}
	name, tries := args.cfg, []string{}
	if name == "" {
		tries = append(tries, mbootPath(from.bootDir, "boot.cfg"))
	} else if mbootAbsolute(name) {
		tries = append(tries, name)
	} else {
		tries = append(tries, mbootPath(from.bootDir, name), mbootPath("/", name))
	}
	var cfg *node
	for _, p := range tries {
		if n, _ := in.mbootOpen(from, args.volume, p); n != nil {
			cfg, r.cfgPath = n, n.path
			break
		}
	}
	if cfg == nil {
		r.faults = append(r.faults, fmt.Sprintf("%s: mboot finds no boot.cfg (looked for %s)", from.who, strings.Join(tries, ", ")))
		return r
	}
	if why := in.mbootHangs(from, args.volume, cfg); why != "" {
		r.faults = append(r.faults, fmt.Sprintf("%s: %s %s", from.who, cfg.path, why))
	}
	data, err := in.vol.readFile(cfg, maxCfgBytes)
	if err != nil {
		r.faults = append(r.faults, err.Error())
		return r
	}
	c := parseMbootCfg(data)
	for _, n := range c.notes {
		msg := fmt.Sprintf("%s line %d: %s", cfg.path, n.line, n.text)
		if n.line == 0 {
			msg = cfg.path + ": " + n.text
		}
		if n.fault {
			r.faults = append(r.faults, msg)
		} else {
			r.warns = append(r.warns, msg)
		}
	}
	if c.failed {
		return r
	}
	r.prefix = mbootDir(cfg.path)
	if p, ok := c.values["prefix"]; ok {
		r.prefix = p
	}
	r.cmdline = strings.TrimSpace(c.values["kernelopt"] + " " + strings.Join(args.extra, " "))
	kname, _ := firstWord(c.values["kernel"])
	names, margs := splitMbootList(c.values["modules"])
	for i, n := range append([]string{kname}, names...) {
		m := ModuleReport{Name: n, Path: mbootPath(r.prefix, n)}
		line, what := c.lineOf["modules"], "module"
		if i == 0 {
			line, what = c.lineOf["kernel"], "kernel"
		} else {
			m.Args = margs[i-1]
		}
		node, why := in.mbootOpen(from, args.volume, m.Path)
		if node != nil {
			m.Path, m.Size, m.Found = node.path, node.size, true
		}
		if why != "" {
			r.faults = append(r.faults, fmt.Sprintf("%s line %d: %s %s %s", cfg.path, line, what, m.Path, why))
		}
		r.modules = append(r.modules, m)
	}
	return r
}

// mbootVolume checks -p N: mboot reads partition N of the boot disk with
// its own FAT reader (libfat), whose FAT32 chain walk is broken.
func (in *inspector) mbootVolume(r *mbootRun, from mbootFrom, n int) {
	switch {
	case n == 0:
		return
	case in.entry == nil:
		r.warns = append(r.warns, fmt.Sprintf("%s: -p %d reads partition %d of the boot disk: right only where this partition is laid as partition %d", from.who, n, n, n))
	case in.entry.Index != n:
		r.faults = append(r.faults, fmt.Sprintf("%s: -p %d reads partition %d of the boot disk, but this FAT partition is partition %d", from.who, n, n, in.entry.Index))
	}
	if in.vol.g.fatType == 32 {
		r.faults = append(r.faults, fmt.Sprintf("%s: -p %d on FAT32: mboot.c32 then reads boot.cfg, the kernel and the modules with its own FAT reader, "+
			"whose FAT32 cluster-chain walk is broken (esx-boot libfat/fatchain.c, every version 6.7u1-9.0): any file longer than one cluster "+
			"is read wrong and the BIOS boot hangs after the menu; leave -p out (mboot then reads through syslinux) or use FAT16", from.who, n))
	}
}

// mbootOpen finds the file mboot would read at p, or says why it would
// not (a node with a reason: found, but read wrong or refused).
func (in *inspector) mbootOpen(from mbootFrom, volume int, p string) (*node, string) {
	p = strings.ReplaceAll(p, `\`, "/")
	if strings.Contains(p, "://") {
		return nil, "is a network path: nothing on this disk"
	}
	if volume != 0 && !from.uefi {
		name := strings.TrimLeft(p, "/")
		if strings.Contains(name, "/") {
			return nil, fmt.Sprintf("is in a folder: mboot -p %d reads the root folder only", volume)
		}
		if !is83(name) {
			return nil, fmt.Sprintf("is not an 8.3 name: mboot -p %d reads 8.3 names only", volume)
		}
		for _, c := range in.tree.root.children {
			if !c.dir && strings.EqualFold(c.short, name) {
				return c, ""
			}
		}
		return nil, "is not in the root folder"
	}
	n := in.tree.lookup(p)
	switch {
	case n == nil:
		return nil, "is not on the disk"
	case n.dir:
		return nil, "is a folder"
	case n.chainErr != nil:
		return nil, "cannot be read: " + n.chainErr.Error()
	case !from.uefi && n.size == 0:
		return n, "is empty: syslinux's file API reports a zero-length file as missing, so mboot.c32 stops"
	}
	return n, in.mbootHangs(from, volume, n)
}

// mbootHangs says why mboot.c32 would never finish loading n through
// SYSLINUX 3.x's file API (bootcfg.WholeSectors), or "".
func (in *inspector) mbootHangs(from mbootFrom, volume int, n *node) string {
	if from.uefi || volume != 0 || in.rep.Loader.Layout != "3.x" || !bootcfg.WholeSectors(n.size) {
		return ""
	}
	return WholeSectorsHang(n.path, n.size)
}

// WholeSectorsHang says why VMware's mboot.c32 (BIOS, reading through
// SYSLINUX 3.x's file API: no -p) never finishes loading the file path of
// size bytes, a whole number of sectors (bootcfg.WholeSectors), and the
// way out.
func WholeSectorsHang(path string, size int64) string {
	return fmt.Sprintf("is %s bytes, a whole number of 512-byte sectors: SYSLINUX 3.86 leaves a file open when a read ends exactly at its end, "+
		"and VMware's mboot.c32 then asks for 0 more sectors forever (the BIOS boot hangs after \"Loading %s\"; UEFI is not affected); "+
		"build with --fat 16 and a --cfg-template whose mboot.c32 APPEND line has -p N, N the partition's number (-p 1 in an image of its own) "+
		"(mboot then reads the files with its own FAT reader)", human.Commas(size), path)
}

// splitMbootList splits a modules= value as find_next_listitem does: at
// every "---" (inside a word too), empty items skipped.
func splitMbootList(v string) (names, args []string) {
	for _, item := range strings.Split(v, "---") {
		if w := strings.Fields(item); len(w) > 0 {
			names, args = append(names, w[0]), append(args, strings.Join(w[1:], " "))
		}
	}
	return names, args
}
