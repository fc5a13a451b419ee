package layouts

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// esxi5 is ESXi 5.0 ... 8.0 media: isolinux.cfg's label runs VMware's
// mboot.c32 with "-c boot.cfg", and boot.cfg names the kernel and modules.
var esxi5 = Layout{Name: "esxi-5+", Family: 5, Syslinux: "3.86", Detect: detect5}

// efiNames are the EFI/BOOT files looked for when the media cannot be
// listed (BOOT.CFG is handled apart).
var efiNames = []string{"BOOTX64.EFI", "BOOTIA32.EFI", "CRYPTO64.EFI", "SAFEBOOT.EFI"}

// esxiVersion finds "ESXi-7.0" in a menu title or volume ID.
var esxiVersion = regexp.MustCompile(`(?i)\bESXi-([0-9]+)\.([0-9]+)`)

// buildVersion finds "7.0" in boot.cfg's build= ("7.0.3-0.20.19193900").
var buildVersion = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.`)

// copier collects the files to copy, once each.
type copier struct {
	media Media
	d     *Detected
	seen  fatNames // FAT paths already listed, and their ISO files
	total int64
}

// add lists the ISO file f under its upper-case 8.3 FAT path; from says
// what names it.
func (c *copier) add(f isofs.File, from string) error {
	dst, err := fatPath(f.Path)
	if err != nil {
		return err
	}
	fresh, err := c.seen.claim(dst, f.Path)
	if err != nil {
		return err
	}
	if fresh {
		c.d.Files = append(c.d.Files, Copy{Src: f.Path, Dst: dst, Size: f.Size, From: from})
		c.total += f.Size
	}
	return nil
}

// detect5 matches media whose isolinux.cfg runs mboot.c32 -c <boot.cfg>.
func detect5(p *Probe) (*Detected, error) {
	if p.Isolinux == nil {
		return nil, nil
	}
	label, cfgArg := bootCfgLabel(p.Isolinux)
	if label == nil {
		return nil, nil
	}
	where := fmt.Sprintf("%s line %d (label %q)", p.IsolinuxPath, label.AppendAt, label.Name)
	if dir := path.Dir(p.IsolinuxPath); dir != "." {
		return nil, fmt.Errorf("%s is in %s/, not the root: only 5.x+ media with isolinux.cfg at the root are supported", p.IsolinuxPath, dir)
	}
	d := &Detected{Family: 5, Syslinux: "3.86", Kernel: "mboot.c32", Label: label.Name, FAT: 32}
	c := &copier{media: p.Media, d: d, seen: fatNames{}}
	kname, _ := split(label.Kernel)
	mboot, ok := p.Media.Lookup(strings.TrimPrefix(kname, "/"))
	if !ok {
		return nil, fmt.Errorf("%s: kernel %s is not on the ISO", where, kname)
	}
	if err := c.add(mboot, where); err != nil {
		return nil, fmt.Errorf("%s: kernel %s: %w", where, kname, err)
	}
	cfgFile, ok := p.Media.Lookup(strings.TrimPrefix(cfgArg, "/"))
	if !ok {
		return nil, nil // not ESXi media after all; Detect's error says why
	}
	d.BootCfg = cfgFile.Path
	bc, refs, err := readBootCfg(p.Media, cfgFile)
	if err != nil {
		return nil, err
	}
	if _, other := bc.Notes(); len(other) > 0 {
		for _, n := range other {
			d.Warnings = append(d.Warnings, cfgFile.Path+" "+n)
		}
	}
	for i, r := range refs {
		if err := c.addRef(cfgFile.Path, r); err != nil {
			return nil, err
		}
		name, args := strings.TrimPrefix(r.Name, "/"), r.Args
		if i == 0 {
			args = "" // kernelopt= is edited apart, per host
		}
		d.Modules, d.ModuleArgs = append(d.Modules, name), append(d.ModuleArgs, args)
	}
	if err := c.addMenu(p, where); err != nil {
		return nil, err
	}
	gen, err := generated(cfgFile, bc)
	if err != nil {
		return nil, err
	}
	d.Generated = append(d.Generated, gen)
	if err := c.addEFI(); err != nil {
		return nil, err
	}
	for _, g := range d.Generated {
		if _, ok := c.seen[g.Dst]; ok {
			return nil, fmt.Errorf("%s: boot.cfg names %s as a file to load, but it is the config the builder rewrites per host", g.Src, g.Src)
		}
	}
	d.Isolinux = isolinuxVersion(p.Media, "")
	d.VolumeID = volumeID(p.Media)
	d.Version = version5(p.Isolinux.Title, d.VolumeID, bc)
	d.Layout = "esxi-5+"
	if d.Version != "" {
		d.Layout = "esxi-" + d.Version
	}
	var gone []string
	if d.Template, gone, err = template5(p.IsolinuxText, label.AppendAt); err != nil {
		return nil, fmt.Errorf("%s: %w", p.IsolinuxPath, err)
	}
	for _, g := range gone {
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s: APPEND has %s, which mboot would pass to the kernel beside kernelopt=: removed, the host's value is in %s", where, g, cfgFile.Path))
	}
	for _, k := range kernelKeys {
		if v, ok := bootcfg.OptValue(bc.KernelOpt(), k); ok {
			l, _ := bc.Get("kernelopt")
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s line %d: kernelopt= has %s=%s: a host's %s replaces it", cfgFile.Path, l.N, k, v, k))
		}
	}
	d.Found = found5(d, c.total, len(refs)-1)
	return d, nil
}

// readBootCfg reads, parses and resolves a boot.cfg of the media.
func readBootCfg(m Media, f isofs.File) (*bootcfg.File, []bootcfg.Ref, error) {
	text, err := m.ReadFile(f.Path, bootcfg.MaxBytes)
	if err != nil {
		return nil, nil, err
	}
	bc, err := bootcfg.Parse(text)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	if fatal, _ := bc.Notes(); len(fatal) > 0 {
		return nil, nil, fmt.Errorf("%s %s; the installer would not boot from this boot.cfg: fix it on the ISO", f.Path, strings.Join(fatal, "; "))
	}
	dir := path.Dir(f.Path)
	if dir == "." {
		dir = ""
	}
	refs, err := bc.Files(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return bc, refs, nil
}

// addRef lists a file boot.cfg names; its absence is an error naming the
// line, and a name that differs only by "-" and "_" is pointed out.
func (c *copier) addRef(cfgPath string, r bootcfg.Ref) error {
	f, ok := c.media.Lookup(r.Path)
	if !ok {
		hint := ""
		for _, alt := range []string{strings.ReplaceAll(r.Path, "-", "_"), strings.ReplaceAll(r.Path, "_", "-")} {
			if g, ok := c.media.Lookup(alt); ok && alt != r.Path {
				hint = fmt.Sprintf(" (it has %s: the ISO's names differ from boot.cfg's)", g.Path)
			}
		}
		return fmt.Errorf("%s line %d: %s= names %s, which the ISO lacks%s", cfgPath, r.Line, r.Key, r.Name, hint)
	}
	if err := c.add(f, fmt.Sprintf("%s line %d (%s=)", cfgPath, r.Line, r.Key)); err != nil {
		return fmt.Errorf("%s line %d: %s= names %s: %w", cfgPath, r.Line, r.Key, r.Name, err)
	}
	return nil
}

// addMenu lists menu.c32: required when isolinux.cfg's DEFAULT or UI runs
// a .c32 module, optional otherwise.
func (c *copier) addMenu(p *Probe, where string) error {
	name, required := "menu.c32", false
	if w, _ := split(p.Isolinux.Default); strings.HasSuffix(strings.ToLower(w), ".c32") {
		name, required = strings.TrimPrefix(w, "/"), true
	}
	f, ok := c.media.Lookup(name)
	if !ok {
		if required {
			return fmt.Errorf("%s: DEFAULT %s, which is not on the ISO", p.IsolinuxPath, name)
		}
		return nil
	}
	if err := c.add(f, where); err != nil {
		return fmt.Errorf("%s: %s: %w", where, name, err)
	}
	return nil
}

// addEFI lists EFI/BOOT: its loaders as they are, the files its BOOT.CFG
// names, and BOOT.CFG itself as a per-host file.
func (c *copier) addEFI() error {
	var names []string
	if l, ok := c.media.(interface{ Files() []isofs.File }); ok {
		for _, f := range l.Files() {
			if dir, base := path.Split(f.Path); strings.EqualFold(dir, "EFI/BOOT/") {
				names = append(names, base)
			}
		}
	} else {
		names = append(names, efiNames...)
	}
	for _, n := range names {
		f, ok := c.media.Lookup("EFI/BOOT/" + n)
		if !ok || strings.EqualFold(n, "BOOT.CFG") {
			continue
		}
		if err := c.add(f, "the EFI/BOOT folder"); err != nil {
			return fmt.Errorf("EFI loader: %w", err)
		}
		if strings.EqualFold(n, "BOOTX64.EFI") {
			c.d.UEFI, _ = fatPath(f.Path)
		}
	}
	f, ok := c.media.Lookup("EFI/BOOT/BOOT.CFG")
	if !ok {
		return nil
	}
	bc, refs, err := readBootCfg(c.media, f)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if err := c.addRef(f.Path, r); err != nil {
			return err
		}
	}
	gen, err := generated(f, bc)
	if err != nil {
		return err
	}
	c.d.Generated = append(c.d.Generated, gen)
	return nil
}

// generated is the per-host copy of a boot.cfg: kernelopt= gets ks= (the
// template data's KS) and the network options the user's variables set
// (ip, netmask, gateway, nameserver, netdevice, vlanid), and loses
// cdromBoot; every other line keeps its bytes.
func generated(f isofs.File, bc *bootcfg.File) (Generated, error) {
	dst, err := fatPath(f.Path)
	if err != nil {
		return Generated{}, err
	}
	render := func(data map[string]any) ([]byte, error) {
		var set []bootcfg.Opt
		if ks, _ := data["KS"].(string); ks != "" {
			set = append(set, bootcfg.Opt{Key: "ks", Value: ks})
		}
		for _, k := range bootcfg.NetKeys {
			if v, _ := data[k].(string); v != "" {
				set = append(set, bootcfg.Opt{Key: k, Value: v})
			}
		}
		out, err := bootcfg.HostEdit(bc, set)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dst, err)
		}
		return out.Bytes(), nil
	}
	return Generated{Src: f.Path, Dst: dst, Render: render}, nil
}

// bootCfgLabel returns the label that runs mboot.c32 with "-c FILE" (the
// DEFAULT label if it is one, else the first) and FILE.
func bootCfgLabel(c *Isolinux) (*Label, string) {
	var first *Label
	var firstCfg string
	for i := range c.Labels {
		l := &c.Labels[i]
		k, _ := split(l.Kernel)
		fields := strings.Fields(l.Append)
		if strings.ToLower(path.Base(k)) != "mboot.c32" || len(fields) < 2 || fields[0] != "-c" {
			continue
		}
		if strings.EqualFold(l.Name, c.Default) {
			return l, fields[1]
		}
		if first == nil {
			first, firstCfg = l, fields[1]
		}
	}
	return first, firstCfg
}

// version5 reads "7.0" from the menu title, the volume ID or build=.
func version5(title, volID string, bc *bootcfg.File) string {
	for _, s := range []string{title, volID} {
		if m := esxiVersion.FindStringSubmatch(s); m != nil {
			if major, _ := strconv.Atoi(m[1]); major >= 5 {
				return m[1] + "." + m[2]
			}
		}
	}
	if l, ok := bc.Get("build"); ok {
		if m := buildVersion.FindStringSubmatch(l.Value); m != nil {
			if major, _ := strconv.Atoi(m[1]); major >= 5 {
				return m[1] + "." + m[2]
			}
		}
	}
	return ""
}

// found5 is the one-line summary of 5.x+ media.
func found5(d *Detected, total int64, modules int) string {
	s := "ESXi " + d.Version
	if d.Version == "" {
		s = "ESXi 5.x or later (version not readable)"
	}
	s += " ("
	if d.VolumeID != "" {
		s += "volume " + d.VolumeID + "; "
	}
	s += fmt.Sprintf("%s: %s + %d modules, %s to copy", d.BootCfg, d.Modules[0], modules, megabytes(total))
	if d.UEFIOnly {
		s += "; " + uefiOnlyFound(d)
	} else if d.UEFI != "" {
		s += "; UEFI: " + d.UEFI
		if len(d.Generated) < 2 {
			s += " without EFI/BOOT/BOOT.CFG"
		}
	} else {
		s += "; no UEFI loader"
	}
	if d.Isolinux != "" {
		s += "; isolinux " + strings.Fields(d.Isolinux)[0]
	}
	return s + ")"
}

// fatPath maps an ISO path to its FAT path: each part upper-case 8.3.
func fatPath(p string) (string, error) {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		up, err := dos83(part)
		if err != nil {
			return "", err
		}
		parts[i] = up
	}
	return strings.Join(parts, "/"), nil
}
