package layouts

import (
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Template4 is the default syslinux.cfg for ESXi 4.x media: the automation
// partition procedure's file (prompt, timeout, ks= after the first module,
// a localboot 0x80 safety label). Data fields:
//
//	.Serial      bool              first line "serial 0 115200" (console on COM1)
//	.Timeout     int               tenths of a second (default 50)
//	.Kernel      string            Detected.Kernel ("mboot.c32")
//	.FirstModule string            Detected.Modules[0] ("vmkboot.gz")
//	.Modules     []string          the rest of the module list, each "name args" as on the ISO
//	.KS          string            kickstart location ("usb", "http://host/ks.cfg")
//	.Host        string            host name
//	.Vars        map[string]string user variables
//
//go:embed templates/esxi4.tmpl
var Template4 string

var (
	esxi41 = Layout{Name: "esxi-4.1", Family: 4, Syslinux: "3.70", Template: Template4,
		Detect: func(p *Probe) (*Detected, error) { return detect4(p, "4.1") }}
	esxi40 = Layout{Name: "esxi-4.0", Family: 4, Syslinux: "3.70", Template: Template4,
		Detect: func(p *Probe) (*Detected, error) { return detect4(p, "4.0") }}
)

// markers4 are module names that tell 4.1 from 4.0 media.
var markers4 = map[string][]string{
	"4.1": {"ienviron.vgz", "install.vgz"},
	"4.0": {"ienviron.tgz", "image.tgz", "install.tgz"},
}

// isolinuxBanner finds the version in isolinux.bin.
var isolinuxBanner = regexp.MustCompile(`ISOLINUX ([0-9]+\.[0-9]+) ([0-9]{4}-[0-9]{2}-[0-9]{2})`)

// detect4 matches 4.x media of the given version: an isolinux.cfg label
// with "kernel mboot.c32" and an APPEND module list split by "---" (not
// "-c boot.cfg"), whose module names carry the version's markers.
func detect4(p *Probe, version string) (*Detected, error) {
	if p.Isolinux == nil {
		return nil, nil
	}
	label := mbootLabel(p.Isolinux)
	if label == nil {
		return nil, nil
	}
	mods, err := ParseModules(label.Append)
	if err != nil {
		return nil, nil // not a module list after all; described by Detect
	}
	if versionOf(mods) != version {
		return nil, nil
	}
	where := fmt.Sprintf("%s line %d (label %q)", p.IsolinuxPath, label.AppendAt, label.Name)
	dir := path.Dir(p.IsolinuxPath)
	d := &Detected{Layout: "esxi-" + version, Version: version, Family: 4, Syslinux: "3.70",
		Kernel: "mboot.c32", Label: label.Name, Template: Template4}
	seen := fatNames{}
	add := func(list *[]Copy, name, what string, required bool) error {
		f, ok := p.Media.Lookup(path.Join(dir, name))
		if !ok {
			if required {
				return fmt.Errorf("%s: %s %s is not on the ISO", where, what, name)
			}
			return nil
		}
		dst, err := dos83(path.Base(f.Path))
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", where, what, name, err)
		}
		fresh, err := seen.claim(dst, f.Path)
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", where, what, name, err)
		}
		if fresh {
			c := Copy{Src: f.Path, Dst: dst, Size: f.Size}
			if list == &d.Files {
				c.From = where // the payload is copied by name, not because a line names it
			}
			*list = append(*list, c)
		}
		return nil
	}
	if err := add(&d.Files, "mboot.c32", "kernel", true); err != nil {
		return nil, err
	}
	var total int64
	for _, m := range mods {
		args, gone := dropOpts(m.Args, []string{"ks"})
		for _, g := range gone {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s: module %s has %s: the host's ks= replaces it (the installer would read the first of two)", where, m.Name, g))
		}
		d.Modules = append(d.Modules, m.Name)
		d.ModuleArgs = append(d.ModuleArgs, args)
		if err := add(&d.Files, m.Name, "module", true); err != nil {
			return nil, err
		}
	}
	if err := add(&d.Files, "menu.c32", "menu module", false); err != nil {
		return nil, err
	}
	for _, name := range []string{"imagedd.bz2", "imagedd.md5"} {
		if err := add(&d.Payload, name, "installer image", false); err != nil {
			return nil, err
		}
	}
	for _, c := range d.Files {
		total += c.Size
	}
	d.Isolinux = isolinuxVersion(p.Media, dir)
	d.VolumeID = volumeID(p.Media)
	d.Found = "ESXi " + version + " ("
	if d.VolumeID != "" {
		d.Found += "volume " + d.VolumeID + "; "
	}
	d.Found += fmt.Sprintf("%s: mboot.c32 + %d modules, %s to copy", p.IsolinuxPath, len(mods), megabytes(total))
	if d.Isolinux != "" {
		d.Found += "; isolinux " + strings.Fields(d.Isolinux)[0]
	}
	d.Found += ")"
	return d, nil
}

// isolinuxVersion reads "3.70 2008-06-30" from dir/isolinux.bin ("" when
// the file or the banner is missing).
func isolinuxVersion(m Media, dir string) string {
	bin, ok := m.Lookup(path.Join(dir, "isolinux.bin"))
	if !ok {
		return ""
	}
	b, err := m.ReadFile(bin.Path, 1<<20)
	if err != nil {
		return ""
	}
	if v := isolinuxBanner.FindSubmatch(b); v != nil {
		return string(v[1]) + " " + string(v[2])
	}
	return ""
}

// volumeID is the media's volume identifier, for media that have one.
func volumeID(m Media) string {
	if v, ok := m.(interface{ VolumeID() string }); ok {
		return v.VolumeID()
	}
	return ""
}

// mbootLabel returns the label that loads mboot.c32 with a "---" module
// list: the DEFAULT label if it is one, else the first.
func mbootLabel(c *Isolinux) *Label {
	var first *Label
	for i := range c.Labels {
		l := &c.Labels[i]
		k := strings.ToLower(path.Base(strings.TrimSpace(l.Kernel)))
		fields := strings.Fields(l.Append)
		if k != "mboot.c32" || len(fields) == 0 || fields[0] == "-c" || !slices.Contains(fields, "---") {
			continue
		}
		if strings.EqualFold(l.Name, c.Default) {
			return l
		}
		if first == nil {
			first = l
		}
	}
	return first
}

// versionOf tells 4.1 from 4.0 by marker module names ("" if neither).
func versionOf(mods []Module) string {
	has := map[string]bool{}
	for _, m := range mods {
		has[strings.ToLower(path.Base(m.Name))] = true
	}
	for _, v := range []string{"4.1", "4.0"} {
		for _, name := range markers4[v] {
			if has[name] {
				return v
			}
		}
	}
	return ""
}

// dos83 returns the upper-case 8.3 FAT name of an ISO file name. Case is
// folded in ASCII only, as FAT short names and syslinux compare them:
// strings.ToUpper would turn "ı" or "ſ" into an ASCII letter and give the
// file a name its loader config does not use.
func dos83(name string) (string, error) {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return "", fmt.Errorf("%q has the non-ASCII byte 0x%02X: it has no 8.3 name (syslinux 3.x reads only 8.3 names)", name, name[i])
		}
	}
	up := upperASCII(name)
	base, ext, _ := strings.Cut(up, ".")
	if base == "" || len(base) > 8 || len(ext) > 3 || strings.Contains(ext, ".") {
		return "", fmt.Errorf("%q is not an 8.3 name (syslinux 3.x reads only 8.3 names)", name)
	}
	for _, r := range base + ext {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'()-@^_`{}~", r)) {
			return "", fmt.Errorf("%q has %q, not allowed in an 8.3 name", name, r)
		}
	}
	return up, nil
}

// megabytes formats n bytes as "98.3 MB" (decimal megabytes).
func megabytes(n int64) string {
	if n < 1e6 {
		return fmt.Sprintf("%d KB", (n+999)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// upperASCII upper-cases a-z only.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// fatNames records which ISO file each FAT path comes from, so that two
// ISO files never land on one FAT name (the second would be dropped and a
// loader would read the first one's bytes under its name).
type fatNames map[string]string

// claim reports whether dst is new; a dst already taken by another ISO
// file is an error naming both.
func (n fatNames) claim(dst, src string) (bool, error) {
	prev, ok := n[dst]
	switch {
	case !ok:
		n[dst] = src
		return true, nil
	case prev == src:
		return false, nil
	}
	return false, fmt.Errorf("ISO files %s and %s would both be %s on the FAT partition (8.3 names ignore case)", prev, src, dst)
}

// dropOpts removes the words key=value (keys compared without case) of an
// option string and returns the rest and what it removed.
func dropOpts(opts string, keys []string) (kept string, gone []string) {
	var out []string
	for _, w := range strings.Fields(opts) {
		k, _, ok := strings.Cut(w, "=")
		if ok && slices.ContainsFunc(keys, func(x string) bool { return strings.EqualFold(x, k) }) {
			gone = append(gone, w)
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " "), gone
}

// FATName is the upper-case 8.3 FAT name of a file name, as the builder
// names every file it copies ("oem.tgz" is "OEM.TGZ"); a name that has
// none is an error saying why.
func FATName(name string) (string, error) {
	up, err := dos83(name)
	if err == nil && strings.HasSuffix(up, ".") {
		err = fmt.Errorf("%q ends with a dot: it is not an 8.3 name (syslinux 3.x reads only 8.3 names)", name)
	}
	return up, err
}
