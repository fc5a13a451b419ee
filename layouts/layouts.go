// Package layouts knows the ESXi install media: which layout an ISO has,
// which of its files go onto the automation partition under which FAT
// names, which syslinux release boots them, and the default syslinux.cfg
// template. Adding a layout is adding a Layout value to All.
//
// It must not know how bytes are written: builder plans and writes.
package layouts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
)

// Media is what detection reads; *isofs.Image satisfies it. Media that also
// have a Files() []isofs.File method get a listing in "unknown layout"
// errors; a VolumeID() string method fills Detected.VolumeID.
type Media interface {
	Lookup(path string) (isofs.File, bool)           // case-insensitive
	ReadFile(path string, max int64) ([]byte, error) // whole small file
}

// Copy is one file to copy from the ISO onto the FAT partition.
type Copy struct {
	Src  string // ISO path as on the ISO ("vmkboot.gz")
	Dst  string // FAT path, upper-case 8.3 ("VMKBOOT.GZ")
	Size int64  // bytes
	From string // what names it: "isolinux.cfg line 5 (label \"install\")", "boot.cfg line 7 (modules=)", "the EFI/BOOT folder"
}

// Generated is a file the builder makes per host from a file of the
// media: ESXi 5.x+'s BOOT.CFG and EFI/BOOT/BOOT.CFG with the host's ks=.
type Generated struct {
	Src string // ISO path it is made from ("BOOT.CFG")
	Dst string // FAT path, upper-case 8.3 ("BOOT.CFG", "EFI/BOOT/BOOT.CFG")
	// Render makes the file's bytes from the syslinux.cfg template data
	// (KS, Host, ... and the user's variables); same data, same bytes.
	Render func(data map[string]any) ([]byte, error)
}

// Detected is what Detect found.
type Detected struct {
	Layout     string   // "esxi-4.1", "esxi-4.0", "esxi-7.0" ("esxi-5+" when a 5.x+ version is not readable)
	Version    string   // "4.1", "7.0" ("" when unknown)
	Family     int      // 4, or 5 for 5.x-8.x
	Syslinux   string   // syslinux release the media need: "3.70" (4.x) or "3.86" (5.x+)
	Kernel     string   // "mboot.c32"
	Modules    []string // the module list in boot order ("vmkboot.gz", "vmkernel.gz", ...); 5.x+: boot.cfg's kernel, then its modules
	ModuleArgs []string // parallel to Modules: text after each module name ("" if none)
	Label      string   // the isolinux.cfg label the list came from
	Isolinux   string   // version in isolinux.bin ("3.70 2008-06-30"), "" if not found
	VolumeID   string   // the ISO's volume identifier, for media that have one
	Files      []Copy   // what to copy, in order: kernel, modules, then menu.c32 if present
	Payload    []Copy   // present on the ISO but not booted: imagedd.bz2/.md5, which the 4.x installer reads from the boot medium only for kickstart "install usb"
	Template   string   // default syslinux.cfg template (text/template), see Template4 and Template5
	Found      string   // "ESXi 4.1 (isolinux.cfg: mboot.c32 + 6 modules, 99 MB)"

	// ESXi 5.x+ only.
	BootCfg   string      // boot.cfg as named on the ISO ("BOOT.CFG")
	UEFI      string      // the UEFI loader copied ("EFI/BOOT/BOOTX64.EFI"), "" when the media have none
	FAT       int         // preferred FAT type: 32 (VMware's USB procedure), 0 = by size
	Generated []Generated // per-host files: BOOT.CFG, EFI/BOOT/BOOT.CFG
	Warnings  []string    // what the media have that VMware's mboot reads other than as written ("BOOT.CFG line 3: …")
	// UEFIOnly: the media have no BIOS loaders (isolinux.bin, mboot.c32),
	// only EFI/BOOT/BOOTX64.EFI and EFI/BOOT/BOOT.CFG: the image boots by
	// UEFI alone and needs no syslinux (Syslinux, Template and Kernel of
	// the BIOS chain are empty; BootCfg is EFI/BOOT/BOOT.CFG).
	UEFIOnly bool
}

// Layout is one family of ESXi media.
type Layout struct {
	Name     string // "esxi-4.1"
	Family   int    // 4 or 5
	Syslinux string // syslinux release the media need
	Template string // default syslinux.cfg template
	// Detect returns (nil, nil) when the media are not of this layout, an
	// error when they are but something is missing, else the result.
	Detect func(p *Probe) (*Detected, error)
}

// All is every known layout, tried in order; the first match wins.
var All = []Layout{esxiUEFI, esxi41, esxi40, esxi5}

// Probe is what Detect reads once and every layout looks at.
type Probe struct {
	Media        Media
	IsolinuxPath string    // "isolinux.cfg" as named on the media, "" if absent
	Isolinux     *Isolinux // parsed isolinux.cfg, nil if absent
	IsolinuxText []byte    // its bytes
}

// Detect finds the layout of the media. Errors do not name the ISO itself
// (callers put its path first). An unknown layout is an error saying what
// was found.
func Detect(m Media) (*Detected, error) {
	p := &Probe{Media: m}
	for _, name := range []string{"isolinux.cfg", "isolinux/isolinux.cfg"} {
		f, ok := m.Lookup(name)
		if !ok {
			continue
		}
		text, err := m.ReadFile(f.Path, maxConfigBytes)
		if err != nil {
			return nil, err
		}
		cfg, err := ParseIsolinux(text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		p.IsolinuxPath, p.Isolinux, p.IsolinuxText = f.Path, cfg, text
		break
	}
	for _, l := range All {
		d, err := l.Detect(p)
		if err != nil {
			return nil, fmt.Errorf("%s media: %w", l.Name, err)
		}
		if d != nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("no known ESXi layout: %s", describe(p))
}

// describe says what the media hold, for "no known layout" errors.
func describe(p *Probe) string {
	if p.Isolinux == nil {
		return "no isolinux.cfg; " + rootListing(p.Media)
	}
	var kernels []string
	for _, l := range p.Isolinux.Labels {
		k := "label " + quote(l.Name) + " has "
		switch {
		case l.Kernel != "":
			k += "kernel " + l.Kernel
			if l.Append != "" {
				k += " append " + short(l.Append)
			}
		case l.Localboot != "":
			k += "localboot " + l.Localboot
		default:
			k += "no kernel"
		}
		kernels = append(kernels, k)
	}
	if len(kernels) == 0 {
		return p.IsolinuxPath + " has no labels (default " + quote(p.Isolinux.Default) + ")"
	}
	s := p.IsolinuxPath + ": " + strings.Join(kernels, "; ")
	label := mbootLabel(p.Isolinux)
	label5, cfg5 := bootCfgLabel(p.Isolinux)
	switch {
	case label5 != nil:
		s += fmt.Sprintf(" (ESXi 5.x+ style, line %d: mboot.c32 reads %s, which is not on the ISO)", label5.AppendAt, cfg5)
	case label != nil:
		if _, err := ParseModules(label.Append); err != nil {
			s += fmt.Sprintf(" (line %d: %v)", label.AppendAt, err)
			break
		}
		s += " (an ESXi 4.x-style module list, but without ienviron.vgz/install.vgz (4.1) or ienviron.tgz/image.tgz/install.tgz (4.0))"
	}
	return s
}

// rootListing names the root entries of media that can list their files.
func rootListing(m Media) string {
	lister, ok := m.(interface{ Files() []isofs.File })
	if !ok {
		return "the media cannot be listed"
	}
	seen := map[string]bool{}
	var names []string
	for _, f := range lister.Files() {
		n := f.Path
		if i := strings.IndexByte(n, '/'); i >= 0 {
			n = n[:i+1]
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "the ISO holds no files"
	}
	sort.Strings(names)
	const show = 12
	s := "root holds " + strings.Join(names[:min(show, len(names))], ", ")
	if len(names) > show {
		s += fmt.Sprintf(" and %d more", len(names)-show)
	}
	return s
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// short cuts a long value for messages.
func short(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
