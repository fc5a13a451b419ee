package layouts_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/layouts"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// FuzzDetect5: 5.x+ detection over arbitrary boot.cfg text and file sets
// never panics; a detected layout copies only files that are on the media,
// each once under an upper-case 8.3 path no generated file also takes, and
// its per-host BOOT.CFGs keep every line but kernelopt=.
func FuzzDetect5(f *testing.F) {
	for _, v := range isogen.Versions5 {
		f.Add([]byte(isogen.BootCfg5(v)), strings.Join(append(isogen.Modules5(v), "EFI/BOOT/BOOTX64.EFI", "EFI/BOOT/BOOT.CFG"), "\n"))
	}
	f.Add([]byte("prefix=/esxi\nkernel=b.b00\nmodules=k.b00 x --- /s.v00"), "esxi/b.b00\nesxi/k.b00\ns.v00")
	f.Add([]byte("kernel=/boot.cfg\n"), "")
	f.Fuzz(func(t *testing.T, cfg []byte, names string) {
		m := fuzzMedia("isolinux.cfg", []byte(isogen.Isolinux5("7.0")), names+"\nmboot.c32\nmenu.c32")
		m["boot.cfg"] = memFile{"BOOT.CFG", cfg}
		if _, ok := m["efi/boot/boot.cfg"]; ok {
			m["efi/boot/boot.cfg"] = memFile{"EFI/BOOT/BOOT.CFG", cfg}
		}
		d, err := layouts.Detect(m)
		if err != nil {
			return
		}
		if d.Family != 5 || d.FAT != 32 || len(d.Generated) == 0 {
			t.Fatalf("family %d FAT%d, %d generated", d.Family, d.FAT, len(d.Generated))
		}
		seen := map[string]bool{}
		for _, c := range d.Files {
			if _, ok := m.Lookup(c.Src); !ok || seen[c.Dst] || c.Dst != strings.ToUpper(c.Dst) {
				t.Fatalf("copy %+v (seen %v)", c, seen[c.Dst])
			}
			seen[c.Dst] = true
		}
		in, _ := bootcfg.Parse(cfg)
		for _, g := range d.Generated {
			if seen[g.Dst] {
				t.Fatalf("%s is copied and generated", g.Dst)
			}
			out, err := g.Render(map[string]any{"KS": "usb", "ip": "10.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bootcfg.Parse(out)
			if err != nil {
				continue // the added kernelopt= line may pass a limit
			}
			if v, _ := bootcfg.OptValue(got.KernelOpt(), "ks"); v != "usb" {
				t.Fatalf("ks=%q in %q", v, out)
			}
			var a, b [][]byte
			for _, l := range in.Lines {
				if l.Key != "kernelopt" {
					a = append(a, []byte(l.Raw))
				}
			}
			for _, l := range got.Lines {
				if l.Key != "kernelopt" {
					b = append(b, []byte(l.Raw))
				}
			}
			if !slices.EqualFunc(a, b, bytes.Equal) {
				t.Fatalf("lines other than kernelopt= changed:\n%q\n%q", cfg, out)
			}
		}
	})
}
