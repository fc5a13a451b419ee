package boottest

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// TestAddedModuleRealLoaders boots images with an added module through
// the real loaders built from their public sources on the developer's
// machine (docs real-loaders.md; never in the repository): set
// ESXI_AUTOPART_REAL_LOADERS to the folder that holds syslinux-3.70/,
// syslinux-3.70.tar.gz, syslinux-3.86/, syslinux-3.86.tar.gz and
// esx-boot-head/. Skipped without the variable, also under CI.
//
//   - 4.1 by BIOS: mbr.bin, SYSLINUX 3.70 and its own com32 mboot.c32 load
//     oem.tgz from the append line; the test kernel lists it with its bytes.
//   - 7.0 by BIOS: SYSLINUX 3.86 and VMware's mboot.c32 (-S 1: its log on
//     COM1) read BOOT.CFG and load /net.v00 after the ISO's modules.
//   - UEFI-only 7.0, built without syslinux, as a GPT (the default) and
//     as an MBR (0xEF): OVMF starts VMware's mboot64.efi (9.0's and
//     8.0U2's) from the EFI system partition, which reads
//     EFI/BOOT/BOOT.CFG and starts the test kernel; it lists /net.v00
//     last with its bytes.
func TestAddedModuleRealLoaders(t *testing.T) {
	dir := realLoaders(t)
	tmp := t.TempDir()
	drv := driverBytes("REAL-LOADER-DRV!", 6000)
	drvPath := filepath.Join(tmp, "driver.bin")
	if err := os.WriteFile(drvPath, drv, 0o644); err != nil {
		t.Fatal(err)
	}
	head := hex.EncodeToString(drv[:16])
	build := func(t *testing.T, spec isogen.Spec, tarball, name, table string) string {
		t.Helper()
		iso, img := filepath.Join(t.TempDir(), "esxi.iso"), filepath.Join(t.TempDir(), "host.img")
		if err := isogen.Write(iso, spec); err != nil {
			t.Fatal(err)
		}
		in, err := builder.Open(iso, tarball)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		if err := in.AddModule(drvPath, name); err != nil {
			t.Fatal(err)
		}
		o := baseOptions()
		o.Timeout, o.Table = 1, table
		p, err := in.Plan(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.WriteFile(context.Background(), img, builder.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		return img
	}
	logLines := func(t *testing.T, console string, re string) {
		t.Helper()
		for _, m := range regexp.MustCompile(re).FindAllString(console, -1) {
			t.Log(m)
		}
	}

	t.Run("4.1 BIOS syslinux 3.70", func(t *testing.T) {
		k, err := asm.BuildKernel(filepath.Join(t.TempDir(), "kernel"))
		if err != nil {
			t.Fatal(err)
		}
		files := readFiles(t, map[string]string{"mboot.c32": dir + "/syslinux-3.70/com32/modules/mboot.c32",
			"menu.c32": dir + "/syslinux-3.70/com32/menu/menu.c32"})
		files["vmkboot.gz"] = k
		img := build(t, isogen.Spec{RockRidge: true, Files: files}, dir+"/syslinux-3.70.tar.gz", "oem.tgz", "")
		r, err := boot(t, img, bootTimeout, res(`SYSLINUX 3\.70 `, `(?m)^Loading oem\.tgz`, `TESTKERNEL: modules=6`,
			fmt.Sprintf(`TESTKERNEL: module\[5\]=oem\.tgz +size=6000 first=%s `, head), `TESTKERNEL: done`))
		if err != nil {
			t.Fatal(err)
		}
		logLines(t, r.Console, `(?m)^(SYSLINUX 3\.70.*|Loading oem.*|TESTKERNEL: (modules=|module\[5\]).*)$`)
	})
	t.Run("7.0 BIOS VMware mboot.c32", func(t *testing.T) {
		k, err := asm.BuildKernelELF(filepath.Join(t.TempDir(), "kernel"))
		if err != nil {
			t.Fatal(err)
		}
		files := readFiles(t, map[string]string{"mboot.c32": dir + "/esx-boot-head/mboot.c32",
			"menu.c32": dir + "/syslinux-3.86/com32/menu/menu.c32"})
		files["b.b00"] = k
		n := len(isogen.Modules5("7.0")) + 1
		img := build(t, isogen.Spec{Version: "7.0", Files: files,
			IsolinuxCfg: "SERIAL 0 115200\nDEFAULT install\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg -S 1\n"},
			dir+"/syslinux-3.86.tar.gz", "NET.V00", "")
		r, err := boot(t, img, bootTimeout, res(`SYSLINUX 3\.86 `, `(?m)^Loading boot\.cfg`, `(?m)^Loading /imgpayld\.tgz`, `(?m)^Loading /net\.v00`,
			fmt.Sprintf(`(?m)^Loaded %d/%d modules`, n, n), `Relocating modules and starting up the kernel`))
		if err != nil {
			t.Fatal(err)
		}
		logLines(t, r.Console, `(?m)^(SYSLINUX 3\.86.*|Loading /net.*|MD5: .*size 6000.*|Loaded .*|Relocating.*)$`)
	})
	for _, tc := range []struct{ loader, table string }{
		{"esx-boot-head", ""}, {"esx-boot-head", builder.TableMBR}, {"esx-boot-8.0u2", ""}, {"esx-boot-8.0u2", builder.TableMBR},
	} {
		table := map[string]string{"": "GPT (default)", builder.TableMBR: "MBR 0xEF"}[tc.table]
		t.Run("UEFI-only "+tc.loader+" mboot64.efi "+table, func(t *testing.T) {
			k, err := asm.BuildKernelELF(filepath.Join(t.TempDir(), "kernel"))
			if err != nil {
				t.Fatal(err)
			}
			files := readFiles(t, map[string]string{"EFI/BOOT/BOOTX64.EFI": dir + "/" + tc.loader + "/mboot64.efi"})
			files["b.b00"] = k
			img := build(t, isogen.Spec{Version: "7.0", UEFIOnly: true, Files: files}, "", "NET.V00", tc.table)
			last := len(isogen.Modules5("7.0")) - 1
			r, err := e5BootUEFI(t, img, e5BootTimeout, res(`TESTKERNEL: start magic=ok`, `TESTKERNEL: cmdline=\S*b\.b00 runweasel ks=`+regexp.QuoteMeta(testKS),
				fmt.Sprintf(`TESTKERNEL: modules=%d`, last+1),
				fmt.Sprintf(`TESTKERNEL: module\[%d\]=\S*net\.v00 size=6000 first=%s `, last, head), `TESTKERNEL: done`))
			if err != nil {
				t.Fatal(err)
			}
			logLines(t, r.Console, `TESTKERNEL: (start|cmdline|modules=|module\[2[45]\]|done).*`)
		})
	}
}
