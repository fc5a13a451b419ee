package builder

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// TestCDPlan: a host's CD carries ks= where each layout's loader reads it,
// cdromBoot kept, and KS.CFG with --embed-ks; the copy reads back with the
// new texts and mode 0600 when it holds a kickstart.
func TestCDPlan(t *testing.T) {
	tests := []struct {
		name  string
		spec  isogen.Spec
		o     Options
		files map[string]string // path -> text it must hold
	}{
		{"7.0 url", isogen.Spec{Version: "7.0", ElTorito: true},
			Options{Host: "esx01", KS: "http://deploy/ks/{{.Host}}.cfg", Vars: map[string]string{"ip": "10.0.0.5", "netmask": "255.255.255.0"}},
			map[string]string{
				"BOOT.CFG":          "\nkernelopt=runweasel cdromBoot ks=http://deploy/ks/esx01.cfg ip=10.0.0.5 netmask=255.255.255.0\n",
				"EFI/BOOT/BOOT.CFG": "\nkernelopt=runweasel cdromBoot ks=http://deploy/ks/esx01.cfg ip=10.0.0.5 netmask=255.255.255.0\n",
				"ISOLINUX.CFG":      "  APPEND -c boot.cfg\n",
			}},
		{"6.5 embedded", isogen.Spec{Version: "6.5", ElTorito: true},
			Options{Host: "esx02", Kickstart: []byte("vmaccepteula\n")},
			map[string]string{
				"BOOT.CFG": "\nkernelopt=runweasel ks=cdrom:/KS.CFG\n",
				"KS.CFG":   "vmaccepteula\n",
			}},
		{"4.1 Rock Ridge", isogen.Spec{Version: "4.1", ElTorito: true, RockRidge: true},
			Options{Host: "esx03", KS: "nfs://10.0.0.1/ks/esx03.cfg", Kickstart: []byte("install cdrom\n")},
			map[string]string{
				"isolinux.cfg": "\nappend vmkboot.gz ks=nfs://10.0.0.1/ks/esx03.cfg --- vmkernel.gz --- sys.vgz --- cim.vgz --- ienviron.vgz --- install.vgz\n",
				"KS.CFG":       "install cdrom\n",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			iso := filepath.Join(dir, "in.iso")
			if err := isogen.Write(iso, tc.spec); err != nil {
				t.Fatal(err)
			}
			in, err := OpenCD(iso)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			p, err := in.Plan(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "host.iso")
			res, err := p.WriteFile(context.Background(), out, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(out)
			if want := p.Mode(); st.Mode().Perm() != want || res.Bytes != st.Size() {
				t.Errorf("mode %v, %d bytes; want %v, %d", st.Mode().Perm(), st.Size(), want, res.Bytes)
			}
			im, err := isofs.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			for path, want := range tc.files {
				got, err := im.ReadFile(path, 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(got), want) {
					t.Errorf("%s:\n%s\nwant it to hold %q", path, got, want)
				}
			}
		})
	}
}

// TestCDNoElTorito: media no firmware boots are refused.
func TestCDNoElTorito(t *testing.T) {
	iso := filepath.Join(t.TempDir(), "in.iso")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0"}); err != nil {
		t.Fatal(err)
	}
	_, err := OpenCD(iso)
	if err == nil || !strings.Contains(err.Error(), "no El Torito boot record") {
		t.Errorf("error %v", err)
	}
}
