package builder

import (
	"os"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// TestBootCfgNotWholeSectors: a host whose ks= makes its BOOT.CFG a whole
// number of 512-byte sectors (one host in 512) gets one more line end, so
// that VMware's mboot.c32 does not hang loading it under SYSLINUX 3.86
// (bootcfg.WholeSectors). mtools reads the sizes; inspect finds the image
// bootable.
func TestBootCfgNotWholeSectors(t *testing.T) {
	needTool(t, "mtype")
	fx := newFixture(t, isogen.Spec{Version: "7.0"}, tarball.Spec{Version: "3.86"})
	o := hostOpts
	p, img := fx.build(t, o)
	plain := len(mtools(t, p, img, "mtype", "::BOOT.CFG"))
	target := (plain/512 + 1) * 512
	o.KS += "?" + strings.Repeat("p", target-plain-1)
	p, img = fx.build(t, o)
	for _, name := range []string{"BOOT.CFG", "EFI/BOOT/BOOT.CFG"} {
		text := mtools(t, p, img, "mtype", "::"+name)
		if bootcfg.WholeSectors(int64(len(text))) || !strings.Contains(text, "ks="+o.KS) {
			t.Errorf("%s is %d bytes (ks= %d bytes long; %d without the extra ones): a whole number of sectors, or no ks=%s", name, len(text), len(o.KS), plain, o.KS)
		}
	}
	text := mtools(t, p, img, "mtype", "::BOOT.CFG")
	if len(text) != target+1 || !strings.HasSuffix(text, "\n\n") {
		t.Errorf("BOOT.CFG is %d bytes ending %q, want %d (%d and one more line end)", len(text), text[len(text)-2:], target+1, target)
	}
	if r := inspectImage(t, img); !r.Bootable {
		t.Errorf("inspect: not bootable:\n%s", r.Text())
	}
}

// TestModuleWholeSectors: a module of whole sectors on the BIOS path of a
// 5.x+ image (VMware's mboot.c32 reading through SYSLINUX 3.86) is refused
// with the file named; built with FAT16 and mboot's -p 1 (its own FAT
// reader) the same media make a bootable image.
func TestModuleWholeSectors(t *testing.T) {
	fx := newFixture(t, isogen.Spec{Version: "7.0", Sizes: map[string]int64{"sb.v00": 4096}}, tarball.Spec{Version: "3.86"})
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, err = in.Plan(hostOpts) // refused at the plan: before a byte is written, and under --dry-run
	if err == nil || !strings.Contains(err.Error(), "/BOOT.CFG line 7: module /sb.v00 is 4,096 bytes") || !strings.Contains(err.Error(), "is 4,096 bytes, a whole number of 512-byte sectors") || !strings.Contains(err.Error(), "-p 1") {
		t.Fatalf("plan with a 4,096-byte module: %v, want the module named with its line and the way out", err)
	}
	o := hostOpts
	o.FATType = 16
	o.CfgTemplate = "serial 0 115200\nDEFAULT install\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg -p 1\n"
	o.CfgName = "p1.tmpl"
	_, img := fx.build(t, o)
	if r := inspectImage(t, img); !r.Bootable {
		t.Errorf("FAT16, -p 1: not bootable:\n%s", r.Text())
	}
}

func inspectImage(t *testing.T, img string) *inspect.Report {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := inspect.Inspect(f, st.Size(), inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
