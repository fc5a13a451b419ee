package inspect

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestMbootRules: one row per rule of VMware's mboot as its source behaves
// (mboot.go), each with an image that breaks it and the verdict inspect
// must give, naming the file and line it comes from.
func TestMbootRules(t *testing.T) {
	cfg := func(name, text string) func(map[string][]byte) {
		return func(f map[string][]byte) { f[name] = []byte(text) }
	}
	bios := func(text string) func(map[string][]byte) { return cfg("BOOT.CFG", text) }
	uefi := func(text string) func(map[string][]byte) { return cfg("EFI/BOOT/BOOT.CFG", text) }
	appendLine := func(a string) func(map[string][]byte) {
		return cfg("SYSLINUX.CFG", strings.Replace(esxi7Syslinux, "APPEND -c boot.cfg", "APPEND "+a, 1))
	}
	all := func(edits ...func(map[string][]byte)) func(map[string][]byte) {
		return func(f map[string][]byte) {
			for _, e := range edits {
				e(f)
			}
		}
	}
	const good = "kernel=/b.b00\nkernelopt=ks=usb\nmodules=/k.b00 --- /s.v00\n"
	for _, tc := range []struct {
		rule     string
		fat      int
		edit     func(map[string][]byte)
		faults   []string // every fault, in any order
		warnings []string // among the warnings
		biosKS   string   // "" to skip
		uefiKS   string
	}{
		{rule: "the good 5.x+ image boots both ways", fat: 32, edit: func(map[string][]byte) {}, biosKS: "usb", uefiKS: "usb"},
		{rule: "BIOS: -c relative to mboot.c32's folder first", fat: 32,
			edit: all(appendLine("-c boot.cfg"), cfg("SYSLINUX.CFG", strings.Replace(esxi7Syslinux, "KERNEL mboot.c32", "KERNEL esx/mboot.c32", 1)),
				cfg("ESX/MBOOT.C32", "m"), cfg("ESX/BOOT.CFG", "kernel=/b.b00\nkernelopt=ks=esx\n")),
			biosKS: "esx"},
		{rule: "BIOS: then at the root", fat: 32,
			edit:   all(cfg("SYSLINUX.CFG", strings.Replace(esxi7Syslinux, "KERNEL mboot.c32", "KERNEL esx/mboot.c32", 1)), cfg("ESX/MBOOT.C32", "m")),
			biosKS: "usb"},
		{rule: "BIOS: no -c reads boot.cfg in mboot.c32's folder only", fat: 32,
			edit: all(appendLine("-S 1"), cfg("SYSLINUX.CFG", strings.Replace(strings.Replace(esxi7Syslinux, "KERNEL mboot.c32", "KERNEL esx/mboot.c32", 1), "-c boot.cfg", "-S 1", 1)),
				cfg("ESX/MBOOT.C32", "m")),
			faults: []string{"label install: esx/mboot.c32 -S 1: mboot finds no boot.cfg (looked for esx/boot.cfg)"}},
		{rule: "UEFI: boot.cfg from the EFI binary's own folder only", fat: 32, edit: uefi("kernel=/b.b00\nmodules=/gone.v00\n"),
			faults: []string{"UEFI: /EFI/BOOT/BOOT.CFG line 2: module /gone.v00 is not on the disk"}, biosKS: "usb"},
		{rule: "default prefix: boot.cfg's folder", fat: 32, edit: uefi("kernel=b.b00\nkernelopt=ks=usb\n"),
			faults: []string{"UEFI: /EFI/BOOT/BOOT.CFG line 1: kernel /EFI/BOOT/b.b00 is not on the disk"}},
		{rule: "absolute paths ignore the prefix", fat: 32, edit: uefi("prefix=/nowhere\nkernel=/b.b00\nkernelopt=ks=usb\nmodules=\\k.b00\n"), uefiKS: "usb"},
		{rule: "prefix= sets the folder of relative paths", fat: 32, edit: all(uefi("prefix=/esx\nkernel=b.b00\nkernelopt=ks=usb\n"), cfg("ESX/B.B00", "b")), uefiKS: "usb"},
		{rule: "-p on FAT32: mboot's own reader, chains broken", fat: 32, edit: appendLine("-c boot.cfg -p 1"),
			faults: []string{"label install: mboot.c32 -c boot.cfg -p 1: -p 1 on FAT32: mboot.c32 then reads boot.cfg, the kernel and the modules with its own FAT reader, whose FAT32 cluster-chain walk is broken"}},
		{rule: "-p 1 on FAT16 reads right", fat: 16, edit: appendLine("-c boot.cfg -p 1"), biosKS: "usb"},
		{rule: "-p N: partition N of the disk", fat: 16, edit: appendLine("-c boot.cfg -p 2"),
			faults: []string{"-p 2 reads partition 2 of the boot disk, but this FAT partition is partition 1"}},
		{rule: "-p: root folder only", fat: 16, edit: all(appendLine("-c boot.cfg -p 1"), bios("kernel=/b.b00\nmodules=/esx/k.b00\n"), cfg("ESX/K.B00", "k")),
			faults: []string{"/BOOT.CFG line 2: module /esx/k.b00 is in a folder: mboot -p 1 reads the root folder only"}},
		{rule: "-p: 8.3 names only", fat: 16, edit: all(appendLine("-c boot.cfg -p 1"), bios("kernel=/b.b00\nmodules=/longmodule.v00\n"), cfg("LONGMODULE.V00", "l")),
			faults: []string{"/BOOT.CFG line 2: module /longmodule.v00 is not an 8.3 name: mboot -p 1 reads 8.3 names only"}},
		{rule: "keys match by prefix, any case", fat: 32, edit: bios("KERN=/b.b00\nkernelO=ks=usb\n"),
			warnings: []string{`/BOOT.CFG line 1: "KERN=/b.b00" sets kernel=: mboot matches keys by prefix`, `line 2: "kernelO=ks=usb" sets kernelopt=`}, biosKS: "usb"},
		{rule: "the first key in mboot's table wins: t= is title, not timeout", fat: 32, edit: bios(good + "t=abc\n"),
			warnings: []string{`/BOOT.CFG line 4: "t=abc" sets title=`}, biosKS: "usb"},
		{rule: "an empty key sets kernel=", fat: 32, edit: bios("=/b.b00\nkernelopt=ks=usb\n"),
			warnings: []string{`/BOOT.CFG line 1: "=/b.b00" sets kernel=`}, biosKS: "usb"},
		{rule: "a space before = is not skipped", fat: 32, edit: bios("kernel = /b.b00\nkernelopt=ks=usb\n"),
			warnings: []string{`/BOOT.CFG line 1: "kernel = /b.b00" has a space before '=': mboot ignores the line`},
			faults:   []string{`/BOOT.CFG: no kernel= is set: mboot stops with "kernel=<FILEPATH> must be set"`}},
		{rule: "spaces after = are skipped", fat: 32, edit: bios("kernel=   /b.b00\nkernelopt=\tks=usb\n"), biosKS: "usb"},
		{rule: "an integer key with a non-number fails the file", fat: 32, edit: bios(good + "timeout=5s\n"),
			faults: []string{"/BOOT.CFG line 4: timeout=5s is not a number: mboot stops reading the file with a syntax error and boots nothing"}},
		{rule: "an empty value unsets the key", fat: 32, edit: bios("kernel=/b.b00\nkernel=\n"),
			warnings: []string{"/BOOT.CFG line 2: kernel= again (line 1)"}, faults: []string{`/BOOT.CFG line 2: no kernel= is set`}},
		{rule: "the last of a repeated key wins", fat: 32, edit: bios(good + "kernelopt=ks=http://x/ks.cfg\n"),
			warnings: []string{"/BOOT.CFG line 4: kernelopt= again (line 2): mboot uses this last one"}, biosKS: "http://x/ks.cfg"},
		{rule: "# starts a comment only as the first non-blank", fat: 32, edit: bios("  # kernel=/gone\nkernel=/b.b00\nkernelopt=x # ks=usb\n"), biosKS: "usb"},
		{rule: "CR and tabs are blanks", fat: 32, edit: bios("kernel=/b.b00\r\nkernelopt=\tks=usb\r\n"), biosKS: "usb"},
		{rule: "modules split at every ---, inside a word too", fat: 32, edit: bios("kernel=/b.b00\nkernelopt=ks=usb\nmodules=/k.b00---/s.v00 --- --- /gone.v00\n"),
			faults: []string{"/BOOT.CFG line 3: module /gone.v00 is not on the disk"}},
		{rule: "skip=1 boots nothing", fat: 32, edit: bios(good + "skip=1\n"),
			faults: []string{"/BOOT.CFG line 4: skip=1: mboot skips this configuration and boots nothing"}},
		{rule: "a zero-length module is missing on the BIOS path", fat: 32, edit: cfg("S.V00", ""),
			faults: []string{"/BOOT.CFG line 7: module /S.V00 is empty: syslinux's file API reports a zero-length file as missing"}, uefiKS: "usb"},
		{rule: "words after mboot's options go to the kernel", fat: 32, edit: all(appendLine("-c boot.cfg ks=http://y/ks.cfg"), bios("kernel=/b.b00\n")),
			biosKS: "http://y/ks.cfg"},
		{rule: "options after the first other word are the kernel's too", fat: 32, edit: all(appendLine("-c boot.cfg ks=usb -p 1"), bios("kernel=/b.b00\n")),
			biosKS: "usb"},
		{rule: "an unknown option stops mboot", fat: 32, edit: appendLine("-c boot.cfg -x"),
			faults: []string{"label install: mboot.c32 -c boot.cfg -x: unknown option -x: mboot stops before reading boot.cfg"}},
		{rule: "-p needs a number", fat: 16, edit: appendLine("-c boot.cfg -p one"),
			faults: []string{"-p one is not a number: mboot stops before reading boot.cfg"}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			files := esxi7Files()
			tc.edit(files)
			sectors := uint32(135168)
			if tc.fat == 16 {
				sectors = 64 << 10
			}
			b := buildImage(t, imgSpec{fat: tc.fat, start: 2048, sectors: sectors, files: files, order: slices.Sorted(maps.Keys(files))})
			r := inspectFile(t, b.path)
			if len(r.Faults) != len(tc.faults) {
				t.Errorf("%d faults, want %d:\n%s", len(r.Faults), len(tc.faults), r.Text())
			}
			checkAll(t, "fault", r.Faults, tc.faults)
			for _, w := range tc.warnings {
				if !has(r.Warnings, w) {
					t.Errorf("no warning with %q in %q", w, r.Warnings)
				}
			}
			for _, w := range r.Warnings { // every line verdict is one the row expects
				if strings.Contains(w, " line ") && !slices.ContainsFunc(tc.warnings, func(x string) bool { return strings.Contains(w, x) }) {
					t.Errorf("unexpected warning: %s", w)
				}
			}
			if r.Bootable != (len(tc.faults) == 0) {
				t.Errorf("Bootable %v with faults %q", r.Bootable, r.Faults)
			}
			if e := bootingMboot(r); tc.biosKS != "" && (e == nil || e.KS != tc.biosKS) {
				t.Errorf("BIOS path ks: %+v, want %q\n%s", e, tc.biosKS, r.Text())
			}
			if tc.uefiKS != "" && (r.UEFI == nil || r.UEFI.KS != tc.uefiKS) {
				t.Errorf("UEFI path ks: %+v, want %q", r.UEFI, tc.uefiKS)
			}
		})
	}
}

func bootingMboot(r *Report) *LabelReport {
	for i := range r.Config.Labels {
		if r.Config.Labels[i].Name == "install" {
			return &r.Config.Labels[i]
		}
	}
	return nil
}
