package inspect

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// UEFIReport is the UEFI boot path of an ESXi 5.x+ image: the firmware
// starts EFI/BOOT/BOOTX64.EFI (VMware's mboot.efi) from the FAT partition,
// and it reads EFI/BOOT/BOOT.CFG, never syslinux.cfg.
type UEFIReport struct {
	Loader     string         `json:"loader"`      // "/EFI/BOOT/BOOTX64.EFI"; "" when absent
	LoaderSize int64          `json:"loader_size"` // bytes
	PE         string         `json:"pe"`          // "PE32+ x86-64 EFI application", or what it is instead
	BootCfg    string         `json:"boot_cfg"`    // "/EFI/BOOT/BOOT.CFG"; "" when absent
	KernelOpt  string         `json:"kernelopt"`   // its kernelopt= value
	KS         string         `json:"ks"`          // the ks= value in kernelopt=
	Modules    []ModuleReport `json:"modules"`     // the kernel, then the modules
}

// UEFI loader and config paths, as the firmware and mboot.efi look for them.
const (
	uefiLoader  = "/EFI/BOOT/BOOTX64.EFI"
	uefiBootCfg = "/EFI/BOOT/BOOT.CFG"
	peHeadBytes = 4096 // bytes of the loader read to check its PE header
)

// checkUEFI follows the UEFI path when the image has one, and checks that
// BIOS and UEFI boots would start the same installation.
func (in *inspector) checkUEFI() {
	in.checkBIOSBootCfg()
	ld, cfg := in.tree.lookup(uefiLoader), in.tree.lookup(uefiBootCfg)
	if ld == nil && cfg == nil {
		return
	}
	u := &UEFIReport{}
	in.rep.UEFI = u
	// With EFI/BOOT/BOOT.CFG the image is meant to boot by UEFI too, and a
	// broken UEFI path is a fault; a lone loader is only worth a warning.
	say := in.warn
	if cfg != nil && !cfg.dir {
		say = in.fault
	}
	if ld == nil || ld.dir {
		in.warn("%s exists but %s does not: the image does not boot by UEFI", uefiBootCfg, uefiLoader)
	} else {
		u.Loader, u.LoaderSize = ld.path, ld.size
		u.PE = in.peKind(ld)
		if u.PE != peEFIApp {
			say("%s is %s, not a %s: UEFI firmware would not start it", ld.path, u.PE, peEFIApp)
		}
	}
	if cfg == nil || cfg.dir {
		if ld != nil {
			in.warn("%s has no %s beside it: VMware's mboot.efi would find no kernel to load", uefiLoader, uefiBootCfg)
		}
		return
	}
	if ld == nil || ld.dir {
		return
	}
	// The firmware starts the loader with no options: mboot.efi reads
	// boot.cfg from its own folder only, never /BOOT.CFG.
	r := in.mbootFollow(mbootFrom{uefi: true, bootDir: mbootDir(ld.path), who: ld.path}, mbootArgs{})
	for _, f := range r.faults {
		say("UEFI: %s", f)
	}
	for _, w := range r.warns {
		in.warn("UEFI: %s", w)
	}
	u.BootCfg, u.Modules = r.cfgPath, r.modules
	u.KernelOpt, u.KS = r.cmdline, ksValue(r.cmdline)
	if u.BootCfg == "" || len(r.faults) > 0 {
		return
	}
	in.checkKernelOpt(u.BootCfg, u.KernelOpt)
	in.compareBootPaths(u)
}

// peEFIApp is what a UEFI x86-64 loader must be.
const peEFIApp = "PE32+ x86-64 EFI application"

// peKind reads the loader's headers: MZ, the PE signature at e_lfanew,
// the COFF machine and the optional header's magic and subsystem.
func (in *inspector) peKind(n *node) string {
	if n.chainErr != nil {
		return "unreadable (" + n.chainErr.Error() + ")"
	}
	var head []byte
	err := in.vol.readChain(n.clusters, min(n.size, peHeadBytes), func(b []byte) error { head = append(head, b...); return nil })
	if err != nil {
		return "unreadable (" + err.Error() + ")"
	}
	if len(head) < 0x40 || head[0] != 'M' || head[1] != 'Z' {
		return "not a PE image (no MZ header)"
	}
	pe := int(binary.LittleEndian.Uint32(head[0x3C:])) // e_lfanew
	if pe < 0x40 || pe+24+70 > len(head) || string(head[pe:pe+4]) != "PE\x00\x00" {
		return "not a PE image (no PE signature where e_lfanew points)"
	}
	machine := binary.LittleEndian.Uint16(head[pe+4:])    // COFF Machine
	magic := binary.LittleEndian.Uint16(head[pe+24:])     // optional header Magic
	subsystem := binary.LittleEndian.Uint16(head[pe+92:]) // optional header Subsystem (offset 68)
	var kind []string
	switch magic {
	case 0x20B:
		kind = append(kind, "PE32+")
	case 0x10B:
		kind = append(kind, "PE32")
	default:
		kind = append(kind, fmt.Sprintf("PE with optional header magic %#x", magic))
	}
	switch machine {
	case 0x8664:
		kind = append(kind, "x86-64")
	case 0x14C:
		kind = append(kind, "i386")
	case 0xAA64:
		kind = append(kind, "arm64")
	default:
		kind = append(kind, fmt.Sprintf("machine %#x", machine))
	}
	switch subsystem {
	case 10:
		kind = append(kind, "EFI application")
	case 11, 12:
		kind = append(kind, "EFI driver")
	default:
		kind = append(kind, fmt.Sprintf("subsystem %d program", subsystem))
	}
	return strings.Join(kind, " ")
}

// checkBIOSBootCfg checks the kernelopt= of the boot.cfg the BIOS path's
// default entry reads (mboot.c32 -c), when there is one.
func (in *inspector) checkBIOSBootCfg() {
	if e := in.bootingLabel(); e != nil && e.mboot != nil && e.mboot.cfgPath != "" {
		in.checkKernelOpt(e.mboot.cfgPath, e.mboot.cmdline)
	}
}

// checkKernelOpt warns about kernel options that do not suit a disk boot.
func (in *inspector) checkKernelOpt(where, opt string) {
	for _, w := range strings.FieldsFunc(opt, isSpace) {
		if strings.EqualFold(w, "cdromBoot") {
			in.warn("%s: kernelopt= has cdromBoot: the installer would look for its CD-ROM, not this disk", where)
		}
	}
}

// compareBootPaths warns when BIOS and UEFI boots would differ.
func (in *inspector) compareBootPaths(u *UEFIReport) {
	e := in.bootingLabel()
	if e == nil || e.mboot == nil || len(e.mboot.faults) > 0 {
		return
	}
	if e.KS != u.KS {
		in.warn("the BIOS path boots with ks=%s, the UEFI path (%s) with ks=%s: the two would install differently", orDash(e.KS), u.BootCfg, orDash(u.KS))
	}
	var bios, uefi []string
	for _, m := range e.Modules {
		bios = append(bios, strings.ToUpper(m.Path))
	}
	for _, m := range u.Modules {
		uefi = append(uefi, strings.ToUpper(m.Path))
	}
	if strings.Join(bios, " ") != strings.Join(uefi, " ") {
		in.warn("the BIOS path loads %d files (%s), the UEFI path %d (%s): they differ", len(bios), e.BootCfg, len(uefi), u.BootCfg)
	}
}

// bootingLabel is the label the BIOS path boots with no key press.
func (in *inspector) bootingLabel() *LabelReport {
	cr := &in.rep.Config
	i := strings.LastIndex(cr.Boots, "label ")
	if i < 0 {
		return nil
	}
	name := cr.Boots[i+len("label "):]
	for k := range cr.Labels {
		if cr.Labels[k].Name == name {
			return &cr.Labels[k]
		}
	}
	return nil
}

// is83 reports whether name is a valid upper- or lower-case 8.3 name.
func is83(name string) bool {
	base, ext, _ := strings.Cut(name, ".")
	if base == "" || len(base) > 8 || len(ext) > 3 || strings.Contains(ext, ".") {
		return false
	}
	for _, r := range base + ext {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'()-@^_`{}~", r)) {
			return false
		}
	}
	return true
}

// text is the UEFI part of Report.Text.
func (u *UEFIReport) text() string {
	var b strings.Builder
	if u.Loader != "" {
		fmt.Fprintf(&b, "UEFI: %s (%s bytes, %s)", u.Loader, human.Commas(u.LoaderSize), u.PE)
	} else {
		b.WriteString("UEFI: no " + uefiLoader)
	}
	if u.BootCfg != "" {
		missing := 0
		for _, m := range u.Modules {
			if !m.Found {
				missing++
			}
		}
		fmt.Fprintf(&b, ", %s: %d modules (%d missing), ks=%s", u.BootCfg, max(len(u.Modules)-1, 0), missing, orDash(u.KS))
	}
	return b.String() + "\n"
}

// checkESPType warns when an MBR image carries a UEFI loader in a partition
// whose type is not 0xEF: the UEFI specification names 0xEF for an EFI
// system partition on an MBR disk, and some boards offer an MBR FAT
// partition for UEFI boot only with that type (OVMF takes any FAT type).
func (in *inspector) checkESPType() {
	e := in.entry
	if in.rep.UEFI == nil || in.rep.UEFI.Loader == "" || e == nil || in.rep.MBR == nil || e.Type == 0xEF || e.Type == 0xEE {
		return
	}
	in.warn("partition %d: type 0x%02X (%s), not 0xEF (EFI system): firmware that boots an MBR disk by UEFI may offer only a type 0xEF partition (build with --part-type 0xEF, the default for media with a UEFI loader)",
		e.Index, e.Type, e.TypeName)
}
