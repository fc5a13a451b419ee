package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// inspectFlags are inspect's flags.
type inspectFlags struct {
	iso    string
	asJSON bool
}

var inspectCommand = &command{
	name:     "inspect",
	pathArgs: true,
	summary:  "check an image offline: would it boot, and what would it boot?",
	usage:    []string{"inspect IMAGE [--iso ISO] [--json]"},
	about: "Reads a raw image (ours, one made by hand with the old procedure, a bare FAT partition, a disk, " +
		"or a .zst/.xz/.gz image) and walks the boot path as the BIOS, mbr.bin, the boot sector and ldlinux.sys " +
		"would: the MBR's active entry, the BPB, the syslinux boot code and LDLINUX.SYS's sector list, syslinux.cfg, " +
		"every module the default label (or BOOT.CFG) names, the ks= value, and for 5.x+ the UEFI path. " +
		"With --iso, every copied file is compared with the ISO's. Every fault is listed. " +
		"An install CD (an ISO 9660 image, -o NAME.iso) is judged as firmware reads it: the El Torito BIOS and UEFI " +
		"entries, isolinux.bin's boot info table, isolinux.cfg and both BOOT.CFGs by mboot's rules, every module, the ks=; " +
		"--iso then compares it with the original media.",
	examples: []string{
		"esxi-autopart inspect esx01.img",
		"esxi-autopart inspect esx01.img --iso ESXi-4.1.iso --json",
	},
	exits: []string{
		"0  the image would boot its default entry",
		"1  the image or the ISO could not be read",
		"2  usage: no image, or a bad flag",
		"3  the image would not boot: every fault is listed",
	},
	new: func() runner { return &inspectFlags{} },
}

func (f *inspectFlags) define(fs *pflag.FlagSet) {
	fs.StringVar(&f.iso, "iso", "", "compare every copied file's SHA-256 with this `ISO`")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	pathFlag(fs, "iso")
	fileKinds(fs, "iso", "iso")
}

func (f *inspectFlags) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usageError(inspectCommand, fmt.Errorf("want one IMAGE, got %d arguments", len(args)))
	}
	if isISO(args[0]) {
		return inspectCD(ctx, args[0], f.iso, f.asJSON, stdout)
	}
	rep, err := inspectFile(ctx, args[0], f.iso)
	if err != nil {
		return err
	}
	if f.asJSON {
		if err := writeJSON(stdout, inspectDoc{SchemaVersion: schemaVersion, Type: "inspect", Image: args[0], Report: rep}); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, rep.Text())
	}
	if !rep.Bootable {
		return &exitError{code: 3, inJSON: true, err: fmt.Errorf("%s would not boot: %d fault(s)", args[0], len(rep.Faults))}
	}
	return nil
}

// inspectFile inspects the image at path, comparing with the ISO if given.
func inspectFile(ctx context.Context, path, isoPath string) (*inspect.Report, error) {
	path, done, err := unpacked(ctx, path) // a .zst/.xz/.gz image is read from a raw copy
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := regular.Open(path, true) // an image file, or a disk
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := disk.Size(f) // a block device's size comes from the device, not stat
	if err != nil {
		return nil, err
	}
	var opt inspect.Options
	if isoPath != "" {
		iso, err := isofs.OpenContext(ctx, isoPath)
		if err != nil {
			return nil, err
		}
		defer iso.Close()
		opt.ISO = iso
		if opt.ISOLayout, err = layouts.Detect(iso); err != nil {
			return nil, fmt.Errorf("--iso %s: %w", isoPath, err)
		}
	}
	return inspect.Inspect(f, size, opt)
}

// inspectDoc is the document of `inspect --json`: the report's keys beside
// the schema's.
type inspectDoc struct {
	SchemaVersion int    `json:"schema_version"`
	Type          string `json:"type"` // "inspect"
	Image         string `json:"image"`
	*inspect.Report
}
