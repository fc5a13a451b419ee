package boottest

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/fixtures/efistub"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestESXi5BootsBIOSAndUEFI boots one image per 5.x+ shape twice:
//
//   - by BIOS (SeaBIOS): Debian's mbr.bin, the boot sector and our stand-in
//     SYSLINUX 3.86 loader through the FAT32 partition of type 0xEF;
//   - by UEFI (OVMF): the firmware finds EFI/BOOT/BOOTX64.EFI on the same
//     partition and starts it. BOOTX64.EFI is our stand-in (fixtures/efistub),
//     put on the ISO fixture in place of VMware's mboot.efi; it prints the
//     per-host EFI/BOOT/BOOT.CFG and reads the kernel and every module that
//     boot.cfg names, through the firmware's own FAT driver, by boot.cfg's
//     lower-case names. The console must show the edited kernelopt= and each
//     file's size and FNV-1a hash as the ISO has it.
func TestESXi5BootsBIOSAndUEFI(t *testing.T) {
	for _, v := range isogen.Versions5 {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			efi, files := e5EFIStandin(t, v)
			b := e5Build(t, isogen.Spec{Version: v, Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi}}, e5Options())
			if r := inspectImage(t, b.path); !r.Bootable || len(r.Faults) > 0 || r.UEFI == nil || r.UEFI.PE != "PE32+ x86-64 EFI application" {
				t.Fatalf("inspect: bootable %v, faults %q, UEFI %+v", r.Bootable, r.Faults, r.UEFI)
			}
			bios, err := e5BootBIOS(t, b.path, e5Lines(e5StandinLines(b.plan.Partition.StartLBA)...))
			if err != nil {
				t.Fatalf("BIOS boot: %v", err)
			}
			want := e5UEFILines(t, b, files)
			uefi, err := e5BootUEFI(t, b.path, e5BootTimeout, e5Lines(want...))
			if err != nil {
				t.Fatalf("UEFI boot: %v", err)
			}
			t.Logf("BIOS boot %.1fs, UEFI boot %.1fs (%s): %d files read by the firmware", bios.Duration.Seconds(), uefi.Duration.Seconds(), uefi.Accel, len(files))
		})
	}
}

// TestESXi5UEFIRealSizes boots a 7.0-shaped image of about the size of a
// real 7.0 ISO (359 MB of kernel and modules) by UEFI with `boot`'s
// defaults (RAM sized from the payload, the disk on AHCI): the firmware
// reads every byte of every module through our FAT32 (FAT sectors, long
// cluster chains) and the stand-in checks each file's size and hash. From
// an IDE disk this took about 2.5 minutes under TCG on a 2-core machine;
// -short skips it.
func TestESXi5UEFIRealSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 359 MB through OVMF under emulation")
	}
	t.Parallel()
	testutil.Need(t, "qemu-system-x86_64")
	bin := cliBinary(t)
	efi, files := e5EFIStandin(t, "7.0")
	b := e5Build(t, isogen.Spec{Version: "7.0", RealSizes: true, Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi}}, e5Options())
	if b.plan.ImageBytes < 350e6 {
		t.Fatalf("image of %d bytes: RealSizes did not take", b.plan.ImageBytes)
	}
	args := []string{"boot", b.path, "--firmware", "uefi"} // the defaults: RAM, timeout and silence grow with the payload
	for _, re := range e5Lines(e5UEFILines(t, b, files)...) {
		args = append(args, "--expect-uefi", re.String())
	}
	stdout, stderr, code := runCLIFor(t, 13*time.Minute, bin, args...)
	if code != 0 || !regexp.MustCompile(`\nuefi: booted in [0-9.]+s under [^\n]*, [0-9]+ MiB RAM \(for a [0-9,]{11}-byte payload\); matched`).MatchString(stdout) {
		t.Fatalf("boot: exit status %d\n%s%s", code, stdout, stderr)
	}
	t.Logf("%s", strings.SplitAfter(stdout, "\n")[1])
}

// e5UEFILines are the stand-in EFI loader's console lines for image b.
func e5UEFILines(t *testing.T, b e5Image, files []efistub.File) []string {
	t.Helper()
	cfg := []byte(e5BootCfg(b.plan.Layout[len("esxi-"):], e5KS))
	want := append([]string{efistub.StartLine}, efistub.CatLines(cfg)...)
	for _, f := range files {
		data := cfg
		if !f.Cat {
			data = b.isoBytes(t, f.Path)
		}
		want = append(want, efistub.FileLine(f.Path, data))
	}
	return append(want, efistub.DoneLine(len(files), 0))
}

// TestESXi5UEFINegative: with a module deleted from the image, inspect
// faults both boot paths and the firmware, reading through our FAT, does
// not find it either; an image without BOOTX64.EFI never reaches our
// loader (OVMF falls back to its own menu).
func TestESXi5UEFINegative(t *testing.T) {
	t.Parallel()
	efi, files := e5EFIStandin(t, "7.0")
	b := e5Build(t, isogen.Spec{Version: "7.0", Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi}}, e5Options())
	testutil.Need(t, "mdel")
	mdel := exec.Command("mdel", "-i", fmt.Sprintf("%s@@%d", b.path, b.partOffset()), "::S.V00")
	mdel.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := mdel.CombinedOutput(); err != nil {
		t.Fatalf("mdel: %v\n%s", err, out)
	}
	r := inspectImage(t, b.path)
	joined := strings.Join(r.Faults, "\n")
	if r.Bootable || !strings.Contains(joined, "/BOOT.CFG line 7: module /s.v00 is not on the disk") ||
		!strings.Contains(joined, "UEFI: /EFI/BOOT/BOOT.CFG line 7: module /s.v00 is not on the disk") {
		t.Errorf("inspect: bootable %v, faults %q", r.Bootable, r.Faults)
	}
	var want []string
	for _, l := range e5UEFILines(t, b, files) {
		if strings.HasPrefix(l, "FILE /s.v00 ") {
			l = efistub.MissingPrefix("s.v00") + "800000000000000E" // EFI_NOT_FOUND
		}
		want = append(want, l)
	}
	want[len(want)-1] = efistub.DoneLine(len(files)-1, 1)
	if _, err := e5BootUEFI(t, b.path, e5BootTimeout, e5Lines(want...)); err != nil {
		t.Fatalf("UEFI boot: %v", err)
	}

	none := e5Build(t, isogen.Spec{Version: "7.0", Omit: []string{"EFI/BOOT/BOOTX64.EFI"}}, e5Options())
	if r := inspectImage(t, none.path); r.UEFI == nil || r.UEFI.Loader != "" ||
		!strings.Contains(strings.Join(r.Warnings, "\n"), "/EFI/BOOT/BOOT.CFG exists but /EFI/BOOT/BOOTX64.EFI does not") {
		t.Errorf("inspect without BOOTX64.EFI: UEFI %+v, warnings %q", r.UEFI, r.Warnings)
	}
	// OVMF tries the disk, finds no loader and says so ("failed to load ...
	// HARDDISK ...: Not Found") before it tries the network; our start line
	// must not come first.
	first := regexp.MustCompile(`(?m)(` + regexp.QuoteMeta(efistub.StartLine) + `|BdsDxe: failed to load Boot[0-9A-F]{4} "UEFI QEMU HARDDISK .*: Not Found)`)
	res, err := e5BootUEFI(t, none.path, e5BootTimeout, []*regexp.Regexp{first})
	if err != nil {
		t.Fatalf("UEFI boot without a loader: %v", err)
	}
	if res.Matched[0] == efistub.StartLine {
		t.Fatal("an image without BOOTX64.EFI started our loader")
	}
}
