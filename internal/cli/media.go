package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// mediaJSON is the document of `media ISO --json`: what the ISO is, without
// a tarball or host settings.
type mediaJSON struct {
	SchemaVersion  int                    `json:"schema_version"`
	Type           string                 `json:"type"` // "media"
	ISO            string                 `json:"iso"`
	VolumeID       string                 `json:"volume_id"`
	Layout         string                 `json:"layout"`
	Detected       string                 `json:"detected"`
	Version        string                 `json:"version"` // "7.0"; "" when unknown
	Family         int                    `json:"family"`  // 4, or 5 for 5.x-8.x
	SyslinuxNeeded string                 `json:"syslinux_needed"`
	Tarball        string                 `json:"syslinux_tarball"` // the release tarball to pass to build --syslinux ("" for UEFI-only media)
	UEFIOnly       bool                   `json:"uefi_only"`        // no BIOS loaders: the image boots by UEFI alone, without syslinux
	FAT            int                    `json:"fat"`              // the FAT type build picks (0: by size, FAT16 up to 1 GiB)
	UEFI           string                 `json:"uefi"`             // FAT path of the UEFI loader; "" when none
	Loaders        []layouts.LoaderBanner `json:"loaders"`
	Files          []mediaFileJSON        `json:"files"`     // copied, in cluster order
	Generated      []mediaFileJSON        `json:"generated"` // rewritten per host (5.x+ BOOT.CFGs); bytes: the ISO's copy
	Bytes          int64                  `json:"bytes"`     // sum of files[].bytes
	Warnings       []string               `json:"warnings"`
}

type mediaFileJSON struct {
	Src   string `json:"src"`
	Dst   string `json:"dst"`
	Bytes int64  `json:"bytes"`
}

// mediaFlags are media's flags.
type mediaFlags struct{ asJSON bool }

var mediaCommand = &command{
	name:     "media",
	pathArgs: true,
	summary:  "say what an ESXi ISO is: layout, files, loaders, the syslinux it needs",
	usage:    []string{"media ISO [--json]"},
	about: "Says what an ESXi ISO is, without a syslinux tarball or host settings: the layout build detects, " +
		"the syslinux release tarball it needs, the FAT type build picks, the version banners of its loaders, " +
		"every file build copies with its FAT name and size, and the BOOT.CFGs it rewrites per host.",
	examples: []string{
		"esxi-autopart media VMware-VMvisor-Installer-7.0U3c.x86_64.iso",
		"esxi-autopart media ESXi-4.1.iso --json | jq -r .syslinux_tarball",
	},
	exits: []string{
		"0  the ISO holds ESXi media of a known layout",
		"1  it could not be read, or holds no known layout (what it holds is said)",
		"2  usage: no ISO, or a bad flag",
	},
	new: func() runner { return &mediaFlags{} },
}

func (f *mediaFlags) define(fs *pflag.FlagSet) {
	fs.BoolVar(&f.asJSON, "json", false, "print JSON (docs/json.md)")
}

func (f *mediaFlags) run(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) != 1 {
		return usageError(mediaCommand, fmt.Errorf("want one ISO, got %d arguments", len(args)))
	}
	doc, err := describeMedia(ctx, args[0])
	if err != nil {
		return err
	}
	if f.asJSON {
		return writeJSON(stdout, doc)
	}
	fmt.Fprint(stdout, mediaText(doc))
	return nil
}

// describeMedia reads the ISO at path and detects its layout.
func describeMedia(ctx context.Context, path string) (*mediaJSON, error) {
	iso, err := isofs.OpenContext(ctx, path)
	if err != nil {
		return nil, err
	}
	defer iso.Close()
	d, err := layouts.Detect(iso)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	doc := &mediaJSON{SchemaVersion: schemaVersion, Type: "media", ISO: path, VolumeID: d.VolumeID, Layout: d.Layout,
		Detected: d.Found, Version: d.Version, Family: d.Family, SyslinuxNeeded: d.Syslinux,
		Tarball: "syslinux-" + d.Syslinux + ".tar.gz", FAT: d.FAT, UEFI: d.UEFI, Loaders: layouts.Banners(iso, d),
		Files: []mediaFileJSON{}, Generated: []mediaFileJSON{}, Warnings: append([]string{}, d.Warnings...)}
	if d.UEFIOnly {
		doc.Tarball, doc.UEFIOnly = "", true // no syslinux at all
	}
	for _, c := range d.Files {
		doc.Files = append(doc.Files, mediaFileJSON{Src: c.Src, Dst: c.Dst, Bytes: c.Size})
		doc.Bytes += c.Size
	}
	for _, g := range d.Generated {
		f, ok := iso.Lookup(g.Src)
		if !ok {
			return nil, errors.New(path + ": " + g.Src + " vanished")
		}
		doc.Generated = append(doc.Generated, mediaFileJSON{Src: g.Src, Dst: g.Dst, Bytes: f.Size})
	}
	return doc, nil
}

// mediaText is media's plain output.
func mediaText(d *mediaJSON) string {
	var b []byte
	w := func(format string, a ...any) { b = fmt.Appendf(b, format, a...) }
	w("iso        %s (volume %s)\n", d.ISO, orNone(d.VolumeID))
	w("media      %s\n", d.Detected)
	if d.Tarball == "" {
		w("syslinux   none: UEFI-only media (no isolinux.bin or mboot.c32); build needs no --syslinux\n")
	} else {
		w("syslinux   needs %s: build --syslinux %s (kernel.org pub/linux/utils/boot/syslinux/3.xx/)\n", d.SyslinuxNeeded, d.Tarball)
	}
	fat := "FAT16 up to 1 GiB, FAT32 above"
	if d.FAT != 0 {
		fat = fmt.Sprintf("FAT%d", d.FAT)
	}
	w("fat        %s\n", fat)
	for _, l := range d.Loaders {
		w("loader     %-22s %10s bytes  %s\n", l.File, human.Commas(l.Bytes), orNone(l.Banner))
	}
	w("files      %d to copy, %s bytes\n", len(d.Files), human.Commas(d.Bytes))
	for _, f := range d.Files {
		w("           %-22s -> %-22s %12s\n", f.Src, f.Dst, human.Commas(f.Bytes))
	}
	for _, g := range d.Generated {
		w("per host   %-22s -> %-22s %12s (ks= and network options written into kernelopt=)\n", g.Src, g.Dst, human.Commas(g.Bytes))
	}
	for _, m := range d.Warnings {
		w("warning    %s\n", m)
	}
	return string(b)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
