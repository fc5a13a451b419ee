package layouts_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil/testiso"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

var (
	mods41 = []string{"vmkboot.gz", "vmkernel.gz", "sys.vgz", "cim.vgz", "ienviron.vgz", "install.vgz"}
	mods40 = []string{"vmkboot.gz", "vmkernel.gz", "sys.vgz", "cim.vgz", "ienviron.tgz", "image.tgz", "install.tgz"}
	dst41  = []string{"MBOOT.C32", "VMKBOOT.GZ", "VMKERNEL.GZ", "SYS.VGZ", "CIM.VGZ", "IENVIRON.VGZ", "INSTALL.VGZ", "MENU.C32"}
	dst40  = []string{"MBOOT.C32", "VMKBOOT.GZ", "VMKERNEL.GZ", "SYS.VGZ", "CIM.VGZ", "IENVIRON.TGZ", "IMAGE.TGZ", "INSTALL.TGZ", "MENU.C32"}
)

const cfg5 = "DEFAULT menu.c32\r\nMENU TITLE ESXi-7.0U3 Boot Menu\r\nLABEL install\r\n  KERNEL mboot.c32\r\n  APPEND -c boot.cfg\r\n"

// TestDetectISO runs detection on generated ISOs.
func TestDetectISO(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   isogen.Spec
		layout string
		mods   []string
		dst    []string
		found  string
		err    string
	}{
		{name: "4.1 rock ridge", spec: isogen.Spec{RockRidge: true}, layout: "esxi-4.1", mods: mods41, dst: dst41,
			found: "ESXi 4.1 (volume ESXi-4.1.0-260247; isolinux.cfg: mboot.c32 + 6 modules, "},
		{name: "4.1 plain ISO9660", spec: isogen.Spec{}, layout: "esxi-4.1", mods: mods41, dst: dst41,
			found: "; ISOLINUX.CFG: mboot.c32 + 6 modules"},
		{name: "4.1 joliet", spec: isogen.Spec{Joliet: true}, layout: "esxi-4.1", mods: mods41, dst: dst41},
		{name: "4.0", spec: isogen.Spec{Version: "4.0", RockRidge: true}, layout: "esxi-4.0", mods: mods40, dst: dst40,
			found: "ESXi 4.0 (volume ESXi-4.0.0-164009; isolinux.cfg: mboot.c32 + 7 modules"},
		{name: "no menu.c32", spec: isogen.Spec{RockRidge: true, Omit: []string{"menu.c32"}}, layout: "esxi-4.1", mods: mods41, dst: dst41[:7]},
		{name: "isolinux 3.70", spec: isogen.Spec{RockRidge: true}, layout: "esxi-4.1", mods: mods41, dst: dst41, found: "; isolinux 3.70)"},
		{name: "missing module", spec: isogen.Spec{RockRidge: true, Omit: []string{"sys.vgz"}},
			err: `esxi-4.1 media: isolinux.cfg line 8 (label "ESXi Installer"): module sys.vgz is not on the ISO`},
		{name: "missing mboot.c32", spec: isogen.Spec{Omit: []string{"mboot.c32"}}, err: "kernel mboot.c32 is not on the ISO"},
		{name: "no isolinux.cfg", spec: isogen.Spec{Omit: []string{"isolinux.cfg"}, Files: map[string][]byte{"EFI/BOOT/BOOT.CFG": nil}},
			err: "no known ESXi layout: no isolinux.cfg; root holds A.Z, BOOT.CAT, CIM.VGZ, CIMSTG.TGZ, EFI/,"},
		{name: "vesamenu", spec: isogen.Spec{IsolinuxCfg: "default vesamenu.c32\nlabel linux\nkernel vesamenu.c32\n"},
			err: `no known ESXi layout: ISOLINUX.CFG: label "linux" has kernel vesamenu.c32`},
		{name: "5.x style", spec: isogen.Spec{RockRidge: true, IsolinuxCfg: cfg5},
			err: `no known ESXi layout: isolinux.cfg: label "install" has kernel mboot.c32 append -c boot.cfg (ESXi 5.x+ style, line 5: mboot.c32 reads boot.cfg, which is not on the ISO)`},
		{name: "unknown 4.x list", spec: isogen.Spec{RockRidge: true, IsolinuxCfg: "label x\nkernel mboot.c32\nappend vmkboot.gz --- vmkernel.gz\n"},
			err: "an ESXi 4.x-style module list, but without"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, _ := testiso.Open(t, tc.spec)
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
			check(t, d, tc.layout, tc.mods, tc.dst)
			if !strings.Contains(d.Found, tc.found) {
				t.Errorf("Found %q lacks %q", d.Found, tc.found)
			}
			for _, c := range d.Files {
				f, ok := im.Lookup(c.Src)
				if !ok || f.Path != c.Src || f.Size != c.Size {
					t.Errorf("copy %+v does not match the ISO's %+v", c, f)
				}
			}
		})
	}
}

func check(t *testing.T, d *layouts.Detected, layout string, mods, dst []string) {
	t.Helper()
	if d.Layout != layout || d.Family != 4 || d.Syslinux != "3.70" || d.Kernel != "mboot.c32" {
		t.Errorf("got %s family %d syslinux %s kernel %s", d.Layout, d.Family, d.Syslinux, d.Kernel)
	}
	if !slices.Equal(d.Modules, mods) {
		t.Errorf("modules %v, want %v", d.Modules, mods)
	}
	if len(d.ModuleArgs) != len(d.Modules) {
		t.Errorf("%d module args for %d modules", len(d.ModuleArgs), len(d.Modules))
	}
	var got []string
	for _, c := range d.Files {
		got = append(got, c.Dst)
	}
	if !slices.Equal(got, dst) {
		t.Errorf("files %v, want %v", got, dst)
	}
	if d.Template != layouts.Template4 || d.Template == "" {
		t.Error("template is not the 4.x default")
	}
}

// media is an in-memory Media.
type media map[string]string

func (m media) Lookup(p string) (isofs.File, bool) {
	for name, text := range m {
		if strings.EqualFold(name, strings.TrimPrefix(p, "/")) {
			return isofs.File{Path: name, Size: int64(len(text))}, true
		}
	}
	return isofs.File{}, false
}

func (m media) ReadFile(p string, max int64) ([]byte, error) {
	f, ok := m.Lookup(p)
	if !ok {
		return nil, fs.ErrNotExist
	}
	if f.Size > max {
		return nil, fmt.Errorf("%s: too big", p)
	}
	return []byte(m[f.Path]), nil
}

func withCfg(cfg string, extra ...string) media {
	m := media{"isolinux.cfg": cfg, "mboot.c32": "m", "menu.c32": "menu"}
	for _, n := range append(mods41, extra...) {
		m[n] = "module " + n
	}
	return m
}

// TestDetectFake covers isolinux.cfg variations on in-memory media.
func TestDetectFake(t *testing.T) {
	for _, tc := range []struct {
		name   string
		m      media
		mods   []string
		args   []string
		label  string
		err    string
		layout string
	}{
		{name: "real text", m: withCfg(isogen.Isolinux41), mods: mods41, label: "ESXi Installer"},
		{name: "CRLF upper case comments", m: withCfg("# comment\r\nDEFAULT 1\r\nLABEL 1\r\n\tKERNEL /mboot.c32\r\n  APPEND vmkboot.gz --- vmkernel.gz --- sys.vgz --- cim.vgz --- ienviron.vgz --- install.vgz\r\n"),
			mods: mods41, label: "1"},
		{name: "module args", m: withCfg("label a\nkernel mboot.c32\nappend vmkboot.gz noauto --- vmkernel.gz x=1 y --- sys.vgz --- cim.vgz --- ienviron.vgz --- install.vgz\n"),
			mods: mods41, args: []string{"noauto", "x=1 y", "", "", "", ""}, label: "a"},
		{name: "default label wins", m: withCfg("default b\nlabel a\nkernel mboot.c32\nappend vmkboot.gz --- ienviron.vgz\nlabel b\nkernel mboot.c32\nappend vmkboot.gz --- vmkernel.gz --- sys.vgz --- cim.vgz --- ienviron.vgz --- install.vgz\n"),
			mods: mods41, label: "b"},
		{name: "oem.tgz added", m: withCfg("label a\nkernel mboot.c32\nappend vmkboot.gz --- vmkernel.gz --- sys.vgz --- cim.vgz --- oem.tgz --- ienviron.vgz --- install.vgz\n", "oem.tgz"),
			mods: []string{"vmkboot.gz", "vmkernel.gz", "sys.vgz", "cim.vgz", "oem.tgz", "ienviron.vgz", "install.vgz"}, label: "a"},
		{name: "empty module", m: withCfg("label a\nkernel mboot.c32\nappend vmkboot.gz --- --- ienviron.vgz\n"), err: `(line 3: module 2 of "vmkboot.gz --- --- ienviron.vgz" is empty)`},
		{name: "not 8.3", m: withCfg("label a\nkernel mboot.c32\nappend vmkboot.gz --- longmodule.vgz --- ienviron.vgz\n", "longmodule.vgz"),
			err: `module longmodule.vgz: "longmodule.vgz" is not an 8.3 name`},
		{name: "binary cfg", m: media{"isolinux.cfg": "label\x00"}, err: "isolinux.cfg: NUL byte"},
		{name: "no labels", m: media{"isolinux.cfg": "default menu.c32\n"}, err: `isolinux.cfg has no labels (default "menu.c32")`},
		{name: "no listing", m: media{"boot.cfg": "x"}, err: "no isolinux.cfg; the media cannot be listed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := layouts.Detect(tc.m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v\nwant %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Modules, tc.mods) || d.Label != tc.label {
				t.Errorf("modules %v label %q, want %v %q", d.Modules, d.Label, tc.mods, tc.label)
			}
			if tc.args != nil && !slices.Equal(d.ModuleArgs, tc.args) {
				t.Errorf("args %q, want %q", d.ModuleArgs, tc.args)
			}
			if d.Files[0].Dst != "MBOOT.C32" || d.Files[len(d.Files)-1].Dst != "MENU.C32" {
				t.Errorf("files %+v", d.Files)
			}
		})
	}
}

// TestTemplate4 renders the default template as the procedure's syslinux.cfg.
func TestTemplate4(t *testing.T) {
	data := map[string]any{"Serial": false, "Timeout": 50, "Kernel": "mboot.c32", "FirstModule": "vmkboot.gz",
		"Modules": mods41[1:], "KS": "<per host>", "Host": "esx1", "Vars": map[string]string{}}
	want := `default 1
prompt 1
menu title VMware VMvisor Boot Menu
timeout 50
label 1
kernel mboot.c32
append vmkboot.gz ks=<per host> --- vmkernel.gz --- sys.vgz --- cim.vgz --- ienviron.vgz --- install.vgz
label 0
localboot 0x80
`
	for _, serial := range []bool{false, true} {
		data["Serial"] = serial
		tmpl := template.Must(template.New("syslinux.cfg").Option("missingkey=error").Parse(layouts.Template4))
		var b bytes.Buffer
		if err := tmpl.Execute(&b, data); err != nil {
			t.Fatal(err)
		}
		w := want
		if serial {
			w = "serial 0 115200\n" + want
		}
		if b.String() != w {
			t.Errorf("serial=%v:\n%s\nwant\n%s", serial, b.String(), w)
		}
	}
}

func TestParseModules(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []layouts.Module
		err  bool
	}{
		{"a.gz", []layouts.Module{{Name: "a.gz"}}, false},
		{"/a.gz x --- b.gz\t---\tc.gz y z", []layouts.Module{{"a.gz", "x"}, {"b.gz", ""}, {"c.gz", "y z"}}, false},
		{"--- a.gz", nil, true},
		{"a.gz ---", nil, true},
		{"", nil, true},
		{"/  boot.cfg", nil, true},
		{"a.gz --- isolinux/", nil, true},
		{"a.gz --- /--- b.gz", nil, true},
	} {
		got, err := layouts.ParseModules(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("ParseModules(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestDetectRealSizes: the real 4.1 file sizes, the payload and the summary.
func TestDetectRealSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 333 MB")
	}
	p := filepath.Join(t.TempDir(), "real.iso")
	if err := isogen.Write(p, isogen.Spec{RealSizes: true, RockRidge: true}); err != nil {
		t.Fatal(err)
	}
	im, err := isofs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	d, err := layouts.Detect(im)
	if err != nil {
		t.Fatal(err)
	}
	check(t, d, "esxi-4.1", mods41, dst41)
	const found = "ESXi 4.1 (volume ESXi-4.1.0-260247; isolinux.cfg: mboot.c32 + 6 modules, 98.3 MB to copy; isolinux 3.70)"
	if d.Found != found {
		t.Errorf("Found %q\nwant  %q", d.Found, found)
	}
	want := []layouts.Copy{{Src: "imagedd.bz2", Dst: "IMAGEDD.BZ2", Size: 212380054}, {Src: "imagedd.md5", Dst: "IMAGEDD.MD5", Size: 46}}
	if !slices.Equal(d.Payload, want) {
		t.Errorf("payload %+v, want %+v", d.Payload, want)
	}
}
