package inspect

import (
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"testing"
)

// testPE is the start of a PE image: MZ, e_lfanew 0x40, PE signature,
// machine, optional header magic and subsystem (enough for peKind).
func testPE(machine, magic, subsystem uint16) []byte {
	b := make([]byte, 1024)
	copy(b, "MZ")
	le.PutUint32(b[0x3C:], 0x40)
	copy(b[0x40:], "PE\x00\x00")
	le.PutUint16(b[0x44:], machine)
	le.PutUint16(b[0x58:], magic)
	binary.LittleEndian.PutUint16(b[0x58+68:], subsystem)
	return b
}

const (
	esxi7Syslinux = "serial 0 115200\nDEFAULT menu.c32\nPROMPT 0\nTIMEOUT 50\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg\nLABEL hddboot\n  LOCALBOOT 0x80\n"
	esxi7BootCfg  = "bootstate=0\ntitle=Loading ESXi installer\ntimeout=5\nprefix=\nkernel=/b.b00\nkernelopt=runweasel ks=usb\nmodules=/k.b00 --- /s.v00 --- /net-e100.v00\nbuild=\nupdated=0\n"
)

// esxi7Files is a 5.x+-style image's file set: BIOS and UEFI paths.
func esxi7Files() map[string][]byte {
	files := map[string][]byte{
		"SYSLINUX.CFG":         []byte(esxi7Syslinux),
		"BOOT.CFG":             []byte(esxi7BootCfg),
		"EFI/BOOT/BOOT.CFG":    []byte(esxi7BootCfg),
		"EFI/BOOT/BOOTX64.EFI": testPE(0x8664, 0x20B, 10),
		"KS.CFG":               []byte("vmaccepteula\ninstall --firstdisk --overwritevmfs\n"),
	}
	for i, n := range []string{"MBOOT.C32", "MENU.C32", "B.B00", "K.B00", "S.V00", "NET-E100.V00"} {
		files[n] = []byte(strings.Repeat(n, 100+i))
	}
	return files
}

// TestUEFIPath judges the UEFI path of 5.x+-style images and compares it
// with the BIOS path.
func TestUEFIPath(t *testing.T) {
	with := func(edit func(map[string][]byte)) map[string][]byte {
		f := esxi7Files()
		edit(f)
		return f
	}
	set := func(name, text string) func(map[string][]byte) {
		return func(f map[string][]byte) { f[name] = []byte(text) }
	}
	for _, tc := range []struct {
		name     string
		files    map[string][]byte
		none     bool   // no UEFI report: the image has no UEFI path
		pe       string // UEFIReport.PE
		modules  int    // UEFI modules found (kernel included)
		ks       string
		faults   []string
		warnings []string
		partType byte // 0: 0xEF, as the builder writes
	}{
		{name: "good", files: esxi7Files(), pe: peEFIApp, modules: 4, ks: "usb"},
		{name: "type 0x0C", files: esxi7Files(), pe: peEFIApp, modules: 4, ks: "usb", partType: 0x0C,
			warnings: []string{"partition 1: type 0x0C (FAT32 LBA), not 0xEF (EFI system): firmware that boots an MBR disk by UEFI may offer only a type 0xEF partition"}},
		{name: "BIOS only", files: with(func(f map[string][]byte) {
			delete(f, "EFI/BOOT/BOOT.CFG")
			delete(f, "EFI/BOOT/BOOTX64.EFI")
		}), none: true},
		{name: "module missing", files: with(set("EFI/BOOT/BOOT.CFG", strings.Replace(esxi7BootCfg, "/s.v00", "/x.v00", 1))),
			pe: peEFIApp, modules: 3, ks: "usb",
			faults: []string{"UEFI: /EFI/BOOT/BOOT.CFG line 7: module /x.v00 is not on the disk"}},
		{name: "not PE", files: with(set("EFI/BOOT/BOOTX64.EFI", strings.Repeat("x", 500))), pe: "not a PE image (no MZ header)", modules: 4, ks: "usb",
			faults: []string{"/EFI/BOOT/BOOTX64.EFI is not a PE image (no MZ header), not a PE32+ x86-64 EFI application: UEFI firmware would not start it"}},
		{name: "ia32 loader", files: with(func(f map[string][]byte) { f["EFI/BOOT/BOOTX64.EFI"] = testPE(0x14C, 0x10B, 10) }),
			pe: "PE32 i386 EFI application", modules: 4, ks: "usb", faults: []string{"is PE32 i386 EFI application, not a PE32+ x86-64 EFI application"}},
		{name: "windows program", files: with(func(f map[string][]byte) { f["EFI/BOOT/BOOTX64.EFI"] = testPE(0x8664, 0x20B, 3) }),
			pe: "PE32+ x86-64 subsystem 3 program", modules: 4, ks: "usb", faults: []string{"subsystem 3 program"}},
		{name: "lone bad loader warns", files: with(func(f map[string][]byte) {
			delete(f, "EFI/BOOT/BOOT.CFG")
			f["EFI/BOOT/BOOTX64.EFI"] = []byte("junk")
		}), pe: "not a PE image (no MZ header)",
			warnings: []string{"is not a PE image (no MZ header), not a PE32+", "/EFI/BOOT/BOOTX64.EFI has no /EFI/BOOT/BOOT.CFG beside it"}},
		{name: "config without loader", files: with(func(f map[string][]byte) { delete(f, "EFI/BOOT/BOOTX64.EFI") }),
			warnings: []string{"/EFI/BOOT/BOOT.CFG exists but /EFI/BOOT/BOOTX64.EFI does not"}},
		{name: "different ks", files: with(set("EFI/BOOT/BOOT.CFG", strings.Replace(esxi7BootCfg, "ks=usb", "ks=http://x/ks.cfg", 1))),
			pe: peEFIApp, modules: 4, ks: "http://x/ks.cfg",
			warnings: []string{"the BIOS path boots with ks=usb, the UEFI path (/EFI/BOOT/BOOT.CFG) with ks=http://x/ks.cfg"}},
		{name: "cdromBoot", files: with(set("BOOT.CFG", strings.Replace(esxi7BootCfg, "runweasel", "runweasel cdromBoot", 1))),
			pe: peEFIApp, modules: 4, ks: "usb", warnings: []string{"/BOOT.CFG: kernelopt= has cdromBoot"}},
		{name: "prefix", files: with(func(f map[string][]byte) {
			f["EFI/BOOT/BOOT.CFG"] = []byte("prefix=/esxi\nkernel=b.b00\nkernelopt=ks=usb\nmodules=k.b00\n")
			f["ESXI/B.B00"], f["ESXI/K.B00"] = []byte("b"), []byte("k")
		}), pe: peEFIApp, modules: 2, ks: "usb", warnings: []string{"the BIOS path loads 4 files"}},
		{name: "no kernel=", files: with(set("EFI/BOOT/BOOT.CFG", "kernelopt=ks=usb\n")), pe: peEFIApp,
			faults: []string{`UEFI: /EFI/BOOT/BOOT.CFG: no kernel= is set: mboot stops with "kernel=<FILEPATH> must be set"`}},
		{name: "long module name", files: with(func(f map[string][]byte) {
			f["BOOT.CFG"] = []byte(strings.Replace(esxi7BootCfg, "/net-e100.v00", "/longmodule.v00", 1))
			f["LONGMODULE.V00"] = []byte("x")
		}), pe: peEFIApp, modules: 4, ks: "usb",
			warnings: []string{"they differ"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := buildImage(t, imgSpec{fat: 32, start: 2048, sectors: 135168, files: tc.files, order: slices.Sorted(maps.Keys(tc.files)), partType: tc.partType})
			r := inspectFile(t, b.path)
			_, loader := tc.files["EFI/BOOT/BOOTX64.EFI"]
			if want := map[bool]int{true: 1}[loader && tc.partType == 0]; r.MBR.ESP != want || !r.MBR.InOrder {
				t.Errorf("MBR report: ESP %d, in order %v", r.MBR.ESP, r.MBR.InOrder)
			}
			if !r.Bootable && len(tc.faults) == 0 {
				t.Errorf("not bootable: %q\n%s", r.Faults, r.Text())
			}
			checkAll(t, "fault", r.Faults, tc.faults)
			checkAll(t, "warning", r.Warnings, tc.warnings)
			u := r.UEFI
			if tc.none {
				if u != nil {
					t.Errorf("UEFI report %+v for a BIOS-only image", u)
				}
				return
			}
			if u == nil {
				t.Fatalf("no UEFI report\n%s", r.Text())
			}
			found := 0
			for _, m := range u.Modules {
				if m.Found {
					found++
				}
			}
			if u.PE != tc.pe || found != tc.modules || u.KS != tc.ks {
				t.Errorf("UEFI: pe %q, %d modules found, ks %q; want %q %d %q", u.PE, found, u.KS, tc.pe, tc.modules, tc.ks)
			}
			if tc.pe != "" && !strings.Contains(r.Text(), "UEFI: /EFI/BOOT/BOOTX64.EFI (") {
				t.Errorf("text lacks the UEFI line:\n%s", r.Text())
			}
		})
	}
}

// checkAll wants each of want in some line of got, and in the good case
// (want empty) no UEFI- or boot.cfg-related line at all.
func checkAll(t *testing.T, what string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("no %s with %q in %q", what, w, got)
		}
	}
	if len(want) == 0 {
		for _, g := range got {
			if strings.Contains(g, "UEFI") || strings.Contains(g, "EFI/") || strings.Contains(g, "BOOT.CFG") || strings.Contains(g, "kernelopt") {
				t.Errorf("unexpected %s: %s", what, g)
			}
		}
	}
}
