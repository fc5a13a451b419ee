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

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// debianMBR is syslinux's real mbr.bin as Debian's syslinux-common installs it.
const debianMBR = "/usr/lib/syslinux/mbr/mbr.bin"

// standinMarkers are what the stand-in loader prints once it has loaded
// itself through the patched sector list and checked its checksum.
var standinMarkers = []string{`SYSLINUX 3\.70`, `STANDIN: sectors=\d+ ok`, `STANDIN: checksum ok`,
	`STANDIN: order ok`, `STANDIN: tail ok`, `STANDIN: done`}

// demoFlags are demo's flags.
type demoFlags struct {
	dir    string
	noBoot bool
}

var demoCommand = &command{
	name:    "demo",
	summary: "build, inspect and boot demo images from built-in sample inputs",
	usage:   []string{"demo [--dir DIR] [--no-boot]"},
	about: "Writes a synthetic ESXi 4.1 ISO and a syslinux-3.70-shaped tarball (its loader our own bootable stand-in, " +
		"built with binutils; the MBR code Debian's mbr.bin), builds an image from them, inspects it and boots it in " +
		"QEMU by BIOS; then does the same for a 7.0-shaped sample by BIOS and UEFI, and builds, inspects and boots " +
		"(by UEFI, as a CD-ROM) a per-host install CD from the 7.0 sample ISO, a bootable El Torito CD. " +
		"DIR keeps the samples (and ks.tmpl, a kickstart template) for trying the other commands. Without binutils, " +
		"syslinux-common or QEMU, the boots are skipped and it says why.",
	examples: []string{"esxi-autopart demo", "esxi-autopart demo --dir /tmp/demo --no-boot"},
	exits: []string{
		"0  built, inspected and booted (or the boots were skipped, saying why)",
		"1  a sample image did not build, inspect or boot",
		"2  usage: a bad flag",
	},
	new: func() runner { return &demoFlags{} },
}

func (f *demoFlags) define(fs *pflag.FlagSet) {
	fs.StringVar(&f.dir, "dir", "demo", "`DIR` for the sample inputs and the images")
	fs.BoolVar(&f.noBoot, "no-boot", false, "skip the QEMU boots")
	pathFlag(fs, "dir")
}

func (f *demoFlags) run(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return usageError(demoCommand, fmt.Errorf("unexpected argument %q", args[0]))
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "demo: "+format+"\n", a...) }

	// Sample inputs: a synthetic ESXi 4.1 ISO and a syslinux-3.70-shaped
	// tarball. With binutils, its loader is our bootable stand-in (it loads
	// itself through the patched sector list and prints markers); with
	// Debian's syslinux-common, the MBR code is the real mbr.bin.
	ts := tarball.Spec{}
	bootable := true
	if err := asm.Toolchain(); err != nil {
		say("no assembler, so the sample loader cannot boot (%v)", err)
		bootable = false
	} else {
		work, err := os.MkdirTemp("", "esxi-autopart-demo-asm-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		if ts.Bss, ts.Sys, err = asm.BuildStandin(work, "3.70", "2008-06-30"); err != nil {
			return err
		}
	}
	if b, err := os.ReadFile(debianMBR); err == nil {
		ts.MBR = b
		say("MBR boot code: %s (Debian's syslinux-common)", debianMBR)
	} else {
		say("no %s (apt-get install syslinux-common), so the sample MBR code cannot boot", debianMBR)
		bootable = false
	}
	isoPath := filepath.Join(f.dir, "sample-esxi-4.1.iso")
	tarPath := filepath.Join(f.dir, "sample-syslinux-3.70.tar.gz")
	imgPath := filepath.Join(f.dir, "demo.img")
	say("sample inputs: %s, %s", isoPath, tarPath)
	smp, err := buildSample(ctx, isoPath, isogen.Spec{RockRidge: true}, tarPath, ts, imgPath, time.Date(2010, 7, 13, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, summaryText(smp.plan, smp.res, nil, smp.took))
	fmt.Fprint(stdout, smp.rep.Text())
	if !smp.rep.Bootable {
		return fmt.Errorf("demo: inspect says %s would not boot", imgPath)
	}
	say("inspect: bootable")

	boot := !f.noBoot && bootable
	if boot {
		if _, err := qemu.LookPath(); err != nil {
			say("QEMU boot skipped: %v", err)
			boot = false
		}
	} else {
		say("QEMU boot skipped")
	}
	if boot {
		if !demoBoot(ctx, stdout, imgPath, "", map[string][]string{"bios": standinMarkers}) {
			return errors.New("demo: QEMU boot failed")
		}
		say("(the sample loader is our stand-in for ldlinux.sys: it checks the boot path, it does not start ESXi)")
	}
	return demo5(ctx, f.dir, stdout, boot)
}

// demoBoot boots img with each firmware in markers, printing each result
// (accelerator and why, every marker) with label before the firmware's
// name ("cd "); it reports whether all passed. An ISO 9660 img boots as
// a CD-ROM.
func demoBoot(ctx context.Context, stdout io.Writer, img, label string, markers map[string][]string) bool {
	var fws []string
	patterns := map[string][]*regexp.Regexp{}
	for _, fw := range []string{"bios", "uefi"} {
		for _, m := range markers[fw] {
			patterns[fw] = append(patterns[fw], regexp.MustCompile(m))
		}
		if len(patterns[fw]) > 0 {
			fws = append(fws, fw)
		}
	}
	var ovmf qemu.OVMF
	if len(markers["uefi"]) > 0 {
		var err error
		if ovmf, err = qemu.FindOVMF(""); err != nil {
			fmt.Fprintf(stdout, "demo: %v\n", err)
			return false
		}
	}
	opts := func(fw string) qemu.Options {
		o := qemu.NewOptions(img)
		o.Timeout, o.Silence = 3*time.Minute, 30*time.Second
		o.CDROM = isISO(img)
		if fw == "uefi" {
			o.OVMF = &ovmf
		}
		return o
	}
	fmt.Fprintf(stdout, "demo: booting %s in QEMU by %s\n", img, strings.Join(fws, " and "))
	ok := true
	for _, fw := range fws {
		for _, r := range bootAll(ctx, []string{fw}, patterns, opts, nil, nil) {
			ok = ok && r.OK
			r.Firmware = label + fw
			printBoot(stdout, r, len(patterns[fw]))
		}
	}
	return ok
}

// demoKS is the samples' kickstart location.
const demoKS = "http://deploy.example/ks/demo.cfg"

// sample is a built demo image.
type sample struct {
	plan *builder.Plan
	res  *builder.Result
	rep  *inspect.Report
	took time.Duration // writing and verifying the image
}

// buildSample writes a sample ISO and syslinux tarball, builds img from
// them with the demo's settings and inspects it against the ISO.
func buildSample(ctx context.Context, isoPath string, is isogen.Spec, tarPath string, ts tarball.Spec, img string, epoch time.Time) (*sample, error) {
	if err := isogen.Write(isoPath, is); err != nil {
		return nil, err
	}
	if err := tarball.WriteFile(tarPath, ts); err != nil {
		return nil, err
	}
	in, err := builder.OpenContext(ctx, isoPath, tarPath)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	s := &sample{}
	if s.plan, err = in.Plan(builder.Options{Host: "demo", KS: demoKS, Epoch: epoch}); err != nil {
		return nil, err
	}
	start := time.Now()
	if s.res, err = s.plan.WriteFile(ctx, img, builder.WriteOptions{Force: true}); err != nil {
		return nil, err
	}
	s.took = time.Since(start)
	s.rep, err = inspectFile(ctx, img, isoPath)
	return s, err
}
