package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestUEFIOnly: UEFI-only media build without a syslinux tarball: no
// LDLINUX.SYS, no SYSLINUX.CFG, no MBR boot code, one EFI system
// partition (0xEF) not marked active; inspect judges the image bootable by
// UEFI, not by BIOS, and calls nothing a fault. Same inputs, same bytes.
func TestUEFIOnly(t *testing.T) {
	needTool(t, "mdir")
	dir := t.TempDir()
	iso := filepath.Join(dir, "esxi9.iso")
	if err := isogen.Write(iso, isogen.Spec{Version: "8.0", UEFIOnly: true}); err != nil {
		t.Fatal(err)
	}
	build := func(tar string, o Options) (*Plan, string, *Inputs) {
		t.Helper()
		in, err := Open(iso, tar)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { in.Close() })
		p, err := in.Plan(o)
		if err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(t.TempDir(), "host.img")
		if _, err := p.WriteFile(t.Context(), img, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		return p, img, in
	}
	p, img, in := build("", hostOpts)
	if !p.UEFIOnly || p.Syslinux != "" || p.Config != "" || p.Partition.Type != TypeESP || p.Partition.Status != 0 || p.FAT.Type != 32 || len(p.Loader.Sectors) != 0 {
		t.Errorf("plan: uefi-only %v syslinux %q type %#x status %#x FAT%d loader %+v", p.UEFIOnly, p.Syslinux, p.Partition.Type, p.Partition.Status, p.FAT.Type, p.Loader)
	}
	if len(p.Generated) != 1 || !strings.Contains(p.Generated["EFI/BOOT/BOOT.CFG"], "kernelopt=runweasel ks="+hostOpts.KS+"\n") {
		t.Errorf("generated %q", p.Generated)
	}
	listing := mtools(t, p, img, "mdir", "-/", "-b", "::")
	for _, n := range []string{"LDLINUX.SYS", "SYSLINUX.CFG", "MBOOT.C32", "MENU.C32"} {
		if strings.Contains(listing, "::/"+n+"\n") {
			t.Errorf("%s on a UEFI-only image", n)
		}
	}
	for _, n := range []string{"EFI/BOOT/BOOTX64.EFI", "EFI/BOOT/BOOT.CFG", "B.B00", "S.V00"} {
		if !strings.Contains(listing, "::/"+n+"\n") {
			t.Errorf("%s not on the image:\n%s", n, listing)
		}
	}
	r := inspectISO(t, fixture{iso: iso}, img)
	if !r.Bootable || !r.UEFIOnly || len(r.Faults)+len(r.Warnings) > 0 || len(r.BIOSFaults) == 0 || !r.ISO.Match {
		t.Fatalf("inspect: bootable %v uefi-only %v faults %q warnings %q bios %q ISO %+v", r.Bootable, r.UEFIOnly, r.Faults, r.Warnings, r.BIOSFaults, r.ISO)
	}
	if text := r.Text(); !strings.Contains(text, ": bootable by UEFI; not by BIOS (a UEFI-only image: no syslinux)") || strings.Contains(text, "FAULT") {
		t.Errorf("inspect text:\n%s", text)
	}
	// A syslinux tarball is not needed, and not used when given.
	tar := filepath.Join(dir, "syslinux-3.86.tar.gz")
	if err := tarball.WriteFile(tar, tarball.Spec{Version: "3.86"}); err != nil {
		t.Fatal(err)
	}
	p2, _, in2 := build(tar, hostOpts)
	if p2.Tarball != "" || !strings.Contains(strings.Join(in2.Media.Warnings, "\n"), tar+": not used: the ISO's media are UEFI-only") {
		t.Errorf("with a tarball: %q, warnings %q", p2.Tarball, in2.Media.Warnings)
	}
	_, again, _ := build("", hostOpts)
	if a, b := fileSum(t, img), fileSum(t, again); a != b {
		t.Errorf("two builds differ: %s %s", a, b)
	}
	// Media with BIOS loaders still need the tarball.
	iso7 := filepath.Join(dir, "esxi7.iso")
	if err := isogen.Write(iso7, isogen.Spec{Version: "7.0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(iso7, ""); err == nil || !strings.Contains(err.Error(), "esxi-7.0 media boot by BIOS through syslinux: give the syslinux-3.86 release tarball (--syslinux)") {
		t.Errorf("7.0 without a tarball: %v", err)
	}
	o := hostOpts
	o.CfgName, o.CfgTemplate = "x.tmpl", "default 1\n"
	if _, err := in.Plan(o); err == nil || !strings.Contains(err.Error(), "x.tmpl: the ISO's media are UEFI-only") {
		t.Errorf("--cfg-template: %v", err)
	}
}

// fileSum is the SHA-256 of a file.
func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestUEFIOnlyNotForBrokenBIOS: a BIOS+UEFI image whose LDLINUX.SYS is
// gone is not mistaken for a UEFI-only one: it keeps its faults.
func TestUEFIOnlyNotForBrokenBIOS(t *testing.T) {
	needTool(t, "mdel")
	fx := newFixture(t, isogen.Spec{Version: "7.0"}, tarball.Spec{Version: "3.86"})
	p, img := fx.build(t, hostOpts)
	mtools(t, p, img, "mattrib", "-r", "-s", "-h", "::LDLINUX.SYS")
	mtools(t, p, img, "mdel", "::LDLINUX.SYS")
	r := inspectISO(t, fx, img)
	if r.Bootable || r.UEFIOnly || len(r.Faults) == 0 {
		t.Errorf("bootable %v, UEFI-only %v, faults %q", r.Bootable, r.UEFIOnly, r.Faults)
	}
}
