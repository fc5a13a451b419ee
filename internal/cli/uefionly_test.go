package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// TestUEFIOnlyCLI: UEFI-only media build without --syslinux, the summary
// and inspect say UEFI-only (bootable by UEFI, not by BIOS, no FAULT),
// media says no syslinux is needed, boot picks UEFI alone, and --mbr-out
// is refused.
func TestUEFIOnlyCLI(t *testing.T) {
	dir := t.TempDir()
	iso, img := filepath.Join(dir, "esxi9.iso"), filepath.Join(dir, "esx01.img")
	if err := isogen.Write(iso, isogen.Spec{Version: "8.0", UEFIOnly: true}); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runCLI("build", "--iso", iso, "--ks", "http://d/ks.cfg", "-o", img, "--no-check", "-v")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "-v: syslinux  none: esxi-8.0 media are UEFI-only (no isolinux.bin, no mboot.c32); the image boots by UEFI alone\n") {
		t.Errorf("-v:\n%s", stderr)
	}
	if !strings.Contains(stdout, "UEFI-only  boots by UEFI alone: no syslinux, no MBR boot code, GPT EFI system partition\n") {
		t.Errorf("summary:\n%s", stdout)
	}
	// GPT by default and with --table gpt; --table mbr keeps the MBR (0xEF).
	for _, tc := range []struct {
		table string
		want  []string
	}{
		{"", []string{"sector 0   protective entry (0xEE), no boot code\n", "partition  1: status 0x00 type 0xEF ", ", \"ESXi boot\"\n"}},
		{"gpt", []string{"sector 0   protective entry (0xEE), no boot code\n"}},
		{"mbr", []string{"sector 0   partition table, no boot code\n", "partition  1: status 0x00 type 0xEF ", "(type 0xEF)\n"}},
	} {
		args := []string{"build", "--iso", iso, "--ks", "http://d/ks.cfg", "--dry-run", "--no-check"}
		if tc.table != "" {
			args = append(args, "--table", tc.table)
		}
		stdout, _, err = runCLI(args...)
		if err != nil || strings.Contains(stdout, "syslinux.cfg:") || strings.Contains(stdout, "legacy BIOS bootable") {
			t.Errorf("--dry-run --table %q: %v\n%s", tc.table, err, stdout)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("--dry-run --table %q lacks %q:\n%s", tc.table, w, stdout)
			}
		}
	}
	stdout, _, err = runCLI("inspect", "--iso", iso, img)
	if err != nil || !strings.Contains(stdout, "bootable by UEFI; not by BIOS (a UEFI-only image: no syslinux)") ||
		!strings.Contains(stdout, "BIOS (not a fault of a UEFI-only image): no syslinux.cfg") || strings.Contains(stdout, "FAULT") {
		t.Errorf("inspect: %v\n%s", err, stdout)
	}
	stdout, _, err = runCLI("media", iso)
	if err != nil || !strings.Contains(stdout, "syslinux   none: UEFI-only media (no isolinux.bin or mboot.c32); build needs no --syslinux") {
		t.Errorf("media: %v\n%s", err, stdout)
	}
	fws, why, _, err := bootFirmwares(context.Background(), img, "")
	if err != nil || !slices.Equal(fws, []string{"uefi"}) || why != "it is a UEFI-only image (no syslinux)" {
		t.Errorf("boot firmwares %q (%s), %v", fws, why, err)
	}
	_, _, err = runCLI("build", "--iso", iso, "--ks", "http://d/ks.cfg", "-o", filepath.Join(dir, "b.img"), "--mbr-out", filepath.Join(dir, "mbr.bin"))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--mbr-out: "+iso+" is UEFI-only media: the image has no MBR boot code") {
		t.Errorf("--mbr-out: exit %d, %v", exitCode(err), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.img")); err == nil {
		t.Error("an image was written with a refused --mbr-out")
	}
}
