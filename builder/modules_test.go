package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// inspectISO inspects img against fx's ISO, as inspect --iso does.
func inspectISO(t *testing.T, fx fixture, img string) *inspect.Report {
	t.Helper()
	iso, err := isofs.Open(fx.iso)
	if err != nil {
		t.Fatal(err)
	}
	defer iso.Close()
	d, err := layouts.Detect(iso)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r, err := inspect.Inspect(f, st.Size(), inspect.Options{ISO: iso, ISOLayout: d})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// driverFile writes a module file of n bytes and returns its path.
func driverFile(t *testing.T, name string, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + n)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// buildAdded builds fx with the modules added (FILE[:NAME] values) and
// returns the plan and the image; the write's read-back has compared the
// image's copy of every module with its file.
func buildAdded(t *testing.T, fx fixture, o Options, args ...string) (*Plan, string) {
	t.Helper()
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for _, a := range args {
		if err := in.AddModule(ParseAddModule(a)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := in.Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "host.img")
	if _, err := p.WriteFile(t.Context(), img, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return p, img
}

// TestAddModule41: on 4.x the added modules follow the ISO's on the append
// line, in the order given, and are in the root folder byte for byte.
func TestAddModule41(t *testing.T) {
	needTool(t, "mtype")
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	oem := driverFile(t, "oem.tgz", 70000)
	net := driverFile(t, "e1000-driver.tgz", 513)
	p, img := buildAdded(t, fx, hostOpts, oem, net+":net.tgz")
	want := "append vmkboot.gz ks=" + hostOpts.KS + " --- vmkernel.gz --- sys.vgz --- cim.vgz --- ienviron.vgz --- install.vgz --- oem.tgz --- net.tgz\n"
	if !strings.Contains(p.Config, want) {
		t.Fatalf("syslinux.cfg:\n%s\nwant the line %q", p.Config, want)
	}
	for _, f := range []struct{ path, name string }{{oem, "OEM.TGZ"}, {net, "NET.TGZ"}} {
		b, _ := os.ReadFile(f.path)
		if got := mtools(t, p, img, "mtype", "::"+f.name); got != string(b) {
			t.Errorf("%s: %d bytes on the image differ from %s", f.name, len(got), f.path)
		}
	}
	r := inspectISO(t, fx, img)
	if !r.Bootable || len(r.Faults)+len(r.Warnings) > 0 || !r.ISO.Match || strings.Join(r.ISO.Added, " ") != "/OEM.TGZ /NET.TGZ" || len(r.ISO.NotOnISO) > 0 {
		t.Errorf("inspect --iso: bootable %v, faults %q, warnings %q, ISO %+v", r.Bootable, r.Faults, r.Warnings, r.ISO)
	}
	b, _ := os.ReadFile(oem)
	sum := sha256.Sum256(b)
	if len(p.Added) != 2 || p.Added[0].Name != "OEM.TGZ" || p.Added[0].SHA256 != hex.EncodeToString(sum[:]) || p.Added[0].Bytes != 70000 || p.Added[1].Path != net {
		t.Errorf("plan's added modules: %+v", p.Added)
	}
}

// TestAddModule70: on 5.x+ both BOOT.CFGs list the added module at the end
// of modules=, by its absolute path; nothing else of them changes.
func TestAddModule70(t *testing.T) {
	fx := newFixture(t, isogen.Spec{Version: "7.0"}, tarball.Spec{Version: "3.86"})
	plain, _ := fx.build(t, hostOpts)
	p, img := buildAdded(t, fx, hostOpts, driverFile(t, "net-e1000.v00", 4100)+":NET.V00")
	for _, name := range []string{"BOOT.CFG", "EFI/BOOT/BOOT.CFG"} {
		before, after := plain.Generated[name], p.Generated[name]
		want := strings.Replace(before, " --- /imgpayld.tgz\n", " --- /imgpayld.tgz --- /net.v00\n", 1)
		if before == want || after != want {
			t.Errorf("%s:\n%s\nwant\n%s", name, after, want)
		}
	}
	r := inspectISO(t, fx, img)
	if !r.Bootable || len(r.Faults)+len(r.Warnings) > 0 || !r.ISO.Match || strings.Join(r.ISO.Added, " ") != "/NET.V00" ||
		len(r.ISO.NotOnISO)+len(r.ISO.Differ) > 0 || len(r.ISO.HostEdits) != 2 {
		t.Errorf("inspect --iso: bootable %v, faults %q, warnings %q, ISO %+v", r.Bootable, r.Faults, r.Warnings, r.ISO)
	}
	if n := len(r.UEFI.Modules); n == 0 || r.UEFI.Modules[n-1].Path != "/NET.V00" || !r.UEFI.Modules[n-1].Found {
		t.Errorf("UEFI path modules: %+v", r.UEFI.Modules)
	}
	if p.DiskSignature == plain.DiskSignature {
		t.Error("an added module left the disk signature as it was")
	}
}

// TestAddModuleRefused: every refusal names the user's file and says why.
func TestAddModuleRefused(t *testing.T) {
	fx41 := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	fx70 := newFixture(t, isogen.Spec{Version: "7.0"}, tarball.Spec{Version: "3.86"})
	good := driverFile(t, "good.tgz", 100)
	empty := driverFile(t, "empty.tgz", 0)
	for _, tc := range []struct {
		name  string
		fx    fixture
		first string // added before, "" for none
		arg   string
		want  string
	}{
		{"not 8.3", fx41, "", driverFile(t, "net-e1000e.tgz", 10), `"net-e1000e.tgz" is not an 8.3 name`},
		{"three dashes", fx70, "", good + ":a---b.v00", `has "---": mboot splits modules= at every "---"`},
		{"a space", fx70, "", good + ":a b.v00", `"a b.v00" has ' ', not allowed in an 8.3 name`},
		{"ends with a dot", fx41, "", good + ":oem.", "ends with a dot"},
		{"an ISO module", fx70, "", good + ":S.V00", "its name S.V00 is already on the partition (the ISO's S.V00)"},
		{"an ISO module, other case", fx41, "", good + ":sys.vgz", "its name SYS.VGZ is already on the partition (the ISO's sys.vgz)"},
		{"mboot.c32", fx41, "", good + ":MBOOT.C32", "already on the partition (the ISO's mboot.c32)"},
		{"the host's BOOT.CFG", fx70, "", good + ":boot.cfg", "already on the partition (the host's copy of the ISO's BOOT.CFG)"},
		{"ldlinux.sys", fx41, "", good + ":ldlinux.sys", "already on the partition (the builder writes LDLINUX.SYS itself)"},
		{"ks.cfg", fx70, "", good + ":KS.CFG", "the builder writes KS.CFG itself"},
		{"twice", fx70, good, good, "already on the partition (added from " + good + ")"},
		{"empty", fx70, "", empty, "the file is empty"},
		{"a folder", fx70, "", t.TempDir() + ":x.v00", "is a folder, not a regular file"},
		{"missing", fx70, "", "/nonexistent/x.v00", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Open(tc.fx.iso, tc.fx.tarball)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if tc.first != "" {
				if err := in.AddModule(ParseAddModule(tc.first)); err != nil {
					t.Fatal(err)
				}
			}
			file, _ := ParseAddModule(tc.arg)
			err = in.AddModule(ParseAddModule(tc.arg))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--add-module "+file+": ") {
				t.Errorf("err = %v\nwant %q after --add-module %s", err, tc.want, file)
			}
		})
	}
}

// TestAddModuleTemplate: a 4.x --cfg-template whose append line leaves
// the added module out is refused; the module would be copied, never loaded.
func TestAddModuleTemplate(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := in.AddModule(driverFile(t, "oem.tgz", 10), ""); err != nil {
		t.Fatal(err)
	}
	o := hostOpts
	o.CfgName, o.CfgTemplate = "mine.tmpl", "default 1\nlabel 1\nkernel mboot.c32\nappend {{.FirstModule}} ks={{.KS}} --- vmkernel.gz\n"
	if _, err := in.Plan(o); err == nil || !strings.Contains(err.Error(), "mine.tmpl: no append line names the added module oem.tgz") {
		t.Errorf("err = %v", err)
	}
}

func TestParseAddModule(t *testing.T) {
	for _, tc := range []struct{ arg, file, name string }{
		{"drivers/oem.tgz", "drivers/oem.tgz", "oem.tgz"},
		{"drivers/net-e1000e.v00:NET.V00", "drivers/net-e1000e.v00", "NET.V00"},
		{"c:/x/oem.tgz", "c:/x/oem.tgz", "oem.tgz"},
		{"a:b/c.tgz", "a:b/c.tgz", "c.tgz"},
	} {
		if f, n := ParseAddModule(tc.arg); f != tc.file || n != tc.name {
			t.Errorf("%q: %q %q, want %q %q", tc.arg, f, n, tc.file, tc.name)
		}
	}
}
