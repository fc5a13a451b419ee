package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/efistub"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// demo5 builds a 7.0-shaped image (syslinux 3.86 stand-in for BIOS, our
// stand-in BOOTX64.EFI for UEFI), inspects it and, with boot, boots it by both.
func demo5(ctx context.Context, dir string, stdout io.Writer, boot bool) error {
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "demo: "+format+"\n", a...) }
	if err := efistub.Toolchain(); err != nil {
		say("7.0 sample skipped: %v", err)
		return nil
	}
	work := filepath.Join(dir, "build-7.0")
	bss, sys, err := asm.BuildStandin(filepath.Join(work, "asm"), "3.86", "2010-04-01")
	if err != nil {
		return err
	}
	mbrCode, err := os.ReadFile(debianMBR)
	if err != nil && boot {
		return err
	}
	files := []efistub.File{{Path: "EFI/BOOT/BOOT.CFG", Cat: true}}
	for _, m := range isogen.Modules5("7.0") {
		files = append(files, efistub.File{Path: m})
	}
	efi, err := efistub.Build(filepath.Join(work, "efi"), files)
	if err != nil {
		return err
	}
	isoPath := filepath.Join(dir, "sample-esxi-7.0.iso")
	tarPath := filepath.Join(dir, "sample-syslinux-3.86.tar.gz")
	imgPath := filepath.Join(dir, "demo-7.0.img")
	say("7.0 sample inputs: %s, %s", isoPath, tarPath)
	smp, err := buildSample(ctx, isoPath, isogen.Spec{Version: "7.0", Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi}},
		tarPath, tarball.Spec{Version: "3.86", Date: "2010-04-01", Bss: bss, Sys: sys, MBR: mbrCode}, imgPath, time.Date(2020, 4, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	plan, rep := smp.plan, smp.rep
	if !rep.Bootable || rep.UEFI == nil {
		fmt.Fprint(stdout, rep.Text())
		return fmt.Errorf("demo: inspect says %s would not boot by BIOS and UEFI", imgPath)
	}
	say("built %s (%s, FAT%d); inspect: bootable by BIOS and by UEFI", imgPath, plan.LayoutFound, plan.FAT.Type)
	if !boot {
		say("7.0 sample: QEMU boot skipped")
		return nil
	}
	start := fmt.Sprint(plan.Partition.StartLBA)
	markers := map[string][]string{
		"bios": {`SYSLINUX 3\.86`, `STANDIN: drive=0x80 part=` + start + ` `, `STANDIN: checksum ok`, `STANDIN: done`},
		"uefi": {regexp.QuoteMeta(efistub.StartLine), `CAT: kernelopt=.* ks=` + regexp.QuoteMeta(demoKS),
			regexp.QuoteMeta(efistub.DoneLine(len(files), 0))},
	}
	if !demoBoot(ctx, stdout, imgPath, markers) {
		return errors.New("demo: QEMU boot of the 7.0 sample failed")
	}
	say("(BIOS: our stand-in ldlinux.sys; UEFI: our stand-in BOOTX64.EFI, which read BOOT.CFG and all %d files through the firmware)", len(files)-1)
	return nil
}
