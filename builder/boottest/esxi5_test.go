package boottest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestESXi5Images builds an image from every 5.x+ ISO shape and checks it
// with independent readers: mtools (names, bytes), fsck.fat, and
// builder/inspect (BIOS path through boot.cfg, UEFI path through
// EFI/BOOT/BOOT.CFG, the same ks= on both).
func TestESXi5Images(t *testing.T) {
	for _, v := range isogen.Versions5 {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			o := e5Options()
			o.Vars = map[string]string{"ip": "10.1.2.3", "netmask": "255.255.255.0", "vlanid": "42"}
			b := e5Build(t, isogen.Spec{Version: v}, o)
			p := b.plan
			if p.Layout != "esxi-"+v || p.Syslinux != e5Version || p.FAT.Type != 32 {
				t.Errorf("layout %s syslinux %s FAT%d", p.Layout, p.Syslinux, p.FAT.Type)
			}
			if e := p.Partition; e.Type != mbr.TypeEFI || e.Status != mbr.StatusActive || e.StartLBA != builder.DefaultPartitionStart {
				t.Errorf("partition %+v: want one active EFI system (0xEF) partition at 1 MiB: the media carry a UEFI loader", e)
			}
			if !strings.Contains(p.Config, "\n  APPEND -c boot.cfg\n") || !strings.HasPrefix(p.Config, "serial 0 115200\nDEFAULT menu.c32\n") {
				t.Errorf("syslinux.cfg:\n%s", p.Config)
			}
			want := e5BootCfg(v, e5KS, "ip=10.1.2.3", "netmask=255.255.255.0", "vlanid=42")
			for _, name := range []string{"BOOT.CFG", "EFI/BOOT/BOOT.CFG"} {
				if got := string(e5Mtools(t, b, "mtype", "::"+name)); got != want {
					t.Errorf("%s:\n%s\nwant\n%s", name, got, want)
				}
			}
			if got := e5Mtools(t, b, "mtype", "::SYSLINUX.CFG"); string(got) != p.Config {
				t.Errorf("SYSLINUX.CFG on disk differs from the plan")
			}
			// Every file boot.cfg names, MBOOT.C32, MENU.C32 and the EFI
			// loaders, under upper-case 8.3 names, byte for byte.
			names := []string{"MBOOT.C32", "MENU.C32"}
			for _, m := range isogen.Modules5(v) {
				names = append(names, strings.ToUpper(m))
			}
			for _, n := range isogen.EFIFiles5(v) {
				names = append(names, "EFI/BOOT/"+n)
			}
			listing := string(e5Mtools(t, b, "mdir", "-/", "-b", "::"))
			for _, n := range names {
				if !strings.Contains(listing, "::/"+n+"\n") {
					t.Errorf("%s not in the listing:\n%s", n, listing)
				}
				if got := e5Mtools(t, b, "mtype", "::"+n); !bytes.Equal(got, b.isoBytes(t, n)) {
					t.Errorf("%s: %d bytes differ from the ISO's", n, len(got))
				}
			}
			for _, n := range []string{"ISOLINUX.BIN", "BOOT.CAT", "EFIBOOT.IMG", "UPGRADE"} {
				if strings.Contains(listing, "::/"+n) {
					t.Errorf("%s copied, though nothing boots it", n)
				}
			}
			e5Fsck(t, b)
			r := inspectImage(t, b.path)
			if !r.Bootable || len(r.Faults) > 0 || len(r.Warnings) > 0 {
				t.Fatalf("inspect: bootable %v, faults %q, warnings %q\n%s", r.Bootable, r.Faults, r.Warnings, r.Text())
			}
			if !strings.HasSuffix(r.Config.Boots, "label install") {
				t.Errorf("BIOS path boots %q", r.Config.Boots)
			}
			for _, l := range r.Config.Labels {
				if l.Name == "install" && (l.KS != e5KS || l.BootCfg != "boot.cfg" || len(l.Modules) != len(isogen.Modules5(v))) {
					t.Errorf("BIOS label: ks %q boot.cfg %q, %d modules", l.KS, l.BootCfg, len(l.Modules))
				}
			}
			if u := r.UEFI; u == nil || u.KS != e5KS || len(u.Modules) != len(isogen.Modules5(v)) || u.PE != "PE32+ x86-64 EFI application" {
				t.Errorf("UEFI path: %+v", u)
			}
		})
	}
}

// TestESXi5Reproducible: same inputs, same bytes; another host changes the
// BOOT.CFGs (and the derived IDs), nothing else of the payload.
func TestESXi5Reproducible(t *testing.T) {
	b := e5Build(t, isogen.Spec{Version: "8.0"}, e5Options())
	dir := t.TempDir()
	again, sum := e5Plan(t, b.iso, b.tar, filepath.Join(dir, "again.img"), e5Options())
	if sum != b.sum {
		t.Errorf("two builds differ: %s %s", b.sum, sum)
	}
	o := e5Options()
	o.Host, o.KS = "esx02", "http://deploy.example/ks/esx02.cfg"
	other, sum2 := e5Plan(t, b.iso, b.tar, filepath.Join(dir, "other.img"), o)
	if sum2 == b.sum || other.DiskSignature == again.DiskSignature {
		t.Error("another host gave the same image")
	}
	b2 := b
	b2.path = filepath.Join(dir, "other.img")
	if got := string(e5Mtools(t, b2, "mtype", "::EFI/BOOT/BOOT.CFG")); got != e5BootCfg("8.0", o.KS) {
		t.Errorf("esx02's EFI/BOOT/BOOT.CFG:\n%s", got)
	}
}

// TestESXi5VersionPolicy: 5.x+ media need a 3.86 tarball, 4.x media 3.70;
// every other pairing is refused naming both versions and what to use.
func TestESXi5VersionPolicy(t *testing.T) {
	dir := t.TempDir()
	isos := map[string]isogen.Spec{"7.0": {Version: "7.0"}, "4.1": {RockRidge: true}}
	for _, tc := range []struct {
		iso, syslinux string
		want          string // "" builds
	}{
		{"7.0", "3.86", ""},
		{"4.1", "3.70", ""},
		{"7.0", "3.70", "holds SYSLINUX 3.70, but esxi-7.0 media need syslinux 3.86 (the ISO's isolinux.bin is ISOLINUX 3.86): " +
			"use the syslinux-3.86 release tarball (kernel.org pub/linux/utils/boot/syslinux/3.xx/); 3.70 is for ESXi 4.x media"},
		{"4.1", "3.86", "holds SYSLINUX 3.86, but esxi-4.1 media need syslinux 3.70 (the ISO's isolinux.bin is ISOLINUX 3.70): " +
			"use the syslinux-3.70 release tarball (kernel.org pub/linux/utils/boot/syslinux/3.xx/); 3.86 is for ESXi 5.x and later media"},
		{"7.0", "4.05", "holds SYSLINUX 4.05, but esxi-7.0 media need syslinux 3.86 (the ISO's isolinux.bin is ISOLINUX 3.86): " +
			"use the syslinux-3.86 release tarball (kernel.org pub/linux/utils/boot/syslinux/3.xx/); syslinux 4.x and later install differently"},
		{"7.0", "3.83", "holds SYSLINUX 3.83, but esxi-7.0 media need syslinux 3.86"},
	} {
		t.Run(tc.iso+" with "+tc.syslinux, func(t *testing.T) {
			iso := filepath.Join(dir, tc.iso+".iso")
			if _, err := os.Stat(iso); err != nil {
				if err := isogen.Write(iso, isos[tc.iso]); err != nil {
					t.Fatal(err)
				}
			}
			tar := filepath.Join(dir, "syslinux-"+tc.syslinux+".tar.gz")
			if err := tarball.WriteFile(tar, tarball.Spec{Version: tc.syslinux}); err != nil {
				t.Fatal(err)
			}
			in, err := builder.Open(iso, tar)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				in.Close()
				return
			}
			if err == nil {
				in.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), tar+" ") {
				t.Errorf("err = %v\nwant %q", err, tc.want)
			}
		})
	}
}

// e5Options are one host's settings for the 5.x+ tests.
func e5Options() builder.Options {
	return builder.Options{Host: "esx01", KS: e5KS, Epoch: time.Date(2025, 5, 6, 7, 8, 10, 0, time.UTC)}
}

// e5Fsck checks the partition with dosfstools' fsck.fat, read-only.
func e5Fsck(t *testing.T, b e5Image) {
	t.Helper()
	testutil.Need(t, "fsck.fat")
	part := filepath.Join(t.TempDir(), "part.img")
	img, err := os.ReadFile(b.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(part, img[b.partOffset():], 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("fsck.fat", "-n", "-v", part).CombinedOutput()
	if err != nil {
		t.Errorf("fsck.fat: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("differ")) && !bytes.Contains(out, []byte("boot sector and its backup")) {
		t.Errorf("fsck.fat:\n%s", out)
	}
}
