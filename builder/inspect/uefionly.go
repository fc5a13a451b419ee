package inspect

// judgeUEFIOnly decides whether the image is UEFI-only: it has no syslinux
// loader (no LDLINUX.SYS, whatever its boot sector) but a UEFI path,
// EFI/BOOT/BOOTX64.EFI with its EFI/BOOT/BOOT.CFG. Such an image is judged
// by UEFI alone: what the BIOS path lacks goes into Report.BIOSFaults, not
// Faults, and it is bootable when the UEFI path is complete.
func (in *inspector) judgeUEFIOnly() bool {
	u := in.rep.UEFI
	if in.tree == nil || u == nil || u.Loader == "" || u.BootCfg == "" || in.tree.lookup("/LDLINUX.SYS") != nil {
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
