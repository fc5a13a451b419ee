package builder

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
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

// TestUEFIOnlyTables: UEFI-only media get a GPT by default (and with
// Table gpt): a protective MBR without boot code and with nothing at
// 0x1A8, one EFI system partition without the legacy-BIOS-bootable
// attribute, a table sgdisk -v and sfdisk --verify find sound and a FAT
// fsck.fat -n finds clean, judged by inspect as bootable by UEFI with the
// missing boot code a BIOS fault only. Table mbr (or an MBR partition
// type) keeps the MBR with type 0xEF (or that type); a partition-only
// image has no table.
func TestUEFIOnlyTables(t *testing.T) {
	for _, tool := range []string{"sgdisk", "sfdisk", "fsck.fat"} {
		needTool(t, tool)
	}
	dir := t.TempDir()
	iso := filepath.Join(dir, "esxi9.iso")
	if err := isogen.Write(iso, isogen.Spec{Version: "8.0", UEFIOnly: true}); err != nil {
		t.Fatal(err)
	}
	in, err := Open(iso, "")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for _, tc := range []struct {
		name     string
		table    string
		partType byte
		partOnly bool
		gpt      bool
		mbrType  byte   // the MBR entry's type (0xEE: protective)
		warning  string // the one warning inspect gives
	}{
		{"default", "", 0, false, true, gpt.TypeProtective, ""},
		{"table gpt", TableGPT, 0, false, true, gpt.TypeProtective, ""},
		{"table mbr", TableMBR, 0, false, false, TypeESP, ""},
		{"part-type 0x0C", "", 0x0C, false, false, 0x0C, "partition 1: type 0x0C (FAT32 LBA), not 0xEF (EFI system)"},
		{"partition only", "", 0, true, false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := hostOpts
			o.Table, o.PartitionType, o.PartitionOnly = tc.table, tc.partType, tc.partOnly
			p, err := in.Plan(o)
			if err != nil {
				t.Fatal(err)
			}
			img := filepath.Join(t.TempDir(), "host.img")
			if _, err := p.WriteFile(t.Context(), img, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			if (p.GPT != nil) != tc.gpt || !p.UEFIOnly {
				t.Fatalf("plan: GPT %+v, UEFI-only %v; want GPT %v", p.GPT, p.UEFIOnly, tc.gpt)
			}
			start := int64(p.Partition.StartLBA) * 512
			if tc.partOnly {
				start = 0
			} else {
				if b[0x1BE+4] != tc.mbrType || b[0x1BE] != 0 {
					t.Errorf("sector 0 entry 1: status %#x type %#x, want 0x00 %#x", b[0x1BE], b[0x1BE+4], tc.mbrType)
				}
				if !bytes.Equal(b[:440], make([]byte, 440)) {
					t.Error("sector 0 has boot code (or a boot GUID at 0x1A8)")
				}
			}
			part := filepath.Join(t.TempDir(), "part")
			if err := os.WriteFile(part, b[start:start+int64(p.FAT.TotalSectors)*512], 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("fsck.fat", "-n", part).CombinedOutput(); err != nil {
				t.Errorf("fsck.fat -n: %v\n%s", err, out)
			}
			if tc.gpt {
				if out, _ := exec.Command("sgdisk", "-v", img).CombinedOutput(); !strings.Contains(string(out), "No problems found") {
					t.Errorf("sgdisk -v:\n%s", out)
				}
				if out, _ := exec.Command("sfdisk", "--verify", img).CombinedOutput(); !strings.Contains(string(out), "No errors detected.") {
					t.Errorf("sfdisk --verify:\n%s", out)
				}
				if e := gpt.ParseEntry(b[2*512:]); e.Type != gpt.ESPType || e.Attributes != 0 || e.Unique != p.GPT.PartitionGUID {
					t.Errorf("GPT entry 1: %+v", e)
				}
			}
			r := inspectISO(t, fixture{iso: iso}, img)
			if w := strings.Join(r.Warnings, "\n"); !r.Bootable || !r.UEFIOnly || len(r.Faults) > 0 || (tc.warning == "") != (w == "") || !strings.Contains(w, tc.warning) {
				t.Fatalf("inspect: bootable %v uefi-only %v faults %q warnings %q", r.Bootable, r.UEFIOnly, r.Faults, r.Warnings)
			}
			if tc.gpt && !strings.Contains(strings.Join(r.BIOSFaults, "\n"), "protective MBR: no boot code (0x000..0x1B7 all zero)") {
				t.Errorf("BIOS faults %q lack the protective MBR's missing boot code", r.BIOSFaults)
			}
			if text := r.Text(); tc.gpt && !strings.Contains(text, "firmware view: no boot code: the BIOS boots nothing; UEFI's EFI system partition: 1\n") {
				t.Errorf("inspect text:\n%s", text)
			}
		})
	}
}
