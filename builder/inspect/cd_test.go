package inspect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/cd"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// cdCopy writes the fixture and a copy with edits (nil: the fixture
// itself is inspected).
func cdCopy(t *testing.T, spec isogen.Spec, edits []cd.Edit) (orig, out string) {
	t.Helper()
	dir := t.TempDir()
	orig = filepath.Join(dir, "in.iso")
	if err := isogen.Write(orig, spec); err != nil {
		t.Fatal(err)
	}
	if edits == nil {
		return orig, orig
	}
	src, err := cd.Open(orig)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p, err := src.Plan(edits, epoch0)
	if err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(dir, "out.iso")
	f := createFile(t, out)
	defer f.Close()
	if _, _, err := p.Fill(t.Context(), f, cd.VerifyWritten); err != nil {
		t.Fatal(err)
	}
	return orig, out
}

// TestInspectCD judges CDs as firmware and loaders read them.
func TestInspectCD(t *testing.T) {
	boot := isogen.BootCfg5("7.0")
	host := strings.Replace(boot, "kernelopt=runweasel cdromBoot", "kernelopt=runweasel cdromBoot ks=cdrom:/KS.CFG", 1)
	tests := []struct {
		name   string
		spec   isogen.Spec
		edits  []cd.Edit
		faults []string // each must be among the faults; none means bootable
		warns  []string
	}{
		{"host CD", isogen.Spec{Version: "7.0", ElTorito: true},
			[]cd.Edit{{Path: "BOOT.CFG", Data: []byte(host)}, {Path: "EFI/BOOT/BOOT.CFG", Data: []byte(host)}, {Path: "KS.CFG", Data: []byte("x\n")}}, nil, nil},
		{"the media as they are", isogen.Spec{Version: "7.0", ElTorito: true}, nil,
			[]string{"no ks= on the boot line"}, nil},
		{"no El Torito", isogen.Spec{Version: "7.0"}, []cd.Edit{{Path: "BOOT.CFG", Data: []byte(host)}},
			[]string{"no El Torito boot record at sector 17", "El Torito: no BIOS entry"}, nil},
		{"ks on the CD missing", isogen.Spec{Version: "7.0", ElTorito: true},
			[]cd.Edit{{Path: "BOOT.CFG", Data: []byte(host)}, {Path: "EFI/BOOT/BOOT.CFG", Data: []byte(host)}},
			[]string{"ks=cdrom:/KS.CFG: /KS.CFG is not on the CD"}, nil},
		{"BIOS and UEFI disagree", isogen.Spec{Version: "7.0", ElTorito: true},
			[]cd.Edit{{Path: "BOOT.CFG", Data: []byte(strings.Replace(boot, "cdromBoot", "ks=http://a/b", 1))}},
			[]string{"UEFI's EFI/BOOT/BOOT.CFG gives ks=, but BIOS's BOOT.CFG gives ks=http://a/b"},
			[]string{"BOOT.CFG: kernelopt= lacks cdromBoot"}},
		{"4.1", isogen.Spec{Version: "4.1", RockRidge: true, ElTorito: true},
			[]cd.Edit{{Path: "isolinux.cfg", Data: []byte(strings.Replace(isogen.Isolinux41, "append vmkboot.gz", "append vmkboot.gz ks=http://d/k", 1))}}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig, out := cdCopy(t, tc.spec, tc.edits)
			o, err := isofs.Open(orig)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			r, err := InspectCD(out, o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Bootable != (len(tc.faults) == 0) {
				t.Errorf("bootable %v\n%s", r.Bootable, r.Text())
			}
			for _, want := range tc.faults {
				if !strings.Contains(strings.Join(r.Faults, "\n"), want) {
					t.Errorf("no fault %q\n%s", want, r.Text())
				}
			}
			for _, want := range tc.warns {
				if !strings.Contains(strings.Join(r.Warnings, "\n"), want) {
					t.Errorf("no warning %q\n%s", want, r.Text())
				}
			}
		})
	}
}

var epoch0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func createFile(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
