package builder

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/config"
	"github.com/esxi-autopart/esxi-autopart/builder/fat"
	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/layouts"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// Names of the files the builder itself adds to the partition.
const (
	LoaderName    = "LDLINUX.SYS"
	ConfigName    = "SYSLINUX.CFG"
	KickstartName = "KS.CFG"
)

// DefaultPartitionStart is the 1 MiB-aligned first sector of the partition.
const DefaultPartitionStart = 2048

// DefaultTimeout is syslinux.cfg's timeout in tenths of a second.
const DefaultTimeout = 50

// NoTimeout as Options.Timeout writes "timeout 0": the menu waits for a key.
const NoTimeout = -1

// Options are one host's settings. The zero value of every field is the
// CLI's default (esxi-autopart build without the flag).
type Options struct {
	Host        string            // host name, for messages and {{.Host}}
	KS          string            // the ks= value (required; "": usb:/KS.CFG when Kickstart is set)
	Vars        map[string]string // extra template variables
	NoSerial    bool              // no "serial 0 115200" line (default: the console mirrored to COM1)
	Timeout     int               // syslinux.cfg timeout, tenths of a second (0: DefaultTimeout; NoTimeout: wait for a key)
	CfgTemplate string            // syslinux.cfg template text ("" = the layout's)
	CfgName     string            // the template's file name, for messages

	PartitionStart uint32    // first sector of the partition (0: DefaultPartitionStart)
	Size           int64     // partition size in bytes (0: payload + headroom)
	FATType        int       // 0 auto, 16 or 32
	NoStupid       bool      // leave MaxTransfer at 127 (default: syslinux -s, 1 sector, as VMware's procedure)
	RAID           bool      // syslinux -r
	Epoch          time.Time // every file's timestamp (zero: the ISO's creation date)
	PartitionOnly  bool      // write only the FAT partition, not the MBR
	Kickstart      []byte    // a rendered kickstart to put in the image as KS.CFG (nil: none)
	ExactSize      bool      // Size is the partition's exact size (an existing partition's, build --like-disk), not rounded down to whole tracks of 63 sectors
	PartitionType  byte      // the MBR entry's type (an existing partition's, --part-type); 0: DefaultPartType's choice
	// Table is the partition table: TableMBR or TableGPT; "": DefaultTable's
	// choice (GPT for UEFI-only media, unless PartitionOnly or
	// PartitionType asks for an MBR's view; else MBR).
	Table string
}

// DefaultTable is the partition table of an image without Options.Table:
// GPT for UEFI-only media (ESXi's own UEFI boot entry is made only on GPT
// disks, and such media need no gptmbr.bin: nothing boots by BIOS), MBR
// for all other media (their BIOS boot goes through mbr.bin).
func DefaultTable(uefiOnly bool) string {
	if uefiOnly {
		return TableGPT
	}
	return TableMBR
}

// Partition tables Options.Table names.
const (
	TableMBR = "mbr"
	TableGPT = "gpt"
)

// Plan decides every byte of the image. It is a plain value: print it,
// compare it, then write it.
type Plan struct {
	Layout        string             `json:"layout"`
	LayoutFound   string             `json:"detected"`
	Syslinux      string             `json:"syslinux"`
	ISO           string             `json:"iso"`
	Tarball       string             `json:"syslinux_tarball"`
	Host          string             `json:"host,omitempty"`
	KS            string             `json:"ks"`
	ModTime       time.Time          `json:"mtime"`
	PartitionOnly bool               `json:"partition_only"`
	ImageBytes    int64              `json:"image_bytes"`
	DiskSignature uint32             `json:"disk_signature"`
	Partition     mbr.PartitionEntry `json:"partition"`     // with GPT: the entry gptmbr.bin hands the boot sector (status 0x80, type 0xEF; status 0x00 when UEFIOnly)
	GPT           *GPTPlan           `json:"gpt,omitempty"` // the GUID partition table, for Options.Table gpt
	FAT           *fat.Plan          `json:"fat"`
	Loader        LoaderPlan         `json:"ldlinux"`
	Files         []FilePlan         `json:"files"`
	Config        string             `json:"syslinux_cfg"`
	ConfigCRLF    int                `json:"syslinux_cfg_cr_removed,omitempty"`
	Generated     map[string]string  `json:"generated,omitempty"`     // per-host files of the layout (5.x+: BOOT.CFGs) by FAT path
	Added         []AddedModule      `json:"added_modules,omitempty"` // the user's modules at the end of the boot module list (--add-module)
	// UEFIOnly: the media are UEFI-only, and so is the image: no syslinux,
	// no syslinux.cfg, no MBR boot code; one EFI system partition (GPT by
	// default; MBR type 0xEF, not marked active, with Table mbr); it boots
	// by UEFI alone.
	UEFIOnly bool     `json:"uefi_only,omitempty"`
	Warnings []string `json:"warnings,omitempty"` // what the build noticed but did not refuse

	head    []byte // sector 0 (MBR), with GPT up to the first usable LBA
	tail    []byte // with GPT: the backup entry array and header, the image's last sectors
	boot    [512]byte
	content map[string]io.ReaderAt
}

// GPTPlan is the GUID partition table of a GPT image: a protective MBR
// whose boot code is the tarball's gptmbr.bin with the partition's GUID
// at 0x1A8, headers and entry arrays at LBA 1 and at the end, and one EFI
// system partition (legacy BIOS bootable) holding the FAT volume.
type GPTPlan struct {
	DiskGUID      gpt.GUID `json:"disk_guid"`      // derived from the inputs and the host's settings
	PartitionGUID gpt.GUID `json:"partition_guid"` // the ESP's unique GUID, also at 0x1A8 of sector 0 (the boot GUID)
	FirstLBA      uint64   `json:"first_lba"`      // the ESP's first sector
	LastLBA       uint64   `json:"last_lba"`       // the ESP's last sector
	BackupLBA     uint64   `json:"backup_lba"`     // the backup header: the image's last sector
}

// LoaderPlan is where LDLINUX.SYS lands and how it is patched.
type LoaderPlan struct {
	Version     string   `json:"version"`
	Sectors     []uint32 `json:"sectors"` // filesystem-relative; [0] is FirstSector
	MaxTransfer int      `json:"max_transfer"`
	RAID        bool     `json:"raid"`
}

// FilePlan is one file of the partition.
type FilePlan struct {
	Src          string `json:"src"` // ISO path, the user's file for an added module, or "" for a file the builder makes
	Dst          string `json:"dst"`
	Size         int64  `json:"size"`
	FirstCluster uint32 `json:"first_cluster"`
	Clusters     uint32 `json:"clusters"`
}

// Plan decides the image for one host.
func (in *Inputs) Plan(o Options) (*Plan, error) {
	if o.PartitionStart == 0 {
		o.PartitionStart = DefaultPartitionStart
	}
	switch {
	case o.Timeout == 0:
		o.Timeout = DefaultTimeout
	case o.Timeout == NoTimeout:
		o.Timeout = 0
	case o.Timeout < 0:
		return nil, fmt.Errorf("timeout %d: want tenths of a second, 0 for the default (%d) or NoTimeout", o.Timeout, DefaultTimeout)
	}
	if o.Table == "" {
		o.Table = DefaultTable(in.Media.UEFIOnly && !o.PartitionOnly && o.PartitionType == 0)
	}
	switch o.Table {
	case TableMBR:
	case TableGPT:
		if o.PartitionType != 0 {
			return nil, fmt.Errorf("partition type 0x%02X: a GPT image has no MBR partition type (its partition is an EFI system partition)", o.PartitionType)
		}
		if o.PartitionOnly {
			return nil, errors.New("a partition-only image has no partition table: leave out the GPT option (--table gpt) or the partition-only one")
		}
	default:
		return nil, fmt.Errorf("partition table %q: want mbr or gpt", o.Table)
	}
	if o.KS == "" && o.Kickstart != nil {
		o.KS = "usb:/" + KickstartName
	}
	if o.KS == "" {
		return nil, errors.New("no ks= value (Options.KS, --ks): the image's boot line needs the kickstart's location, e.g. http://deploy/ks/esx01.cfg or usb:/KS.CFG")
	}
	layoutFAT := ""
	if o.FATType == 0 && in.Media.FAT != 0 {
		o.FATType = in.Media.FAT // 5.x+ media: FAT32, as VMware's USB procedure says
		layoutFAT = fmt.Sprintf(" (%s media get FAT%d unless --fat says otherwise)", in.Media.Layout, in.Media.FAT)
	}
	ks, err := in.renderKS(o)
	if err != nil {
		return nil, err
	}
	o.KS = ks
	var cfg config.Rendered
	if in.Media.UEFIOnly && o.CfgTemplate != "" {
		return nil, fmt.Errorf("%s: the ISO's media are UEFI-only: the image has no syslinux.cfg for a template to render", o.CfgName)
	}
	if !in.Media.UEFIOnly {
		if cfg, err = in.renderConfig(o); err != nil {
			return nil, err
		}
	}
	if err := in.checkAddedInConfig(o, string(cfg.Text)); err != nil {
		return nil, err
	}
	gen, err := in.renderGenerated(o)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		Layout: in.Media.Layout, LayoutFound: in.Media.Found, Syslinux: in.Loader.Version,
		ISO: in.ISOPath, Tarball: in.TarballPath, Host: o.Host, KS: o.KS,
		PartitionOnly: o.PartitionOnly, Config: string(cfg.Text), ConfigCRLF: cfg.CRLF,
		Warnings: in.Media.Warnings, Added: in.Added, UEFIOnly: in.Media.UEFIOnly, content: map[string]io.ReaderAt{},
	}
	id := in.hostIdentity(o, cfg.Text, gen)
	if o.Table == TableGPT {
		p.GPT = &GPTPlan{DiskGUID: derivedGUID(id, "gpt disk"), PartitionGUID: derivedGUID(id, "gpt partition")}
	}
	if !o.PartitionOnly { // no sector 0, no disk signature
		p.DiskSignature = binary.LittleEndian.Uint32(id[0:4])
	}
	p.ModTime = in.Epoch(o)

	var files []fat.File
	if !p.UEFIOnly {
		files = append(files,
			fat.File{Path: LoaderName, Size: int64(len(in.Tarball.Sys)), Attr: fat.ReadOnly | fat.Hidden | fat.System},
			fat.File{Path: ConfigName, Size: int64(len(cfg.Text)), Attr: fat.Archive})
		p.content[ConfigName] = bytes.NewReader(cfg.Text)
		p.Files = append(p.Files, FilePlan{Dst: LoaderName}, FilePlan{Dst: ConfigName})
	}
	if o.Kickstart != nil {
		if i := bytes.IndexByte(o.Kickstart, '\r'); i >= 0 {
			return nil, fmt.Errorf("kickstart for %s: CR byte at offset %d (write it with LF line endings)", o.Host, i)
		}
		files = append(files, fat.File{Path: KickstartName, Size: int64(len(o.Kickstart)), Attr: fat.Archive})
		p.content[KickstartName] = bytes.NewReader(o.Kickstart)
		p.Files = append(p.Files, FilePlan{Dst: KickstartName})
	}
	for i, g := range in.Media.Generated {
		files = append(files, fat.File{Path: g.Dst, Size: int64(len(gen[i])), Attr: fat.Archive})
		p.content[g.Dst] = bytes.NewReader(gen[i])
		if p.Generated == nil {
			p.Generated = map[string]string{}
		}
		p.Generated[g.Dst] = string(gen[i])
		p.Files = append(p.Files, FilePlan{Src: g.Src, Dst: g.Dst})
	}
	for _, c := range in.Media.Files {
		for _, own := range []string{LoaderName, ConfigName, KickstartName} {
			if strings.EqualFold(c.Dst, own) {
				return nil, fmt.Errorf("%s: %s would be %s on the FAT partition, which the builder writes itself; the ISO's config must not load a file of that name", in.ISOPath, c.Src, own)
			}
		}
		sec, err := in.ISO.Section(c.Src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.ISOPath, err)
		}
		files = append(files, fat.File{Path: c.Dst, Size: c.Size, Attr: fat.Archive})
		p.content[c.Dst] = sec
		p.Files = append(p.Files, FilePlan{Src: c.Src, Dst: c.Dst})
	}
	for _, m := range in.Added {
		files = append(files, fat.File{Path: m.Name, Size: m.Bytes, Attr: fat.Archive})
		p.content[m.Name] = m.file
		p.Files = append(p.Files, FilePlan{Src: m.Path, Dst: m.Name})
	}
	spec := fat.Spec{
		Files: files, Type: o.FATType, HiddenSectors: o.PartitionStart,
		VolumeID: binary.LittleEndian.Uint32(id[4:8]), Label: "ESXI", ModTime: p.ModTime,
	}
	if o.Size > 0 {
		n := o.Size / 512 / mbr.SectorsPerTrack * mbr.SectorsPerTrack
		if o.ExactSize {
			n = o.Size / 512
		}
		if n == 0 || n > 0xFFFFFFFF-int64(o.PartitionStart) {
			return nil, fmt.Errorf("--size %d: a partition must be between 32,256 bytes and 2 TiB", o.Size)
		}
		spec.TotalSectors = uint32(n)
	}
	fp, err := fat.NewPlan(spec)
	err = in.locate(err)
	if err != nil && o.Size > 0 {
		return nil, fmt.Errorf("partition size %d bytes: %w%s", o.Size, err, layoutFAT)
	}
	if err != nil {
		return nil, err
	}
	p.FAT = fp
	if err := in.checkMbootVolume(o, fp.Type, string(cfg.Text)); err != nil {
		return nil, err
	}
	if err := p.checkWholeSectors(in, string(cfg.Text)); err != nil {
		return nil, err
	}
	if p.UEFIOnly {
		p.fillFiles()
		return p, p.layUEFIOnly(in, o)
	}
	if err := p.placeLoader(in, o); err != nil {
		return nil, err
	}
	p.fillFiles()
	return p, p.layDisk(in, o)
}

// fillFiles copies each file's size and clusters from the FAT plan.
func (p *Plan) fillFiles() {
	for i := range p.Files {
		for _, f := range p.FAT.Files {
			if f.Path == p.Files[i].Dst {
				p.Files[i].Size, p.Files[i].FirstCluster, p.Files[i].Clusters = f.Size, f.FirstCluster, f.Clusters
			}
		}
	}
}

// placeLoader patches ldlinux.bss and ldlinux.sys for the planned sectors.
func (p *Plan) placeLoader(in *Inputs, o Options) error {
	sectors, err := p.FAT.FileSectors(LoaderName)
	if err != nil {
		return err
	}
	boot, sys, err := syslinux.Install(in.Tarball.Bss, in.Tarball.Sys, p.FAT.BootSector(), sectors,
		syslinux.Options{Stupid: !o.NoStupid, RAID: o.RAID})
	if err != nil {
		return fmt.Errorf("%s: %w", in.TarballPath, err)
	}
	p.boot = boot
	p.content[LoaderName] = bytes.NewReader(sys)
	p.Loader = LoaderPlan{Version: in.Loader.Version, Sectors: sectors, MaxTransfer: int(binary.LittleEndian.Uint16(boot[0x1FC:])), RAID: o.RAID}
	return nil
}

// PartTypes are the MBR partition types --part-type may name: the FAT
// types and the EFI system partition's.
var PartTypes = []byte{mbr.TypeFAT12, 0x04, mbr.TypeFAT16, mbr.TypeFAT32CHS, mbr.TypeFAT32, mbr.TypeFAT16LBA, mbr.TypeEFI}

// DefaultPartType is the partition type of an image without
// Options.PartitionType: 0xEF (EFI system partition) when the media carry a UEFI
// loader, which the UEFI specification names for an ESP on an MBR disk and
// which some boards require before they offer the partition for UEFI boot
// (legacy BIOS and mbr.bin ignore the type); else 0x0C for FAT32, 0x0E for
// FAT16 (LBA), as before.
func DefaultPartType(uefi bool, fatType int) byte {
	switch {
	case uefi:
		return mbr.TypeEFI
	case fatType == 32:
		return mbr.TypeFAT32
	}
	return mbr.TypeFAT16LBA
}

// layDisk decides sector 0 and the image size.
func (p *Plan) layDisk(in *Inputs, o Options) error {
	n := p.FAT.TotalSectors
	if n%mbr.SectorsPerTrack != 0 && !o.ExactSize {
		return fmt.Errorf("internal: FAT volume of %d sectors is not a multiple of %d", n, mbr.SectorsPerTrack)
	}
	typ := DefaultPartType(in.Media.UEFI != "", p.FAT.Type)
	if o.PartitionType != 0 {
		typ = o.PartitionType
	}
	if uint64(o.PartitionStart)+uint64(n) > 0xFFFFFFFF {
		return errors.New("the partition ends past 2 TiB, the reach of an MBR")
	}
	if p.GPT != nil {
		return p.layGPT(in, o.PartitionStart, n)
	}
	p.Partition = mbr.NewEntry(mbr.StatusActive, typ, o.PartitionStart, n)
	if p.PartitionOnly {
		p.ImageBytes = int64(n) * 512
		return nil
	}
	p.ImageBytes = (int64(o.PartitionStart) + int64(n)) * 512
	var s mbr.Sector
	if err := s.SetBootCode(in.Tarball.MBR); err != nil {
		return fmt.Errorf("%s: %w", in.TarballPath, err)
	}
	s.DiskSignature = p.DiskSignature
	s.Entries[0] = p.Partition
	b := s.Bytes()
	p.head = b[:]
	return nil
}

// renderKS renders the ks= value when it is a template ({{.id}}), with the
// host's variables.
func (in *Inputs) renderKS(o Options) (string, error) { return RenderKS(o) }

// RenderKS renders o.KS (a template when it has "{{") with the host's data.
func RenderKS(o Options) (string, error) {
	if !strings.Contains(o.KS, "{{") {
		return o.KS, config.CheckValue("ks", o.KS)
	}
	data, err := config.Data(map[string]any{"Host": o.Host}, o.Vars)
	if err != nil {
		return "", err
	}
	r, err := config.Render("--ks", o.KS, data)
	if err != nil {
		return "", err
	}
	return string(r.Text), config.CheckValue("ks (rendered)", string(r.Text))
}

// renderConfig renders syslinux.cfg for the host.
func (in *Inputs) renderConfig(o Options) (config.Rendered, error) {
	data, err := in.configData(o)
	if err != nil {
		return config.Rendered{}, err
	}
	text, name := o.CfgTemplate, o.CfgName
	if text == "" {
		text, name = in.Media.Template, in.Media.Layout+" syslinux.cfg"
	}
	r, err := config.Render(name, text, data)
	if err == nil && len(r.Text) > inspect.MaxConfigBytes {
		err = fmt.Errorf("template %s: renders a %s-byte %s; at most %s bytes are read", name, human.Commas(len(r.Text)), ConfigName, human.Commas(inspect.MaxConfigBytes))
	}
	return r, err
}

// renderGenerated renders the layout's per-host files (ESXi 5.x+: BOOT.CFG
// and EFI/BOOT/BOOT.CFG with the host's ks=) from syslinux.cfg's data.
func (in *Inputs) renderGenerated(o Options) ([][]byte, error) {
	if len(in.Media.Generated) == 0 {
		return nil, nil
	}
	data, err := in.configData(o)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(in.Media.Generated))
	for i, g := range in.Media.Generated {
		if out[i], err = g.Render(data); err != nil {
			return nil, err
		}
		if out[i], err = in.addedToBootCfg(g.Dst, out[i]); err != nil {
			return nil, err
		}
		// A BOOT.CFG of whole sectors hangs VMware's mboot.c32 under
		// SYSLINUX 3.86 (bootcfg.WholeSectors): about one host in 512.
		out[i] = bootcfg.AvoidWholeSectors(out[i])
		if len(out[i]) > inspect.MaxConfigBytes {
			return nil, fmt.Errorf("%s: the host's %s would be %s bytes; at most %s are read", in.ISOPath, g.Dst, human.Commas(len(out[i])), human.Commas(inspect.MaxConfigBytes))
		}
	}
	return out, nil
}

// configData is the template data of syslinux.cfg and the generated files.
func (in *Inputs) configData(o Options) (map[string]any, error) {
	if err := config.CheckValue("ks", o.KS); err != nil {
		return nil, err
	}
	m := in.Media
	mods := make([]string, len(m.Modules))
	for i, name := range m.Modules {
		mods[i] = name
		if i < len(m.ModuleArgs) && m.ModuleArgs[i] != "" {
			mods[i] += " " + m.ModuleArgs[i]
		}
	}
	for _, a := range in.Added {
		mods = append(mods, a.ConfigName())
	}
	first, rest := "", []string(nil)
	if len(mods) > 0 {
		first, rest = mods[0], mods[1:]
	}
	return config.Data(map[string]any{
		"KS": o.KS, "Host": o.Host, "Serial": !o.NoSerial, "Timeout": o.Timeout,
		"Kernel": m.Kernel, "FirstModule": first, "Modules": rest,
	}, o.Vars)
}

// hostIdentity hashes the inputs and everything host-specific, for the disk
// signature and the volume ID: same inputs, same bytes. PartitionOnly is
// left out: a partition-only image is byte for byte the partition of the
// full image (same volume ID), so the two can be checked against each other.
func (in *Inputs) hostIdentity(o Options, cfg []byte, gen [][]byte) [32]byte {
	h := sha256.New()
	h.Write(in.identity[:])
	fmt.Fprintf(h, "%d|%d|%d|%v|%v|%d|", o.PartitionStart, o.Size, o.FATType, !o.NoStupid, o.RAID, o.Epoch.Unix())
	if o.ExactSize || o.PartitionType != 0 { // only then: earlier images keep their bytes
		fmt.Fprintf(h, "exact|%d|", o.PartitionType)
	}
	h.Write(cfg)
	h.Write(o.Kickstart)
	if o.Table == TableGPT { // MBR images keep the identity they always had
		var code []byte // UEFI-only media: no tarball, no gptmbr.bin
		if in.Tarball != nil {
			code = in.Tarball.GPTMBR
		}
		fmt.Fprintf(h, "|gpt|%d|", len(code))
		h.Write(code)
	}
	for _, g := range gen {
		fmt.Fprintf(h, "|%d|", len(g))
		h.Write(g)
	}
	for _, m := range in.Added { // none: the hash of images without added modules is unchanged
		fmt.Fprintf(h, "|module %s %s|", m.Name, m.SHA256)
	}
	var id [32]byte
	h.Sum(id[:0])
	return id
}

// checkMbootVolume refuses a 5.x+ syslinux.cfg that gives VMware's mboot
// "-p N" on FAT32: mboot.c32 then reads boot.cfg, the kernel and the
// modules with its own FAT reader, whose FAT32 cluster-chain walk is broken
// (layouts.NoPartitionArg), and the BIOS boot hangs after the menu.
func (in *Inputs) checkMbootVolume(o Options, fatType int, cfg string) error {
	if in.Media.Family != 5 || fatType != 32 {
		return nil
	}
	name := o.CfgName
	if o.CfgTemplate == "" {
		name = in.Media.Layout + " syslinux.cfg"
	}
	if args := layouts.PartitionArgs(cfg); len(args) > 0 {
		a := args[0]
		return fmt.Errorf("%s: syslinux.cfg line %d %q gives VMware's mboot -p %s on FAT32: mboot.c32 would read boot.cfg, "+
			"the kernel and the modules with its own FAT reader, whose FAT32 cluster-chain walk is broken (esx-boot "+
			"libfat/fatchain.c, 6.7u1 to 9.0), and the BIOS boot would hang after the menu; remove -p (mboot then reads "+
			"through syslinux) or build with --fat 16", name, a.Line, a.Text, a.Value)
	}
	return nil
}

// checkWholeSectors refuses, before a byte is written, a kernel or module
// that the BIOS boot's mboot.c32 reads through SYSLINUX 3.x (no -p) and
// whose size is a whole number of sectors: the boot would hang
// (bootcfg.WholeSectors). inspect finds the same on a written image; this
// says it at the plan, so --dry-run does too. The host's BOOT.CFG itself
// never is (renderGenerated).
func (p *Plan) checkWholeSectors(in *Inputs, cfg string) error {
	text, ok := p.Generated["BOOT.CFG"] // mboot.c32's -c boot.cfg
	if in.Media.Family != 5 || p.UEFIOnly || !ok || len(layouts.PartitionArgs(cfg)) > 0 {
		return nil
	}
	f, err := bootcfg.Parse([]byte(text))
	if err != nil {
		return nil // inspect judges a BOOT.CFG mboot cannot read
	}
	refs, err := f.Files("")
	if err != nil {
		return nil
	}
	for _, r := range refs {
		for _, pf := range p.FAT.Files {
			if !strings.EqualFold(pf.Path, r.Path) || !bootcfg.WholeSectors(pf.Size) {
				continue
			}
			where := in.ISOPath
			for _, a := range in.Added {
				if strings.EqualFold(a.Name, pf.Path) {
					where = a.Path + " (--add-module)"
				}
			}
			kind := "module"
			if r.Key == "kernel" {
				kind = "kernel"
			}
			return fmt.Errorf("%s: /BOOT.CFG line %d: %s %s %s", where, r.Line, kind, r.Name, inspect.WholeSectorsHang(r.Name, pf.Size))
		}
	}
	return nil
}

// Epoch is every file's timestamp: o.Epoch (SOURCE_DATE_EPOCH) when set,
// else the ISO's creation date, else 2010-01-01 — never the clock.
func (in *Inputs) Epoch(o Options) time.Time {
	switch {
	case !o.Epoch.IsZero():
		return o.Epoch
	case !in.ISOCreated.IsZero():
		return in.ISOCreated
	}
	return time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
}

// locate adds to a FAT error about one file where the file came from: its
// ISO path and the config line that names it.
func (in *Inputs) locate(err error) error {
	var pe *fat.PathError
	if !errors.As(err, &pe) {
		return err
	}
	for _, c := range append(in.Media.Files, in.Media.Payload...) {
		if c.Dst == pe.Path && c.From != "" {
			return fmt.Errorf("%s: ISO file /%s, named in %s: %w", in.ISOPath, c.Src, c.From, err)
		}
		if c.Dst == pe.Path {
			return fmt.Errorf("%s: ISO file /%s: %w", in.ISOPath, c.Src, err)
		}
	}
	return err
}
