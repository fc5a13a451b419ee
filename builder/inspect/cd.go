package inspect

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/cd"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/layouts"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// CDReport is what InspectCD found on an install CD: the El Torito entries
// as firmware reads them, the loaders' paths through the ISO 9660 tree, and
// the ks= each path hands the installer.
type CDReport struct {
	Bootable  bool        `json:"bootable"` // the BIOS entry (and the UEFI one when present) would reach the kernel with every module
	VolumeID  string      `json:"volume_id"`
	Names     string      `json:"names"`
	Layout    string      `json:"layout,omitempty"`
	Catalog   *cd.Catalog `json:"el_torito"`
	Isolinux  string      `json:"isolinux,omitempty"` // banner of the BIOS boot image
	Paths     []CDPath    `json:"paths"`
	KS        string      `json:"ks"`
	Faults    []string    `json:"faults"`
	Warnings  []string    `json:"warnings"`
	Added     []string    `json:"added,omitempty"`     // --iso: files the CD has and the ISO lacks
	Rewritten []string    `json:"rewritten,omitempty"` // --iso: files whose bytes differ by the host's edit
}

// CDPath is one boot path's view: the config it reads and what it loads.
type CDPath struct {
	Firmware string   `json:"firmware"` // BIOS or UEFI
	Config   string   `json:"config"`   // "BOOT.CFG", "EFI/BOOT/BOOT.CFG", "isolinux.cfg"
	Kernel   string   `json:"kernel"`
	Modules  int      `json:"modules"`
	Missing  []string `json:"missing"`
	KS       string   `json:"ks"`
	// Payload is what this path loads into the guest's RAM before the
	// kernel starts: the loader (mboot.c32, or EFI/BOOT/BOOTX64.EFI),
	// the kernel and every module found, in bytes (as Report.Payload).
	Payload int64 `json:"-"`
}

var isolinuxBanner = regexp.MustCompile(`ISOLINUX [0-9]+\.[0-9]+ [0-9-]+`)

// InspectCD reads the ISO at path as SeaBIOS/OVMF, isolinux, mboot.c32
// and isobounce would. With orig (the original media), every file is
// compared: only the host's edits may differ. The error is non-nil only
// when the ISO cannot be read at all.
func InspectCD(path string, orig *isofs.Image) (*CDReport, error) {
	src, err := cd.Open(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	im := src.ISO
	r := &CDReport{VolumeID: im.VolumeID(), Names: im.Names(), Catalog: src.Catalog, Faults: []string{}, Warnings: []string{}, Paths: []CDPath{}}
	fault := func(f string, a ...any) { r.Faults = append(r.Faults, fmt.Sprintf(f, a...)) }
	warn := func(f string, a ...any) { r.Warnings = append(r.Warnings, fmt.Sprintf(f, a...)) }
	var bios, efi *cd.BootImage
	if src.Catalog == nil {
		fault("no El Torito boot record at sector 17: no firmware boots this CD")
	} else {
		for i := range src.Catalog.Images {
			e := &src.Catalog.Images[i]
			switch {
			case e.Platform == "BIOS" && bios == nil:
				bios = e
			case e.Platform == "UEFI" && efi == nil:
				efi = e
			}
		}
	}
	d, err := layouts.Detect(im)
	if err != nil {
		fault("%v", err)
	} else {
		r.Layout = d.Layout
	}
	if bios == nil {
		fault("El Torito: no BIOS entry: SeaBIOS and other BIOSes boot nothing")
	} else {
		r.checkBIOSImage(src, bios, fault, warn)
	}
	if efi == nil && d != nil && d.Family == 5 {
		warn("El Torito: no UEFI entry: the CD boots by BIOS only")
	}
	if efi != nil {
		r.checkEFIImage(src, efi, fault)
		if _, ok := im.Lookup("EFI/BOOT/BOOTX64.EFI"); !ok {
			fault("UEFI: no EFI/BOOT/BOOTX64.EFI in the ISO 9660 tree for the EFI boot image's isobounce to start")
		}
	}
	if d != nil {
		r.checkPaths(im, d, efi != nil, fault, warn)
	}
	if orig != nil {
		r.compare(im, orig, fault, warn)
	}
	r.Bootable = len(r.Faults) == 0
	return r, nil
}

// checkBIOSImage: no emulation, a file of the tree, its boot info table.
func (r *CDReport) checkBIOSImage(src *cd.Source, e *cd.BootImage, fault, warn func(string, ...any)) {
	switch {
	case !e.Bootable:
		fault("El Torito BIOS entry: not marked bootable (0x88)")
	case e.Media != "no emulation":
		fault("El Torito BIOS entry: %s, isolinux needs no emulation", e.Media)
	case e.Path == "":
		fault("El Torito BIOS entry: sector %d is the start of no file of the tree", e.LBA)
	case e.Size > 1<<20:
		fault("El Torito BIOS entry: %s is %d bytes, not a boot loader", e.Path, e.Size)
	}
	if e.Path == "" || e.Size > 1<<20 {
		return
	}
	bin, err := src.ISO.ReadFile(e.Path, 1<<20)
	if err != nil {
		fault("El Torito BIOS entry: %v", err)
		return
	}
	r.Isolinux = isolinuxBanner.FindString(string(bin))
	if msg := cd.CheckBootInfoTable(bin, e.LBA); msg != "" {
		fault("El Torito BIOS entry %s: %s: isolinux would not find the rest of itself", e.Path, msg)
	}
	if e.Sectors != 4 {
		warn("El Torito BIOS entry: loads %d sectors of 512 bytes; isolinux is mastered with 4", e.Sectors)
	}
}

// checkEFIImage: a FAT image the firmware can mount.
func (r *CDReport) checkEFIImage(src *cd.Source, e *cd.BootImage, fault func(string, ...any)) {
	if e.Path == "" {
		fault("El Torito UEFI entry: sector %d is the start of no file of the tree", e.LBA)
		return
	}
	sec, err := src.ISO.Section(e.Path)
	if err != nil {
		fault("El Torito UEFI entry: %v", err)
		return
	}
	bs := make([]byte, 512)
	if _, err := sec.ReadAt(bs, 0); err != nil && err != io.EOF {
		fault("El Torito UEFI entry %s: %v", e.Path, err)
		return
	}
	if bs[510] != 0x55 || bs[511] != 0xAA || !looksLikeFAT(bs) {
		fault("El Torito UEFI entry %s: not a FAT file system image: the firmware finds no EFI/BOOT/BOOTX64.EFI in it", e.Path)
	}
}

// checkPaths follows isolinux.cfg (BIOS) and each BOOT.CFG (BIOS, UEFI).
func (r *CDReport) checkPaths(im *isofs.Image, d *layouts.Detected, uefi bool, fault, warn func(string, ...any)) {
	if d.Family == 4 {
		mods := append([]string(nil), d.Modules...)
		ks := isolinuxKS(im, d.Label)
		p := CDPath{Firmware: "BIOS", Config: "isolinux.cfg (label " + d.Label + ")", Kernel: d.Kernel, Modules: len(mods), Missing: []string{}, KS: ks}
		p.Payload = cdSize(im, d.Kernel)
		for _, m := range mods {
			st, ok := im.Lookup(m)
			if !ok {
				p.Missing = append(p.Missing, m)
				fault("BIOS: isolinux.cfg: module %s is not on the CD", m)
			}
			p.Payload += st.Size
		}
		r.Paths = append(r.Paths, p)
		r.setKS(ks, im, fault, warn)
		return
	}
	for _, g := range d.Generated {
		fw := "BIOS"
		if strings.Contains(strings.ToUpper(g.Src), "EFI/") {
			if !uefi {
				continue
			}
			fw = "UEFI"
		}
		text, err := im.ReadFile(g.Src, MaxConfigBytes)
		if err != nil {
			fault("%s: %v", fw, err)
			continue
		}
		c := parseMbootCfg(text)
		for _, n := range c.notes {
			if n.fault {
				fault("%s: %s line %d: %s", fw, g.Src, n.line, n.text)
			}
		}
		if c.failed {
			continue
		}
		dir := "/" + path.Dir(g.Src)
		prefix, ok := c.values["prefix"]
		if !ok {
			prefix = dir
		}
		p := CDPath{Firmware: fw, Config: g.Src, Kernel: c.values["kernel"], Missing: []string{}}
		p.KS, _ = bootcfg.OptValue(c.values["kernelopt"], "ks")
		files := []string{c.values["kernel"]}
		if mods := c.values["modules"]; mods != "" {
			ms, _ := bootcfg.SplitModules(mods)
			for _, m := range ms {
				files = append(files, m.Name)
			}
		}
		p.Modules = len(files) - 1
		if fw == "BIOS" {
			p.Payload = cdSize(im, d.Kernel) // mboot.c32, which isolinux loads
		} else {
			p.Payload = cdSize(im, "EFI/BOOT/BOOTX64.EFI") // mboot64.efi, which isobounce starts
		}
		for _, f := range files {
			full := mbootPath(prefix, f)
			st, ok := im.Lookup(full)
			if !ok || st.Size == 0 && fw == "BIOS" {
				p.Missing = append(p.Missing, f)
				fault("%s: %s: %s is not on the CD (as %s)", fw, g.Src, f, full)
			}
			p.Payload += st.Size
		}
		if !strings.Contains(strings.ToLower(" "+c.values["kernelopt"]+" "), " cdromboot ") {
			warn("%s: %s: kernelopt= lacks cdromBoot, which the installer is given when it boots from a CD", fw, g.Src)
		}
		r.Paths = append(r.Paths, p)
	}
	for i, p := range r.Paths {
		if i > 0 && p.KS != r.Paths[0].KS {
			fault("%s's %s gives ks=%s, but %s's %s gives ks=%s", p.Firmware, p.Config, p.KS, r.Paths[0].Firmware, r.Paths[0].Config, r.Paths[0].KS)
		}
	}
	if len(r.Paths) > 0 {
		r.setKS(r.Paths[0].KS, im, fault, warn)
	}
}

// cdSize is the size of the file at p in the CD's tree (0 when absent).
func cdSize(im *isofs.Image, p string) int64 {
	st, _ := im.Lookup(p)
	return st.Size
}

// Payload adds up, per firmware, what the CD's boot paths load into RAM
// (CDPath.Payload; the first path of each firmware), as Report.Payload does
// for a disk.
func (r *CDReport) Payload() Payload {
	var p Payload
	for _, c := range r.Paths {
		switch {
		case c.Firmware == "BIOS" && p.BIOS == 0:
			p.BIOS = c.Payload
		case c.Firmware == "UEFI" && p.UEFI == 0:
			p.UEFI = c.Payload
		}
	}
	return p
}

// isolinuxKS is the ks= word after the first module of label's append
// line in isolinux.cfg (4.x).
func isolinuxKS(im *isofs.Image, label string) string {
	text, err := im.ReadFile("isolinux.cfg", MaxConfigBytes)
	if err != nil {
		return ""
	}
	c, err := layouts.ParseIsolinux(text)
	if err != nil {
		return ""
	}
	for _, l := range c.Labels {
		if l.Name == label {
			if mods, err := layouts.ParseModules(l.Append); err == nil && len(mods) > 0 {
				ks, _ := bootcfg.OptValue(mods[0].Args, "ks")
				return ks
			}
		}
	}
	return ""
}

// setKS records the ks= value and checks a cdrom: kickstart is on the CD.
func (r *CDReport) setKS(ks string, im *isofs.Image, fault, warn func(string, ...any)) {
	r.KS = ks
	switch low := strings.ToLower(ks); {
	case ks == "":
		fault("no ks= on the boot line: the installer would not install unattended")
	case strings.HasPrefix(low, "cdrom:"):
		if _, ok := im.Lookup(ks[len("cdrom:"):]); !ok {
			fault("ks=%s: %s is not on the CD", ks, ks[len("cdrom:"):])
		}
	case low == "usb" || strings.HasPrefix(low, "usb:"):
		warn("ks=%s: the installer looks for the kickstart on a USB medium, not on this CD", ks)
	}
}

// compare checks every file of the original media is on the CD with its
// bytes, except the host's edits.
func (r *CDReport) compare(im, orig *isofs.Image, fault, warn func(string, ...any)) {
	have := map[string]bool{}
	for _, f := range orig.Files() {
		have[strings.ToLower(f.Path)] = true
		g, ok := im.Lookup(f.Path)
		if !ok {
			fault("--iso: %s is not on the CD", f.Path)
			continue
		}
		a, errA := hashISOFile(orig, f.Path)
		b, errB := hashISOFile(im, g.Path)
		if errA != nil || errB != nil {
			fault("--iso: %s: %v %v", f.Path, errA, errB)
			continue
		}
		if a == b {
			continue
		}
		r.Rewritten = append(r.Rewritten, g.Path)
		ob, _ := orig.ReadFile(f.Path, MaxConfigBytes)
		nb, _ := im.ReadFile(g.Path, MaxConfigBytes)
		if ob == nil || nb == nil || !hostEdit(f.Path, ob, nb) {
			warn("--iso: %s differs from the ISO's by more than the host's ks= and network options", g.Path)
		}
	}
	for _, f := range im.Files() {
		if !have[strings.ToLower(f.Path)] {
			r.Added = append(r.Added, f.Path)
			if !strings.EqualFold(f.Path, "KS.CFG") {
				warn("--iso: %s is not on the ISO", f.Path)
			}
		}
	}
}

// hostEdit: a BOOT.CFG edited by CDEdit (or the disk's HostEdit), or an
// isolinux.cfg whose only change is ks= words.
func hostEdit(p string, orig, edited []byte) bool {
	if strings.EqualFold(path.Base(p), "boot.cfg") {
		return bootcfg.IsCDEdit(orig, edited) || bootcfg.IsHostEdit(orig, edited)
	}
	strip := func(b []byte) string {
		var out []string
		for _, w := range strings.Fields(string(b)) {
			if !strings.HasPrefix(strings.ToLower(w), "ks=") {
				out = append(out, w)
			}
		}
		return strings.Join(out, " ")
	}
	return strings.EqualFold(path.Base(p), "isolinux.cfg") && strip(orig) == strip(edited)
}

func hashISOFile(im *isofs.Image, p string) ([32]byte, error) {
	sec, err := im.Section(p)
	if err != nil {
		return [32]byte{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, sec); err != nil {
		return [32]byte{}, err
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s, nil
}

// Text is the report for people.
func (r *CDReport) Text() string {
	var b bytes.Buffer
	w := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	w("install CD %q (%s names), layout %s\n", r.VolumeID, r.Names, orNone(r.Layout))
	if r.Catalog != nil {
		w("El Torito catalog at sector %d\n", r.Catalog.Sector)
		for _, e := range r.Catalog.Images {
			w("  %-4s %s, %d sectors loaded, %s at sector %d (%d bytes)\n", e.Platform, e.Media, e.Sectors, orNone(e.Path), e.LBA, e.Size)
		}
	}
	if r.Isolinux != "" {
		w("BIOS loader  %s\n", r.Isolinux)
	}
	for _, p := range r.Paths {
		w("%-4s %s: kernel %s, %d modules, ks=%s\n", p.Firmware, p.Config, p.Kernel, p.Modules, p.KS)
	}
	if len(r.Rewritten)+len(r.Added) > 0 {
		w("vs the ISO: rewritten %s; added %s\n", orNone(strings.Join(r.Rewritten, ", ")), orNone(strings.Join(r.Added, ", ")))
	}
	for _, x := range r.Warnings {
		w("WARNING %s\n", x)
	}
	for _, x := range r.Faults {
		w("FAULT %s\n", x)
	}
	if r.Bootable {
		w("BOOTABLE: ks=%s\n", r.KS)
	} else {
		w("NOT BOOTABLE: %d fault(s)\n", len(r.Faults))
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
