package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/efistub"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/kickstart"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// demo5 builds a 7.0-shaped image (syslinux 3.86 stand-in for BIOS, our
// stand-in BOOTX64.EFI for UEFI), inspects it and, with boot, boots it by
// both; then the host's install CD from the same sample ISO (demoCD).
//
// The sample ISO is a bootable El Torito CD as VMware's are: a BIOS
// no-emulation entry for isolinux.bin and an EFI entry for efiboot.img, a
// FAT image whose EFI/BOOT/BOOTX64.EFI is our CD-mode stand-in (it reads
// the ISO 9660 tree through BlockIo, as isobounce + mboot.efi would); the
// tree's own EFI/BOOT/BOOTX64.EFI is the disk-mode stand-in the image
// copies. The 3.86 tarball carries our stand-in gptmbr.bin, so that
// build --table gpt works on the samples.
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
	gptmbr, err := asm.BuildGPTMBR(filepath.Join(work, "gptmbr"))
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
	cdEFI, err := efistub.BuildCD(filepath.Join(work, "efi-cd"), files)
	if err != nil {
		return err
	}
	efiboot, err := isogen.EFIBootImage(map[string][]byte{"EFI/BOOT/BOOTX64.EFI": cdEFI})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, demoKSTemplate), []byte(kickstart.V5), 0o644); err != nil {
		return err
	}
	isoPath := filepath.Join(dir, "sample-esxi-7.0.iso")
	tarPath := filepath.Join(dir, "sample-syslinux-3.86.tar.gz")
	imgPath := filepath.Join(dir, "demo-7.0.img")
	say("7.0 sample inputs: %s (El Torito: BIOS and UEFI), %s (with gptmbr.bin), %s", isoPath, tarPath, filepath.Join(dir, demoKSTemplate))
	iso := isogen.Spec{Version: "7.0", ElTorito: true, Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi, "efiboot.img": efiboot}}
	smp, err := buildSample(ctx, isoPath, iso, tarPath, tarball.Spec{Version: "3.86", Date: "2010-04-01", Bss: bss, Sys: sys, MBR: mbrCode, GPTMBR: gptmbr},
		imgPath, time.Date(2020, 4, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	plan, rep := smp.plan, smp.rep
	if !rep.Bootable || rep.UEFI == nil {
		fmt.Fprint(stdout, rep.Text())
		return fmt.Errorf("demo: inspect says %s would not boot by BIOS and UEFI", imgPath)
	}
	say("built %s (%s, FAT%d); inspect: bootable by BIOS and by UEFI", imgPath, plan.LayoutFound, plan.FAT.Type)
	if boot {
		start := fmt.Sprint(plan.Partition.StartLBA)
		markers := map[string][]string{
			"bios": {`SYSLINUX 3\.86`, `STANDIN: drive=0x80 part=` + start + ` `, `STANDIN: checksum ok`, `STANDIN: done`},
			"uefi": {regexp.QuoteMeta(efistub.StartLine), `CAT: kernelopt=.* ks=` + regexp.QuoteMeta(demoKS),
				regexp.QuoteMeta(efistub.DoneLine(len(files), 0))},
		}
		if !demoBoot(ctx, stdout, imgPath, "", markers) {
			return errors.New("demo: QEMU boot of the 7.0 sample failed")
		}
		say("(BIOS: our stand-in ldlinux.sys; UEFI: our stand-in BOOTX64.EFI, which read BOOT.CFG and all %d files through the firmware)", len(files)-1)
	}
	return demoCD(ctx, dir, isoPath, stdout, boot, files)
}

// demoKSTemplate is the sample kickstart template the demo leaves beside
// the samples, named as README's install CD example names it.
const demoKSTemplate = "ks.tmpl"

// demoCD builds the host's install CD from the 7.0 sample ISO, inspects
// it against the ISO and, with boot, boots it as a CD-ROM by UEFI: OVMF
// starts the CD-mode stand-in from the EFI entry's FAT image, which reads
// the copy's EFI/BOOT/BOOT.CFG (the host's ks=) and every module (files)
// from the ISO 9660 tree. Not by BIOS: the sample's isolinux.bin is
// isogen's inert stand-in, not a loader.
func demoCD(ctx context.Context, dir, isoPath string, stdout io.Writer, boot bool, files []efistub.File) error {
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "demo: "+format+"\n", a...) }
	cdPath := filepath.Join(dir, "demo-7.0.iso")
	in, err := builder.OpenCDContext(ctx, isoPath)
	if err != nil {
		return err
	}
	defer in.Close()
	p, err := in.Plan(builder.Options{Host: "demo", KS: demoKS})
	if err != nil {
		return err
	}
	if _, err := p.WriteFile(ctx, cdPath, builder.WriteOptions{Force: true}); err != nil {
		return err
	}
	orig, err := isofs.OpenContext(ctx, isoPath)
	if err != nil {
		return err
	}
	defer orig.Close()
	rep, err := inspect.InspectCD(cdPath, orig)
	if err != nil {
		return err
	}
	uefi := false
	if rep.Catalog != nil {
		for _, e := range rep.Catalog.Images {
			uefi = uefi || e.Platform == "UEFI"
		}
	}
	if !rep.Bootable || !uefi {
		fmt.Fprint(stdout, rep.Text())
		return fmt.Errorf("demo: inspect says %s would not boot by BIOS and UEFI", cdPath)
	}
	say("built %s (host demo's install CD: ks= in BOOT.CFG and EFI/BOOT/BOOT.CFG; rewritten %s); inspect: bootable, El Torito BIOS and UEFI entries, ks=%s",
		cdPath, strings.Join(rep.Rewritten, ", "), rep.KS)
	if !boot {
		say("install CD: QEMU boot skipped")
		return nil
	}
	// The stand-in's lines: the CD found through BlockIo (its blocks and
	// volume), the host's kernelopt= as it printed the tree's
	// EFI/BOOT/BOOT.CFG, that file's size and hash, every module read.
	fi, err := os.Stat(cdPath)
	if err != nil {
		return err
	}
	cfg := []byte(p.Generated["EFI/BOOT/BOOT.CFG"])
	kernelopt := ""
	for _, l := range efistub.CatLines(cfg) {
		if strings.HasPrefix(l, efistub.CatPrefix+"kernelopt=") && strings.Contains(l, " ks="+demoKS) {
			kernelopt = l
		}
	}
	if kernelopt == "" {
		return fmt.Errorf("demo: %s: EFI/BOOT/BOOT.CFG has no kernelopt= with ks=%s", cdPath, demoKS)
	}
	markers := map[string][]string{"uefi": {regexp.QuoteMeta(efistub.StartLine),
		regexp.QuoteMeta(efistub.ISOLine(fi.Size()/2048, 16, rep.VolumeID)), "(?m)^" + regexp.QuoteMeta(kernelopt) + "\r?$",
		regexp.QuoteMeta(efistub.ISOFileLine("EFI/BOOT/BOOT.CFG", cfg)), regexp.QuoteMeta(efistub.DoneLine(len(files), 0))}}
	if !demoBoot(ctx, stdout, cdPath, "cd ", markers) {
		return errors.New("demo: QEMU boot of the install CD failed")
	}
	say("(CD by UEFI only: our CD-mode stand-in BOOTX64.EFI from the EFI boot image read the CD's EFI/BOOT/BOOT.CFG and all %d files from its ISO 9660 tree; the sample's isolinux.bin does not boot)", len(files)-1)
	return nil
}
