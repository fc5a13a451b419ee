package layouts

import (
	"fmt"
	"path"
	"strings"
)

// esxiUEFI is ESXi media without BIOS loaders: no isolinux.bin and no
// mboot.c32, but EFI/BOOT/BOOTX64.EFI (VMware's mboot.efi) and the
// EFI/BOOT/BOOT.CFG it reads. VMware has announced the end of legacy BIOS
// support; such media boot by UEFI alone, so their image needs no syslinux.
var esxiUEFI = Layout{Name: "esxi-uefi", Family: 5, Detect: detectUEFIOnly}

// biosLoaders are the files a BIOS boot of 5.x+ media starts from.
var biosLoaders = []string{"isolinux.bin", "mboot.c32"}

// detectUEFIOnly matches media with the UEFI loader and its BOOT.CFG and
// neither BIOS loader at the root.
func detectUEFIOnly(p *Probe) (*Detected, error) {
	if _, ok := p.Media.Lookup("EFI/BOOT/BOOTX64.EFI"); !ok {
		return nil, nil
	}
	cfgFile, ok := p.Media.Lookup("EFI/BOOT/BOOT.CFG")
	if !ok {
		return nil, nil
	}
	dir := "."
	if p.IsolinuxPath != "" {
		dir = path.Dir(p.IsolinuxPath)
	}
	for _, n := range biosLoaders {
		if _, ok := p.Media.Lookup(n); ok {
			return nil, nil
		}
		if _, ok := p.Media.Lookup(path.Join(dir, n)); ok {
			return nil, nil
		}
	}
	d := &Detected{Family: 5, FAT: 32, UEFIOnly: true, BootCfg: cfgFile.Path}
	c := &copier{media: p.Media, d: d, seen: fatNames{}}
	if err := c.addEFI(); err != nil {
		return nil, err
	}
	bc, refs, err := readBootCfg(p.Media, cfgFile)
	if err != nil {
		return nil, err
	}
	for i, r := range refs {
		args := r.Args
		if i == 0 {
			args = ""
		}
		d.Modules, d.ModuleArgs = append(d.Modules, strings.TrimPrefix(r.Path, "/")), append(d.ModuleArgs, args)
	}
	d.VolumeID = volumeID(p.Media)
	d.Version = version5("", d.VolumeID, bc)
	d.Layout = "esxi-5+"
	if d.Version != "" {
		d.Layout = "esxi-" + d.Version
	}
	_, other := bc.Notes()
	for _, n := range other {
		d.Warnings = append(d.Warnings, cfgFile.Path+" "+n)
	}
	d.Found = found5(d, c.total, len(refs)-1)
	return d, nil
}

// uefiOnlyFound is the summary's note for UEFI-only media.
func uefiOnlyFound(d *Detected) string {
	return fmt.Sprintf("UEFI-only: no %s; boots by UEFI through %s", strings.Join(biosLoaders, " or "), d.UEFI)
}
