package inspect

import "strings"

// Payload is what the image's default boot loads into the guest's RAM
// before the kernel starts, by firmware: the loader module or EFI
// application, the kernel and every module it names, in bytes. VMware's
// mboot (and syslinux's) read every module into memory first, so a boot
// needs at least this much RAM; 0 when the boot path names nothing.
type Payload struct {
	BIOS int64 `json:"bios"` // the no-key-press entry of syslinux.cfg: its kernel (mboot.c32) and modules
	UEFI int64 `json:"uefi"` // EFI/BOOT/BOOTX64.EFI and what EFI/BOOT/BOOT.CFG names
}

// Payload adds up the sizes of the files each firmware's default boot
// loads.
func (r *Report) Payload() Payload {
	var p Payload
	if e := r.bootEntry(); e != nil {
		p.BIOS = e.KernelSize + modulesSize(e.Modules)
	}
	if u := r.UEFI; u != nil {
		p.UEFI = u.LoaderSize + modulesSize(u.Modules)
	}
	return p
}

// bootEntry is the entry syslinux boots without a key press (through the
// menu's default label), or nil.
func (r *Report) bootEntry() *LabelReport {
	c := &r.Config
	i := strings.LastIndex(c.Boots, "label ")
	if i < 0 {
		return c.Command
	}
	name := c.Boots[i+len("label "):]
	for k := range c.Labels {
		if c.Labels[k].Name == name {
			return &c.Labels[k]
		}
	}
	return nil
}

func modulesSize(ms []ModuleReport) int64 {
	var n int64
	for _, m := range ms {
		n += m.Size
	}
	return n
}
