package cli

import (
	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder"
)

type buildFlags struct {
	iso, tarball, out, host, id, ks, cfgTemplate, mbrOut string
	vars                                                 []string
	addModules                                           []string
	size                                                 string
	start                                                uint32
	fatType                                              int
	timeout                                              menuTimeout
	serial                                               serialFlag
	notes                                                []string // deprecated spellings, for warnings
	noStupid, raid, partOnly, dryRun, asJSON, force      bool
	sync                                                 bool
	hosts, outDir, ksTemplate, shard, compress           string
	format                                               string // formatImage or formatISO, once run has decided
	embedKS, keepGoing, quiet, noCheck, ksExternal, bmap bool
	verbose                                              bool
	jobs                                                 int
	likeDisk                                             string // --like-disk: build for a partition of this disk
	likePart                                             int
	table, partType                                      string
	fs                                                   *pflag.FlagSet // which flags were given (--table)
	verify                                               string         // install CDs: verifyWritten (default) or verifyFull
}

// --verify's values.
const (
	verifyWritten = "written"
	verifyFull    = "full"
)

var buildCommand = &command{
	name:    "build",
	summary: "build and verify an image for one host, or one per inventory row (--hosts)",
	usage: []string{"build --iso ISO --syslinux TARBALL --ks KS -o IMAGE [flags]",
		"build --iso ISO --syslinux TARBALL --hosts CSV --ks KS --out-dir DIR [flags]",
		"build --iso ISO --ks KS -o HOST.iso [flags]"},
	about: "Builds a raw disk image (MBR, or GPT with --table gpt, one FAT partition, syslinux patched as syslinux -s would, " +
		"the ESXi boot files of the ISO and a syslinux.cfg or BOOT.CFG with the host's ks=) from an ESXi install ISO " +
		"and the syslinux release tarball the media need (3.70 for 4.x, 3.86 for 5.x+). The image is written to a " +
		"temporary file, read back and verified, and only then renamed into place. The same inputs give the same bytes. " +
		"With --hosts, one image per inventory row goes to --out-dir with SHA256SUMS and manifest.json. " +
		"-o NAME.iso (or --format iso) writes an install CD for a BMC's virtual media instead: the ISO with the host's " +
		"ks= in its boot configs (and --embed-ks's KS.CFG), both El Torito boot entries kept; no tarball is needed.",
	examples: []string{
		"esxi-autopart build --iso ESXi-4.1.iso --syslinux syslinux-3.70.tar.gz --host esx01 --ks http://deploy/ks/esx01.cfg -o esx01.img",
		"esxi-autopart build --iso ESXi-7.0.iso --syslinux syslinux-3.86.tar.gz --ks-template ks.tmpl --embed-ks --dry-run",
		"esxi-autopart build --iso ESXi-7.0.iso --syslinux syslinux-3.86.tar.gz --hosts hosts.csv --ks 'http://deploy/ks/{{.id}}.cfg' --out-dir images/",
		"esxi-autopart build --iso ESXi-7.0.iso --host esx01 --ks-template ks.tmpl --embed-ks -o esx01.iso",
	},
	exits: []string{
		"0    built and verified (with --dry-run: the plan was printed)",
		"1    the build failed: unreadable or unsuitable inputs, a check error, a failed write or read-back, or a host of --hosts",
		"2    usage: a bad, missing or conflicting flag, or an output that is one of the inputs; nothing was written",
		"130  interrupted: no image, SHA256SUMS or manifest.json was left",
	},
	rewrite: joinSerial,
	new:     func() runner { return &buildFlags{} },
}

func (f *buildFlags) define(fs *pflag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.iso, "iso", "", "ESXi install `ISO`")
	fs.StringVar(&f.tarball, "syslinux", "", "syslinux release `TARBALL`, .tar.gz/.tar.bz2/.tar.xz (required unless the ISO is UEFI-only; not for install CDs)")
	fs.StringVar(&f.format, "format", "", "output `FORMAT`: img (raw disk image) or iso (the ISO with the host's boot options, for a BMC's virtual media); default: by -o's extension")
	fs.StringVar(&f.ks, "ks", "", "kickstart location `KS` for ks= (http://deploy/ks/esx01.cfg, usb:/KS.CFG; a template with {{.id}})")
	fs.StringVarP(&f.out, "output", "o", "", "`IMAGE` file to write (required unless --dry-run or --hosts)")
	fs.StringVar(&f.host, "host", "", "host `NAME` ({{.Host}} in templates; also {{.id}} unless --id)")
	fs.StringVar(&f.id, "id", "", "host `ID` for {{.id}} in templates, as an inventory's id column gives it (default: --host)")
	fs.StringArrayVar(&f.vars, "var", nil, "template variable `KEY=VALUE` (repeatable)")
	fs.StringVar(&f.cfgTemplate, "cfg-template", "", "syslinux.cfg template `FILE` (Go text/template) instead of the layout's")
	f.serial.on = true
	fs.Var(&f.serial, "serial", "mirror the boot console to COM1 at 115200 (--serial=false: no serial line)")
	f.timeout.text = (builder.DefaultTimeout * tenth).String()
	fs.Var(&f.timeout, "timeout", "syslinux menu timeout, e.g. 5s or 1m (0: wait for a key)")
	fs.Uint32Var(&f.start, "partition-start", builder.DefaultPartitionStart, "first sector (`LBA`) of the partition")
	fs.StringVar(&f.size, "size", "", "partition `SIZE` (e.g. 512M, 1G; default: payload + headroom)")
	fs.IntVar(&f.fatType, "fat", 0, "FAT `TYPE`: 16 or 32 (default: 16 up to 1 GiB, else 32)")
	fs.StringVar(&f.table, "table", "", "partition `TABLE`: mbr, or gpt (protective MBR with the tarball's gptmbr.bin, one EFI system partition; "+
		"default: gpt for UEFI-only media, without gptmbr.bin, else mbr)")
	fs.StringVar(&f.partType, "part-type", "", "MBR partition `TYPE` in hex, e.g. 0x0C or 0xEF (default: 0xEF when the media carry a UEFI loader, else 0x0C for FAT32, 0x0E for FAT16)")
	fs.BoolVar(&f.noStupid, "no-stupid", false, "leave MaxTransfer alone (the procedure's syslinux -s sets 1 sector)")
	fs.BoolVar(&f.raid, "raid", false, "syslinux -r: on boot failure try the next BIOS device")
	fs.StringVar(&f.likeDisk, "like-disk", "", "build for the automation partition of this `DISK` (a device, a disk file, or a dump of its sector 0; of sectors 0-33 for a GPT disk, which makes the image GPT): its start, size and type, so that `write` accepts the image")
	fs.IntVar(&f.likePart, "partition", 0, "with --like-disk: the partition `N` (1-4) to build for (default: the disk's only FAT partition)")
	fs.BoolVar(&f.partOnly, "partition-only", false, "write only the FAT partition (for dd onto an existing automation partition)")
	fs.StringVar(&f.mbrOut, "mbr-out", "", "also write the 440 bytes of MBR boot code to this `FILE`")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan; write nothing")
	fs.BoolVar(&f.asJSON, "json", false, "print JSON instead of text")
	fs.BoolVarP(&f.force, "force", "f", false, "replace an existing output file")
	fs.BoolVar(&f.sync, "fsync", false, "fsync the image before renaming it into place")
	fs.StringVar(&f.verify, "verify", "", "install CDs: `HOW` much is read back: written (default: every sector written, the trees and the boot catalog; "+
		"the ISO's bytes are the kernel's copy, as cp's) or full (every byte, compared with the ISO)")
	fs.StringVar(&f.hosts, "hosts", "", "inventory `FILE` (CSV with a header row and an id column, or .json): one image per host")
	fs.StringVar(&f.outDir, "out-dir", "", "with --hosts: `DIR` for <id>.img, <id>.cfg, SHA256SUMS and manifest.json")
	fs.StringVar(&f.ksTemplate, "ks-template", "", "kickstart template `FILE` (Go text/template) rendered per host into <id>.cfg")
	fs.BoolVar(&f.embedKS, "embed-ks", false, "also put the rendered kickstart into the image as KS.CFG (ks=usb:/KS.CFG unless --ks says otherwise)")
	fs.StringVar(&f.shard, "shard", "", "with --hosts: build only shard `K/N` (1-based, stable by host id), or auto (Kubernetes Indexed Job)")
	fs.BoolVar(&f.keepGoing, "keep-going", false, "with --hosts: build every host it can despite failures")
	fs.IntVarP(&f.jobs, "jobs", "j", 0, "with --hosts: `N` hosts built in parallel (default: the number of CPUs)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors, each failed host among them (--dry-run still prints the plan)")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "also say on stderr what was decided and why: layout, syslinux, FAT type, sizes, caches used")
	fs.StringVar(&f.compress, "compress", "", "`KIND` zstd, xz or gzip: write the verified image compressed (also chosen by -o NAME.zst/.xz/.gz)")
	fs.BoolVar(&f.bmap, "bmap", false, "also write IMAGE.bmap (bmaptool's format: the mapped blocks and their SHA-256) beside each image")
	fs.BoolVar(&f.noCheck, "no-check", false, "skip the inventory and kickstart checks (esxi-autopart check) before building")
	fs.BoolVar(&f.ksExternal, "ks-external", false, "a ks=usb: or ks=cdrom: kickstart is on another medium, not in the image")
	fs.StringArrayVar(&f.addModules, "add-module", nil, "add `FILE[:NAME]` to the boot module list under the 8.3 NAME (default: FILE's name): "+
		"a driver, oem.tgz on 4.x, a .v00 or .tgz on 5.x+ (repeatable)")
	requiredFlag(fs, "iso", "ks")
	pathFlag(fs, "iso", "syslinux", "output", "cfg-template", "mbr-out", "hosts", "out-dir", "ks-template", "like-disk", "add-module")
	fileKinds(fs, "iso", "iso")
	fileKinds(fs, "syslinux", tarballKinds...)
	fileKinds(fs, "hosts", inventoryKinds...)
	valuesFlag(fs, "fat", "16", "32")
	valuesFlag(fs, "table", builder.TableMBR, builder.TableGPT)
	valuesFlag(fs, "compress", "zstd", "xz", "gzip")
	valuesFlag(fs, "format", "img", "iso")
	valuesFlag(fs, "verify", verifyWritten, verifyFull)
}

// addTo adds --add-module's files to the end of the inputs' boot
// module list, in the order given.
func (f *buildFlags) addTo(in *builder.Inputs) error {
	for _, a := range f.addModules {
		if err := in.AddModule(builder.ParseAddModule(a)); err != nil {
			return err
		}
	}
	return nil
}
