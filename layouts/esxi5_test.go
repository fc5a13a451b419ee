package layouts_test

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil/testiso"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// want5 is the FAT file list of a stock 5.x+ shape: MBOOT.C32, kernel and
// modules in boot.cfg order, MENU.C32, the EFI loaders.
func want5(version string) []string {
	out := []string{"MBOOT.C32"}
	for _, m := range isogen.Modules5(version) {
		out = append(out, strings.ToUpper(m))
	}
	out = append(out, "MENU.C32")
	efi := isogen.EFIFiles5(version)
	slices.Sort(efi) // listing order
	for _, n := range efi {
		out = append(out, "EFI/BOOT/"+n)
	}
	return out
}

func dsts(d *layouts.Detected) []string {
	var out []string
	for _, c := range d.Files {
		out = append(out, c.Dst)
	}
	return out
}

// open5 writes and opens the ISO fixture spec (testutil.ISO).
func open5(t *testing.T, spec isogen.Spec) *isofs.Image {
	t.Helper()
	im, _ := testiso.Open(t, spec)
	return im
}

// TestDetect5 detects every 5.x+ shape and its variants on generated ISOs.
func TestDetect5(t *testing.T) {
	type tc struct {
		name   string
		spec   isogen.Spec
		layout string
		dst    []string // nil: want5(spec.Version)
		gen    []string // generated files (nil: both BOOT.CFGs)
		uefi   string   // "-" for none
		found  string
		err    string
	}
	var tests []tc
	for _, v := range isogen.Versions5 {
		tests = append(tests, tc{name: v, spec: isogen.Spec{Version: v}, layout: "esxi-" + v,
			found: "ESXi " + v + " (volume ESXI-" + v})
	}
	prefixCfg := "bootstate=0\nprefix=/esxi/\nkernel=b.b00\nkernelopt=runweasel\nmodules=k.b00 --- /s.v00 --- drv/net-e100.v00 x=1\n"
	tests = append(tests,
		tc{name: "7.0 summary", spec: isogen.Spec{Version: "7.0"}, layout: "esxi-7.0",
			found: "ESXi 7.0 (volume ESXI-7.0U3C-19193900-STANDARD; BOOT.CFG: b.b00 + 25 modules, "},
		tc{name: "8.0 isolinux 3.86", spec: isogen.Spec{Version: "8.0"}, layout: "esxi-8.0",
			found: "; UEFI: EFI/BOOT/BOOTX64.EFI; isolinux 3.86)"},
		tc{name: "7.0 rock ridge", spec: isogen.Spec{Version: "7.0", RockRidge: true}, layout: "esxi-7.0"},
		tc{name: "6.5 joliet", spec: isogen.Spec{Version: "6.5", Joliet: true}, layout: "esxi-6.5"},
		tc{name: "no EFI", spec: isogen.Spec{Version: "6.5", Omit: []string{"EFI/BOOT/BOOTX64.EFI", "EFI/BOOT/BOOT.CFG"}},
			layout: "esxi-6.5", dst: want5("6.5")[:len(want5("6.5"))-1], gen: []string{"BOOT.CFG"}, uefi: "-", found: "; no UEFI loader;"},
		tc{name: "EFI without BOOT.CFG", spec: isogen.Spec{Version: "7.0", Omit: []string{"EFI/BOOT/BOOT.CFG"}},
			layout: "esxi-7.0", gen: []string{"BOOT.CFG"}, found: "UEFI: EFI/BOOT/BOOTX64.EFI without EFI/BOOT/BOOT.CFG"},
		tc{name: "no menu.c32 without DEFAULT menu.c32", spec: isogen.Spec{Version: "7.0", Omit: []string{"menu.c32"},
			IsolinuxCfg: "DEFAULT install\nLABEL install\nKERNEL mboot.c32\nAPPEND -c boot.cfg\n"},
			layout: "esxi-7.0", dst: slices.DeleteFunc(want5("7.0"), func(s string) bool { return s == "MENU.C32" })},
		tc{name: "unknown version", spec: isogen.Spec{Version: "7.0", VolumeID: "CUSTOM", BootCfg: "kernel=/b.b00\nmodules=/k.b00\n",
			IsolinuxCfg: "DEFAULT menu.c32\nLABEL install\nKERNEL mboot.c32\nAPPEND -c boot.cfg\n"},
			layout: "esxi-5+", dst: []string{"MBOOT.C32", "B.B00", "K.B00", "MENU.C32", "EFI/BOOT/BOOTIA32.EFI", "EFI/BOOT/BOOTX64.EFI"},
			found: "ESXi 5.x or later (version not readable) (volume CUSTOM; BOOT.CFG: b.b00 + 1 modules"},
		tc{name: "version from build=", spec: isogen.Spec{Version: "7.0", VolumeID: "CUSTOM", BootCfg: "build=6.7.0-1.2.3\nkernel=/b.b00\n",
			IsolinuxCfg: "LABEL install\nKERNEL mboot.c32\nAPPEND -c boot.cfg\n"},
			layout: "esxi-6.7", dst: []string{"MBOOT.C32", "B.B00", "MENU.C32", "EFI/BOOT/BOOTIA32.EFI", "EFI/BOOT/BOOTX64.EFI"}},
		tc{name: "prefix", spec: isogen.Spec{Version: "7.0", BootCfg: prefixCfg, Files: map[string][]byte{
			"esxi/b.b00": []byte("kernel"), "esxi/k.b00": []byte("k"), "esxi/drv/net-e100.v00": nil}},
			layout: "esxi-7.0", dst: []string{"MBOOT.C32", "ESXI/B.B00", "ESXI/K.B00", "S.V00", "ESXI/DRV/NET-E100.V00", "MENU.C32",
				"EFI/BOOT/BOOTIA32.EFI", "EFI/BOOT/BOOTX64.EFI"}},
		tc{name: "strict names", spec: isogen.Spec{Version: "5.0", StrictNames: true},
			err: "esxi-5+ media: BOOT.CFG line 5: modules= names /ata-pata.v00, which the ISO lacks (it has ATA_PATA.V00: the ISO's names differ from boot.cfg's)"},
		tc{name: "missing module", spec: isogen.Spec{Version: "8.0", Omit: []string{"s.v00"}},
			err: "esxi-5+ media: BOOT.CFG line 7: modules= names /s.v00, which the ISO lacks"},
		tc{name: "missing kernel", spec: isogen.Spec{Version: "6.5", Omit: []string{"tboot.b00"}},
			err: "BOOT.CFG line 5: kernel= names /tboot.b00, which the ISO lacks"},
		tc{name: "EFI boot.cfg names a missing file", spec: isogen.Spec{Version: "7.0", Files: map[string][]byte{
			"EFI/BOOT/BOOT.CFG": []byte("kernel=/b.b00\nmodules=/k.b00 --- /extra.v00\n")}},
			err: "EFI/BOOT/BOOT.CFG line 2: modules= names /extra.v00, which the ISO lacks"},
		tc{name: "missing boot.cfg", spec: isogen.Spec{Version: "7.0", Omit: []string{"boot.cfg"}},
			err: `no known ESXi layout: ISOLINUX.CFG: label "install" has kernel mboot.c32 append -c boot.cfg; label "hddboot" has localboot 0x80 (ESXi 5.x+ style, line 8: mboot.c32 reads boot.cfg, which is not on the ISO)`},
		tc{name: "missing mboot.c32", spec: isogen.Spec{Version: "7.0", Omit: []string{"mboot.c32"}},
			err: `ISOLINUX.CFG line 8 (label "install"): kernel mboot.c32 is not on the ISO`},
		tc{name: "missing menu.c32", spec: isogen.Spec{Version: "7.0", Omit: []string{"menu.c32"}},
			err: "ISOLINUX.CFG: DEFAULT menu.c32, which is not on the ISO"},
		tc{name: "no kernel=", spec: isogen.Spec{Version: "7.0", BootCfg: "title=x\nmodules=/k.b00\n"}, err: "BOOT.CFG: no kernel= line"},
		tc{name: "empty module", spec: isogen.Spec{Version: "7.0", BootCfg: "kernel=/b.b00\nmodules=/k.b00 --- --- /s.v00\n"},
			err: "BOOT.CFG: line 2: modules=: entry 2 is empty"},
		tc{name: "not 8.3", spec: isogen.Spec{Version: "7.0", BootCfg: "kernel=/b.b00\nmodules=/longmodule.v00\n",
			Files: map[string][]byte{"longmodule.v00": nil}},
			err: `BOOT.CFG line 2: modules= names /longmodule.v00: "LONGMODULE.V00" is not an 8.3 name`},
		tc{name: "boot.cfg loads itself", spec: isogen.Spec{Version: "7.0", BootCfg: "kernel=/b.b00\nmodules=/k.b00 --- /boot.cfg\n"},
			err: "BOOT.CFG: boot.cfg names BOOT.CFG as a file to load, but it is the config the builder rewrites per host"},
		tc{name: "isolinux.cfg in a folder", spec: isogen.Spec{Version: "7.0", Omit: []string{"isolinux.cfg"},
			Files: map[string][]byte{"isolinux/isolinux.cfg": []byte(isogen.Isolinux5("7.0"))}},
			err: "ISOLINUX/ISOLINUX.CFG is in ISOLINUX/, not the root"},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im := open5(t, tc.spec)
			d, err := layouts.Detect(im)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v\nwant %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Layout != tc.layout || d.Family != 5 || d.Syslinux != "3.86" || d.Kernel != "mboot.c32" || d.FAT != 32 {
				t.Errorf("got %s family %d syslinux %s kernel %s FAT%d", d.Layout, d.Family, d.Syslinux, d.Kernel, d.FAT)
			}
			want := tc.dst
			if want == nil {
				want = want5(tc.spec.Version)
			}
			if got := dsts(d); !slices.Equal(got, want) {
				t.Errorf("files\n%q\nwant\n%q", got, want)
			}
			for _, c := range d.Files {
				f, ok := im.Lookup(c.Src)
				if !ok || f.Path != c.Src || f.Size != c.Size {
					t.Errorf("copy %+v does not match the ISO's %+v", c, f)
				}
			}
			gen := tc.gen
			if gen == nil {
				gen = []string{"BOOT.CFG", "EFI/BOOT/BOOT.CFG"}
			}
			var got []string
			for _, g := range d.Generated {
				got = append(got, g.Dst)
			}
			if !slices.Equal(got, gen) {
				t.Errorf("generated %q, want %q", got, gen)
			}
			uefi := "EFI/BOOT/BOOTX64.EFI"
			if tc.uefi == "-" {
				uefi = ""
			}
			if d.UEFI != uefi {
				t.Errorf("UEFI %q, want %q", d.UEFI, uefi)
			}
			if !strings.Contains(d.Found, tc.found) {
				t.Errorf("Found %q lacks %q", d.Found, tc.found)
			}
			if len(d.Modules) != len(d.ModuleArgs) || d.ModuleArgs[0] != "" {
				t.Errorf("modules %q args %q", d.Modules, d.ModuleArgs)
			}
		})
	}
}

// TestDetect5Modules: the module list handed to templates.
func TestDetect5Modules(t *testing.T) {
	d, err := layouts.Detect(open5(t, isogen.Spec{Version: "6.5"}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Modules, isogen.Modules5("6.5")) || d.Modules[0] != "tboot.b00" {
		t.Errorf("modules %q", d.Modules)
	}
	if d.Isolinux != "3.86 2010-04-01" || d.BootCfg != "BOOT.CFG" || d.Label != "install" {
		t.Errorf("isolinux %q boot.cfg %q label %q", d.Isolinux, d.BootCfg, d.Label)
	}
}

// TestGenerated5 renders the per-host BOOT.CFGs: kernelopt= only changes.
func TestGenerated5(t *testing.T) {
	ks := "http://deploy/ks/esx01.cfg"
	for _, tc := range []struct {
		name    string
		version string
		data    map[string]any
		opt     string // the kernelopt= value wanted
		err     string
	}{
		{"7.0 ks", "7.0", map[string]any{"KS": ks, "Host": "esx01"}, "runweasel ks=" + ks, ""},
		{"5.0 ks", "5.0", map[string]any{"KS": "usb"}, "runweasel ks=usb", ""},
		{"8.0 network", "8.0", map[string]any{"KS": ks, "ip": "10.1.2.3", "netmask": "255.255.255.0", "gateway": "10.1.2.1",
			"nameserver": "10.1.2.2", "vlanid": "42", "other": "x"},
			"runweasel ks=" + ks + " ip=10.1.2.3 netmask=255.255.255.0 gateway=10.1.2.1 nameserver=10.1.2.2 vlanid=42", ""},
		{"no ks", "7.0", map[string]any{"KS": ""}, "runweasel", ""},
		{"bad value", "7.0", map[string]any{"KS": ks, "ip": "10.0.0.1 x"}, "", `BOOT.CFG: kernel option ip="10.0.0.1 x": white space`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := layouts.Detect(open5(t, isogen.Spec{Version: tc.version}))
			if err != nil {
				t.Fatal(err)
			}
			orig := isogen.BootCfg5(tc.version)
			for _, g := range d.Generated {
				b, err := g.Render(tc.data)
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("err = %v, want %q", err, tc.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				got, want := strings.Split(string(b), "\n"), strings.Split(orig, "\n")
				if len(got) != len(want) {
					t.Fatalf("%s: %d lines, want %d", g.Dst, len(got), len(want))
				}
				for i := range got {
					if strings.HasPrefix(want[i], "kernelopt=") {
						if got[i] != "kernelopt="+tc.opt {
							t.Errorf("%s: %q, want kernelopt=%s", g.Dst, got[i], tc.opt)
						}
					} else if got[i] != want[i] {
						t.Errorf("%s line %d: %q, want %q (unchanged)", g.Dst, i+1, got[i], want[i])
					}
				}
				again, _ := g.Render(tc.data)
				if !bytes.Equal(again, b) {
					t.Error("two renders differ")
				}
			}
		})
	}
}

func render(t *testing.T, tmpl string, data map[string]any) string {
	t.Helper()
	tp, err := template.New("syslinux.cfg").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tp.Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTemplate5 renders the 5.x+ syslinux.cfg: the ISO's isolinux.cfg with
// no -p, the timeout and an optional serial line.
func TestTemplate5(t *testing.T) {
	data := map[string]any{"Serial": false, "Timeout": 50, "KS": "usb", "Host": "esx1"}
	want70 := `DEFAULT menu.c32
MENU TITLE ESXi-7.0U3c-19193900-standard Boot Menu
NOHALT 1
PROMPT 0
TIMEOUT 50
LABEL install
  KERNEL mboot.c32
  APPEND -c boot.cfg
  MENU LABEL ESXi-7.0U3c-19193900-standard ^Installer
LABEL hddboot
  LOCALBOOT 0x80
  MENU LABEL ^Boot from local disk
`
	for _, tc := range []struct {
		name, cfg string
		line      int
		serial    bool
		want      string
	}{
		{"7.0", isogen.Isolinux5("7.0"), 8, false, want70},
		{"serial", isogen.Isolinux5("7.0"), 8, true, "serial 0 115200\n" + want70},
		{"CRLF", strings.ReplaceAll(isogen.Isolinux5("7.0"), "\n", "\r\n"), 8, false, want70},
		{"-p 1 removed", "label a\n  append -c /boot.cfg -p 1 -S 1\n timeout 10", 2, false, "label a\n  append -c /boot.cfg -S 1\n timeout 50"},
		{"-p 2 removed", "append -p 2 -c boot.cfg", 1, false, "append -c boot.cfg"},
		{"dangling -p", "append -c boot.cfg -p  ", 1, false, "append -c boot.cfg"},
		{"-p after the options is the kernel's", "append -c boot.cfg x=1 -p 1", 1, false, "append -c boot.cfg x=1 -p 1"},
		{"the kernel's ks= and ip= go: kernelopt= has the host's", "  append -c boot.cfg ks=cdrom:/KS.CFG runweasel IP=1.2.3.4", 1, false, "  append -c boot.cfg runweasel"},
		{"-p1 removed, -S 1 kept", "append -S 1 -p1 -c b.cfg", 1, false, "append -S 1 -c b.cfg"},
		{"no -p: kept as it is", "  append  -c boot.cfg\t", 1, false, "  append  -c boot.cfg\t"},
		{"template text kept", "# {{.KS}} }} {{\nappend -c boot.cfg -p 1", 2, false, "# {{.KS}} }} {{\nappend -c boot.cfg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := layouts.Template5([]byte(tc.cfg), tc.line)
			if err != nil {
				t.Fatal(err)
			}
			data["Serial"] = tc.serial
			if got := render(t, tmpl, data); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	if _, err := layouts.Template5([]byte("a\nb"), 3); err == nil || !strings.Contains(err.Error(), "APPEND line 3: the file has 2 lines") {
		t.Errorf("err = %v", err)
	}
}

func TestPartitionArgs(t *testing.T) {
	cfg := "label a\n  APPEND -c boot.cfg -p 1\nappend -S 1 -p2\nappend -c boot.cfg ks=x -p 3\n append vmkboot.gz -p 4\nkernel -p 5\n"
	got := layouts.PartitionArgs(cfg)
	want := []layouts.PartitionArg{{2, "APPEND -c boot.cfg -p 1", "1"}, {3, "append -S 1 -p2", "2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PartitionArgs = %+v, want %+v", got, want)
	}
}

// TestDetect5Template: the detected template is the ISO's isolinux.cfg.
func TestDetect5Template(t *testing.T) {
	for _, v := range isogen.Versions5 {
		d, err := layouts.Detect(open5(t, isogen.Spec{Version: v}))
		if err != nil {
			t.Fatal(err)
		}
		got := render(t, d.Template, map[string]any{"Serial": false, "Timeout": 80})
		want := isogen.Isolinux5(v)
		if got != want {
			t.Errorf("%s:\n%s\nwant\n%s", v, got, want)
		}
	}
}

// TestDetect5MbootReading: the ISO's boot.cfg is read as VMware's mboot
// reads it; a line mboot loses is an error naming it, a line it reads
// other than as written a warning.
func TestDetect5MbootReading(t *testing.T) {
	base := isogen.BootCfg5("7.0")
	for _, tc := range []struct {
		name, from, to string
		err, warn      string
		kernel         string // the first module detected
	}{
		{name: "space before =", from: "kernel=/b.b00", to: "kernel = /b.b00",
			err: `BOOT.CFG line 5: "kernel = /b.b00" has a space before '=': VMware's mboot ignores the line (it means kernel=/b.b00)`},
		{name: "not a number", from: "timeout=5", to: "timeout=5s",
			err: "BOOT.CFG line 3: timeout=5s is not a number: VMware's mboot rejects the whole file"},
		{name: "abbreviated key", from: "kernel=/b.b00", to: "KERN=/b.b00",
			warn: `BOOT.CFG line 5: "KERN=/b.b00" sets kernel=: VMware's mboot matches keys by prefix`, kernel: "b.b00"},
		{name: "blanks folded", from: "kernel=/b.b00", to: "kernel=\t /b.b00\r", kernel: "b.b00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := strings.Replace(base, tc.from, tc.to, 1)
			if cfg == base {
				t.Fatalf("%q not in the 7.0 boot.cfg", tc.from)
			}
			d, err := layouts.Detect(open5(t, isogen.Spec{Version: "7.0", Files: map[string][]byte{"BOOT.CFG": []byte(cfg)}}))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.warn != "" && !slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.Contains(w, tc.warn) }) {
				t.Errorf("warnings %q lack %q", d.Warnings, tc.warn)
			}
			if tc.warn == "" && len(d.Warnings) > 0 {
				t.Errorf("warnings %q", d.Warnings)
			}
			if d.Modules[0] != tc.kernel {
				t.Errorf("kernel %q, want %q", d.Modules[0], tc.kernel)
			}
		})
	}
}

// TestSettingsReplaced: a ks= (or network option) that the ISO's config
// already carries is replaced by the host's, never doubled, and the
// detection says what it replaced.
func TestSettingsReplaced(t *testing.T) {
	d, err := layouts.Detect(open5(t, isogen.Spec{RockRidge: true,
		IsolinuxCfg: strings.Replace(isogen.Isolinux41, "vmkboot.gz", "vmkboot.gz ks=cdrom:/KS.CFG", 1)}))
	if err != nil {
		t.Fatal(err)
	}
	if d.ModuleArgs[0] != "" || len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "module vmkboot.gz has ks=cdrom:/KS.CFG: the host's ks= replaces it") {
		t.Errorf("4.1: args %q, warnings %q", d.ModuleArgs[0], d.Warnings)
	}
	cfg := strings.Replace(isogen.BootCfg5("7.0"), "kernelopt=runweasel", "kernelopt=runweasel ks=cdrom:/KS.CFG", 1)
	iso := strings.Replace(isogen.Isolinux5("7.0"), "APPEND -c boot.cfg", "APPEND -c boot.cfg ks=usb:/OTHER.CFG", 1)
	d, err = layouts.Detect(open5(t, isogen.Spec{Version: "7.0", IsolinuxCfg: iso, Files: map[string][]byte{"BOOT.CFG": []byte(cfg)}}))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(d.Warnings, "\n")
	for _, want := range []string{"APPEND has ks=usb:/OTHER.CFG, which mboot would pass to the kernel beside kernelopt=: removed",
		"BOOT.CFG line 6: kernelopt= has ks=cdrom:/KS.CFG: a host's ks replaces it"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(d.Template, "OTHER.CFG") {
		t.Errorf("template keeps the ISO's ks=:\n%s", d.Template)
	}
}
