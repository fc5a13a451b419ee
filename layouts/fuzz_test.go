package layouts_test

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// memMedia is media held in memory: lower-case path -> file.
type memMedia map[string]memFile

type memFile struct {
	path string
	data []byte
}

func (m memMedia) Lookup(p string) (isofs.File, bool) {
	f, ok := m[strings.ToLower(strings.Trim(path.Clean("/"+p), "/"))]
	return isofs.File{Path: f.path, Size: int64(len(f.data))}, ok
}

func (m memMedia) ReadFile(p string, max int64) ([]byte, error) {
	f, ok := m[strings.ToLower(strings.Trim(path.Clean("/"+p), "/"))]
	if !ok {
		return nil, fmt.Errorf("%s: not found", p)
	}
	if int64(len(f.data)) > max {
		return nil, fmt.Errorf("%s: larger than %d", p, max)
	}
	return f.data, nil
}

func (m memMedia) Files() []isofs.File {
	var out []isofs.File
	for _, f := range m {
		out = append(out, isofs.File{Path: f.path, Size: int64(len(f.data))})
	}
	slices.SortFunc(out, func(a, b isofs.File) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// fuzzMedia builds memMedia from a config text and a newline-separated list of
// file names (each file holds its own name), the config at cfgPath.
func fuzzMedia(cfgPath string, cfg []byte, names string) memMedia {
	m := memMedia{}
	for _, n := range strings.Split(names, "\n") {
		n = strings.Trim(path.Clean("/"+n), "/")
		if n != "" && n != "." {
			m[strings.ToLower(n)] = memFile{n, []byte(n)}
		}
	}
	m[strings.ToLower(cfgPath)] = memFile{cfgPath, cfg}
	return m
}

// FuzzParseIsolinux: no panic; line numbers point into the text; a module
// list that parses has no empty names and no "---".
func FuzzParseIsolinux(f *testing.F) {
	f.Add([]byte(isogen.Isolinux41))
	f.Add([]byte(isogen.Isolinux40))
	f.Add([]byte("DEFAULT menu.c32\r\nLABEL install\r\n  KERNEL mboot.c32\r\n  APPEND -c boot.cfg\r\n"))
	f.Add([]byte("label a\nmenu\nappend --- --- x\nkernel\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := layouts.ParseIsolinux(text)
		if err != nil {
			if c != nil {
				t.Fatal("config and error")
			}
			return
		}
		lines := strings.Count(string(text), "\n") + 1
		for _, l := range c.Labels {
			if l.Line < 1 || l.Line > lines || l.AppendAt != 0 && (l.AppendAt < l.Line || l.AppendAt > lines) {
				t.Fatalf("label %q: line %d, append at %d, of %d lines", l.Name, l.Line, l.AppendAt, lines)
			}
			mods, err := layouts.ParseModules(l.Append)
			if err != nil {
				continue
			}
			for _, m := range mods {
				if m.Name == "" || m.Name == "---" || strings.ContainsAny(m.Name, " \t\r\n") {
					t.Fatalf("module %q from %q", m.Name, l.Append)
				}
			}
		}
	})
}

// FuzzDetect: detection over arbitrary isolinux.cfg text and file sets
// never panics, and a detected layout is self-consistent: every file to
// copy is on the media under an upper-case 8.3 name, the kernel first.
func FuzzDetect(f *testing.F) {
	stock := strings.Join(isogen.Stock(""), "\n")
	f.Add([]byte(isogen.Isolinux41), stock, false)
	f.Add([]byte(isogen.Isolinux40), strings.Join(isogen.Stock("4.0"), "\n"), true)
	f.Add([]byte(isogen.Isolinux41), strings.ReplaceAll(stock, "cim.vgz", "x"), false)
	f.Add([]byte("label x\nkernel /mboot.c32\nappend /a.gz --- ienviron.vgz\n"), "mboot.c32\na.gz\nienviron.vgz\nisolinux.bin", false)
	f.Fuzz(func(t *testing.T, cfg []byte, names string, sub bool) {
		cfgPath := "isolinux.cfg"
		if sub {
			cfgPath = "isolinux/isolinux.cfg"
		}
		m := fuzzMedia(cfgPath, cfg, names)
		d, err := layouts.Detect(m)
		if err != nil {
			if d != nil {
				t.Fatal("result and error")
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if !strings.HasPrefix(d.Layout, "esxi-") || d.Family != 4 && d.Family != 5 || d.Syslinux == "" {
			t.Fatalf("layout %q family %d syslinux %q", d.Layout, d.Family, d.Syslinux)
		}
		if len(d.Files) == 0 || !strings.EqualFold(path.Base(d.Files[0].Src), "mboot.c32") {
			t.Fatalf("files %+v", d.Files)
		}
		if len(d.Modules) == 0 || len(d.Modules) != len(d.ModuleArgs) {
			t.Fatalf("modules %q args %q", d.Modules, d.ModuleArgs)
		}
		seen := map[string]bool{}
		for _, c := range append(slices.Clone(d.Files), d.Payload...) {
			if _, ok := m.Lookup(c.Src); !ok {
				t.Fatalf("%s is not on the media", c.Src)
			}
			for _, part := range strings.Split(c.Dst, "/") { // 5.x+ media copy EFI/BOOT/...
				base, ext, _ := strings.Cut(part, ".")
				if part != strings.ToUpper(part) || base == "" || len(base) > 8 || len(ext) > 3 || strings.Count(part, ".") > 1 || strings.Contains(part, " ") {
					t.Fatalf("FAT path %q for %s", c.Dst, c.Src)
				}
			}
			if seen[c.Dst] {
				t.Fatalf("%s twice", c.Dst)
			}
			seen[c.Dst] = true
		}
	})
}
