package inspect

import (
	"fmt"
	"strings"
)

// cfgPaths is the order in which SYSLINUX 3.x looks for its config file.
var cfgPaths = []string{"/boot/syslinux/syslinux.cfg", "/syslinux/syslinux.cfg", "/syslinux.cfg"}

// MaxConfigBytes is the largest syslinux.cfg or BOOT.CFG inspect reads; the
// builder refuses to render a larger one.
const MaxConfigBytes = 1 << 16

const maxCfgBytes = MaxConfigBytes

// cfgLabel is one LABEL block of syslinux.cfg.
type cfgLabel struct {
	name        string
	kernel      string // argument of kernel/linux/com32/...; "" = the label name
	append      string
	hasAppend   bool
	localboot   string
	menuDefault bool
	line        int
}

// syslinuxCfg is what the SYSLINUX 3.x core reads from syslinux.cfg.
type syslinuxCfg struct {
	def, ui, prompt, timeout, ontimeout string
	console, serial                     string
	serialLine                          int
	globalAppend                        string
	labels                              []*cfgLabel
	unknown                             []string // "line N: keyword"
}

// cfgKernelWords set a label's kernel (3.x: the type follows the keyword
// or the file extension).
var cfgKernelWords = map[string]bool{
	"kernel": true, "linux": true, "boot": true, "bss": true, "pxe": true,
	"fdimage": true, "comboot": true, "com32": true, "config": true,
}

// cfgOtherWords are keywords the core knows and this inspector only notes.
var cfgOtherWords = map[string]bool{
	"ipappend": true, "totaltimeout": true, "onerror": true, "implicit": true,
	"allowoptions": true, "display": true, "say": true, "font": true, "kbdmap": true,
	"noescape": true, "nocomplete": true, "initrd": true, "include": true,
	"nohalt": true, "text": true, "endtext": true, "f0": true, "f1": true, "f2": true,
	"f3": true, "f4": true, "f5": true, "f6": true, "f7": true, "f8": true,
	"f9": true, "f10": true, "f11": true, "f12": true,
}

// isSpace is syslinux's notion of white space: every control byte and the
// space, which is why a CR at a line's end is harmless to the core itself.
func isSpace(r rune) bool { return r <= ' ' }

// parseSyslinuxCfg parses the core's keywords, case-insensitively.
func parseSyslinuxCfg(data []byte) *syslinuxCfg {
	c := &syslinuxCfg{}
	var cur *cfgLabel
	inText := false
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimFunc(line, isSpace)
		if inText {
			inText = !strings.EqualFold(line, "endtext")
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		kw, rest, _ := strings.Cut(line, " ")
		if j := strings.IndexFunc(line, isSpace); j >= 0 {
			kw, rest = line[:j], line[j:]
		}
		kw, rest = strings.ToLower(kw), strings.TrimFunc(rest, isSpace)
		switch {
		case kw == "label":
			cur = &cfgLabel{name: rest, line: i + 1}
			c.labels = append(c.labels, cur)
		case cfgKernelWords[kw]:
			if cur != nil {
				cur.kernel = rest
			} else {
				c.unknown = append(c.unknown, fmt.Sprintf("line %d: %s outside a label", i+1, kw))
			}
		case kw == "append":
			if cur != nil {
				cur.append, cur.hasAppend = rest, true
			} else {
				c.globalAppend = rest
			}
		case kw == "localboot":
			if cur != nil {
				cur.localboot = rest
			}
		case kw == "menu":
			if sub, _, _ := strings.Cut(strings.ToLower(rest), " "); sub == "default" && cur != nil {
				cur.menuDefault = true
			}
		case kw == "text":
			inText = true
		case kw == "default":
			c.def = rest
		case kw == "ui":
			c.ui = rest
		case kw == "prompt":
			c.prompt = rest
		case kw == "timeout":
			c.timeout = rest
		case kw == "ontimeout":
			c.ontimeout = rest
		case kw == "console":
			c.console = rest
		case kw == "serial":
			c.serial, c.serialLine = rest, i+1
		case cfgOtherWords[kw]:
		default:
			c.unknown = append(c.unknown, fmt.Sprintf("line %d: unknown keyword %q", i+1, kw))
		}
	}
	return c
}

// findLabel finds a label by name (exact first, then ignoring case).
func (c *syslinuxCfg) findLabel(name string) *cfgLabel {
	for _, l := range c.labels {
		if l.name == name {
			return l
		}
	}
	for _, l := range c.labels {
		if strings.EqualFold(l.name, name) {
			return l
		}
	}
	return nil
}

// bootCfg is the part of an ESXi 5.x+ boot.cfg that mboot.c32 uses.
type bootCfg struct {
	kernel, kernelopt, modules, prefix string
	hasPrefix                          bool
}

func parseBootCfg(data []byte) bootCfg {
	var b bootCfg
	for _, line := range strings.Split(string(data), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case "kernel":
			b.kernel = v
		case "kernelopt":
			b.kernelopt = v
		case "modules":
			b.modules = v
		case "prefix":
			b.prefix, b.hasPrefix = v, true
		}
	}
	return b
}

// splitModules splits "a x=1 --- b --- c" into names and their arguments.
func splitModules(s string) (names, args []string) {
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			names = append(names, cur[0])
			args = append(args, strings.Join(cur[1:], " "))
		}
		cur = nil
	}
	for _, w := range strings.FieldsFunc(s, isSpace) {
		if w == "---" {
			flush()
			continue
		}
		cur = append(cur, w)
	}
	flush()
	return names, args
}

// ksValue returns the value of the first ks= word in args.
func ksValue(args string) string {
	for _, w := range strings.FieldsFunc(args, isSpace) {
		if v, ok := strings.CutPrefix(w, "ks="); ok {
			return v
		}
	}
	return ""
}
