package inspect

// judgeUEFIOnly decides whether the image is UEFI-only: it has nothing of
// a BIOS boot (no MBR boot code, or no MBR at all; no LDLINUX.SYS; no
// syslinux.cfg) but a UEFI path, EFI/BOOT/BOOTX64.EFI with its
// EFI/BOOT/BOOT.CFG. Such an image is judged by UEFI alone: what the BIOS
// path lacks goes into Report.BIOSFaults, not Faults, and it is bootable
// when the UEFI path is complete. An image with mbr.bin or a syslinux.cfg
// was meant to boot by BIOS too, and stays judged by both.
func (in *inspector) judgeUEFIOnly() bool {
	u := in.rep.UEFI
	if in.tree == nil || u == nil || u.Loader == "" || u.BootCfg == "" || in.tree.lookup("/LDLINUX.SYS") != nil ||
		in.rep.Config.Path != "" || in.rep.MBR != nil && in.rep.MBR.BootCode != "empty" {
		return false
	}
	bios := map[int]bool{}
	for _, i := range in.biosFaults {
		bios[i] = true
	}
	faults := []string{}
	in.rep.BIOSFaults = []string{}
	for i, f := range in.rep.Faults {
		if bios[i] {
			in.rep.BIOSFaults = append(in.rep.BIOSFaults, f)
		} else {
			faults = append(faults, f)
		}
	}
	in.rep.Faults, in.rep.UEFIOnly = faults, true
	found := len(u.Modules) > 0
	for _, m := range u.Modules {
		found = found && m.Found
	}
	in.rep.Bootable = len(faults) == 0 && found
	return true
}
