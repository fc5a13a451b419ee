package inspect

import (
	"strings"
	"testing"
)

// FuzzParseSyslinuxCfg: the syslinux.cfg and boot.cfg parsers never panic,
// line numbers point into the text, and module lists split cleanly.
func FuzzParseSyslinuxCfg(f *testing.F) {
	f.Add([]byte("serial 0 115200\ndefault 1\nprompt 1\ntimeout 50\nlabel 1\nkernel mboot.c32\nappend vmkboot.gz ks=usb --- vmkernel.gz --- sys.vgz\nlabel 0\nlocalboot 0x80\n"))
	f.Add([]byte("UI menu.c32\r\nLABEL a\r\n MENU DEFAULT\r\n COM32 mboot.c32\r\n APPEND -c boot.cfg\r\ntext\nhelp\nendtext\nbogus x\n"))
	f.Add([]byte("bootstate=0\ntitle=Loading\nkernel=/b.b00\nkernelopt=runweasel ks=usb\nmodules=/jumpstrt.gz --- /useropts.gz\nprefix=\n# x=y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		c := parseSyslinuxCfg(data)
		if len(c.unknown) > lines {
			t.Fatalf("%d unknown keywords in %d lines", len(c.unknown), lines)
		}
		if c.serialLine < 0 || c.serialLine > lines {
			t.Fatalf("serial at line %d of %d", c.serialLine, lines)
		}
		for _, l := range c.labels {
			if l.line < 1 || l.line > lines {
				t.Fatalf("label %q at line %d of %d", l.name, l.line, lines)
			}
			if c.findLabel(l.name) == nil {
				t.Fatalf("label %q not found by name", l.name)
			}
			checkModules(t, l.append)
			_ = ksValue(l.append)
		}
		b := parseBootCfg(data)
		checkModules(t, b.modules)
		_ = ksValue(b.kernelopt)
	})
}

func checkModules(t *testing.T, s string) {
	names, args := splitModules(s)
	if len(names) != len(args) {
		t.Fatalf("%d names, %d args from %q", len(names), len(args), s)
	}
	for _, n := range names {
		if n == "" || n == "---" || strings.IndexFunc(n, isSpace) >= 0 {
			t.Fatalf("module %q from %q", n, s)
		}
	}
}
