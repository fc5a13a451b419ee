package inspect

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// checkConfig finds the syslinux.cfg syslinux would load, describes every
// label and follows the entry that boots without a key press.
func (in *inspector) checkConfig() {
	cr := &in.rep.Config
	var f *node
	for _, p := range cfgPaths {
		if n := in.tree.lookup(p); n != nil && !n.dir {
			f, cr.Path = n, p
			break
		}
	}
	if f == nil {
		in.fault("no syslinux.cfg (looked for %s): syslinux has nothing to boot", strings.Join(cfgPaths, ", "))
		return
	}
	data, err := in.vol.readFile(f, maxCfgBytes)
	if err != nil {
		in.fault("%v", err)
		return
	}
	cr.Size = int64(len(data))
	cr.CRBytes = bytes.Count(data, []byte{'\r'})
	if cr.CRBytes > 0 {
		in.fault("%s has %d CR bytes (CRLF line ends): the procedure removes them (dos2unix); a CR that reaches a value ends up in the installer's parsers", cr.Path, cr.CRBytes)
	}
	cwd := path.Dir(cr.Path)
	c := parseSyslinuxCfg(data)
	for _, u := range c.unknown {
		in.warn("%s %s (syslinux ignores the line)", cr.Path, u)
	}
	cr.Default, cr.UI, cr.Prompt, cr.Timeout = c.def, c.ui, c.prompt, c.timeout
	cr.PromptN, cr.TimeoutN = number(c.prompt), number(c.timeout)
	cr.Serial, cr.SerialLine = c.serial, c.serialLine
	for _, l := range c.labels {
		cr.Labels = append(cr.Labels, in.entry2report(l.name, l.kernel, in.labelAppend(c, l), l.localboot, cwd))
	}
	in.followBoot(c, cwd)
}

func (in *inspector) labelAppend(c *syslinuxCfg, l *cfgLabel) string {
	if l.hasAppend {
		return l.append
	}
	return c.globalAppend
}

// followBoot resolves what boots with no key press and checks its files.
func (in *inspector) followBoot(c *syslinuxCfg, cwd string) {
	cr := &in.rep.Config
	cmd, from := c.def, "default"
	if c.ui != "" {
		cmd, from = c.ui, "ui"
	} else if c.ontimeout != "" && c.prompt != "" && c.prompt != "0" && c.timeout != "" && c.timeout != "0" {
		cmd, from = c.ontimeout, "ontimeout"
	}
	if (c.prompt != "" && c.prompt != "0") && (c.timeout == "" || c.timeout == "0") && c.ui == "" {
		in.warn("%s: prompt %s with no timeout: syslinux waits at the boot: prompt for a key forever", cr.Path, c.prompt)
	}
	word, rest := firstWord(cmd)
	if word == "" {
		in.fault("%s has no default: syslinux 3.x would try a kernel named \"linux\"", cr.Path)
		return
	}
	i := in.labelIndex(c, word)
	var e *LabelReport
	if i >= 0 {
		e = &cr.Labels[i]
		cr.Boots = "label " + e.Name
	} else {
		r := in.entry2report("", word, rest, "", cwd)
		e, cr.Command = &r, &r
		cr.Boots = cmd
	}
	if e.Menu {
		in.checkEntry(e, from, true)
		if c.console == "0" && strings.HasPrefix(in.rep.Loader.Version, "3.70") {
			in.fault("%s: console 0 together with %s hangs syslinux 3.70", cr.Path, path.Base(e.KernelPath))
		}
		j := -1
		for k, l := range c.labels {
			if l.menuDefault && j < 0 {
				j = k
			}
		}
		if j < 0 && len(c.labels) > 0 {
			j = 0
		}
		if j < 0 {
			in.fault("%s: the menu has no labels to boot", cr.Path)
			return
		}
		e.MenuBoots = cr.Labels[j].Name
		cr.Boots += " → menu → label " + cr.Labels[j].Name
		if i < 0 || i != j {
			e = &cr.Labels[j]
		}
	}
	in.bootsOK = in.checkEntry(e, from, true)
	for k := range cr.Labels {
		if &cr.Labels[k] != e {
			in.checkEntry(&cr.Labels[k], "", false)
		}
	}
}

func (in *inspector) labelIndex(c *syslinuxCfg, name string) int {
	l := c.findLabel(name)
	for i, x := range c.labels {
		if x == l {
			return i
		}
	}
	return -1
}

// checkEntry reports missing files of one entry: faults for the entry that
// boots, warnings for the others. It says whether the entry boots a kernel.
func (in *inspector) checkEntry(e *LabelReport, from string, boots bool) bool {
	say := in.warn
	if boots {
		say = in.fault
	}
	who := "label " + e.Name
	if e.Name == "" {
		who = from + " " + e.Kernel
	}
	if e.Localboot != "" && e.Kernel == "" {
		if boots {
			in.warn("%s boots the local disk (localboot %s), not a kernel", who, e.Localboot)
		}
		return false
	}
	ok := true
	if e.mboot != nil {
		for _, f := range e.mboot.faults {
			say("%s", f)
			ok = false
		}
		if boots {
			for _, w := range e.mboot.warns {
				in.warn("%s", w)
			}
		}
	}
	if !e.Found {
		say("%s: kernel %s not found (looked for %s)", who, e.Kernel, e.KernelPath)
		ok = false
	}
	for _, m := range e.Modules {
		if !m.Found && e.mboot == nil {
			say("%s: module %s not found (looked for %s)", who, m.Name, m.Path)
			ok = false
		}
	}
	if boots && e.KS != "" {
		in.checkKS(who, e.KS)
	}
	if boots && e.BootCfg != "" && !strings.HasPrefix(in.rep.Loader.Version, "3.86") && in.rep.Loader.Version != "" {
		in.warn("%s: ESXi 5.x+ mboot.c32 (-c %s) is built for syslinux 3.86; this is %s", who, e.BootCfg, in.rep.Loader.Banner)
	}
	return ok
}

// checkKS checks a kickstart that lives on this disk (ks=usb forms).
func (in *inspector) checkKS(who, ks string) {
	var p string
	switch {
	case strings.EqualFold(ks, "usb"):
		p = "/ks.cfg"
	case strings.HasPrefix(strings.ToLower(ks), "usb:"):
		p = ks[4:]
	case strings.HasPrefix(strings.ToLower(ks), "cdrom:"):
		in.warn("%s: ks=%s reads the kickstart from a CD-ROM, not from this disk", who, ks)
		return
	default:
		return
	}
	n := in.tree.lookup(p)
	if n == nil || n.dir {
		// The installer searches every USB disk: the kickstart may be on another.
		in.warn("%s: ks=%s but %s is not on this disk", who, ks, p)
		return
	}
	data, err := in.vol.readFile(n, maxCfgBytes)
	if err != nil {
		in.fault("%s: kickstart: %v", who, err)
		return
	}
	if k := bytes.Count(data, []byte{'\r'}); k > 0 {
		in.fault("%s has %d CR bytes (CRLF line ends): the ESXi installer's kickstart parser does not strip them", n.path, k)
	}
}

// entry2report describes one label (or a bare command line).
func (in *inspector) entry2report(name, kernel, appendLine, localboot, cwd string) LabelReport {
	e := LabelReport{Name: name, Kernel: kernel, Append: appendLine, Localboot: localboot}
	if kernel == "" && localboot != "" {
		return e
	}
	if kernel == "" {
		e.Kernel = name
	}
	kname, _ := firstWord(e.Kernel)
	e.KernelPath, e.KernelSize, e.Found = in.resolve(cwd, kname)
	switch strings.ToLower(path.Base(kname)) {
	case "menu.c32", "vesamenu.c32":
		e.Menu = true
	case "mboot.c32":
		in.mbootModules(&e, cwd)
	default:
		e.KS = ksValue(appendLine)
	}
	return e
}

// mbootModules fills the multiboot modules: the ESXi 4.x append line, or
// the boot.cfg that ESXi 5.x+ names with -c.
func (in *inspector) mbootModules(e *LabelReport, cwd string) {
	names, args := splitModules(e.Append)
	if len(names) == 0 || !strings.HasPrefix(names[0], "-") {
		for i, n := range names {
			m := ModuleReport{Name: n, Args: args[i]}
			m.Path, m.Size, m.Found = in.resolve(cwd, n)
			e.Modules = append(e.Modules, m)
			if e.KS == "" {
				e.KS = ksValue(args[i])
			}
		}
		return
	}
	kname, _ := firstWord(e.Kernel)
	ma := parseMbootArgs(strings.FieldsFunc(e.Append, isSpace))
	r := in.mbootFollow(mbootFrom{bootDir: mbootDir(kname), who: fmt.Sprintf("label %s: %s %s", e.Name, kname, e.Append)}, ma)
	e.BootCfg = ma.cfg
	if e.BootCfg == "" {
		e.BootCfg = "boot.cfg"
	}
	e.Modules, e.KS, e.mboot, e.MbootVolume = r.modules, ksValue(r.cmdline), &r, ma.volume
}

// resolve looks name up relative to the folder cwd.
func (in *inspector) resolve(cwd, name string) (string, int64, bool) {
	p := name
	if !strings.HasPrefix(p, "/") {
		p = strings.TrimSuffix(cwd, "/") + "/" + p
	}
	n := in.tree.lookup(p)
	if n == nil || n.dir || n.chainErr != nil {
		return p, 0, false
	}
	return n.path, n.size, true
}

func firstWord(s string) (string, string) {
	s = strings.TrimFunc(s, isSpace)
	if j := strings.IndexFunc(s, isSpace); j >= 0 {
		return s[:j], strings.TrimFunc(s[j:], isSpace)
	}
	return s, ""
}

// defaultBoots reports whether the no-key-press entry names a kernel whose
// files all exist.
func (in *inspector) defaultBoots() bool { return in.bootsOK }
