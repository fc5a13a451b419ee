package builder

import (
	"errors"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
)

// TypeESP is the MBR partition type of an EFI system partition (UEFI
// specification): what firmware that looks at the type boots by UEFI.
const TypeESP = 0xEF

// ErrNeedSyslinux is what Open wraps when it was given no syslinux tarball
// for media that boot by BIOS (all but UEFI-only media).
var ErrNeedSyslinux = errors.New("a syslinux release tarball is needed")

// loadUEFIOnly finishes loading media without a syslinux tarball: they
// must be UEFI-only (layouts.Detected.UEFIOnly); a tarball given for them
// is not used, and a warning says so.
func (in *Inputs) loadUEFIOnly(tb *syslinux.Tarball) error {
	m := in.Media
	if !m.UEFIOnly {
		return fmt.Errorf("%s: %s media boot by BIOS through syslinux: give the syslinux-%s release tarball (--syslinux): %w", in.ISOPath, m.Layout, m.Syslinux, ErrNeedSyslinux)
	}
	if tb != nil {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s: not used: the ISO's media are UEFI-only (no isolinux.bin, no mboot.c32), so the image has no syslinux", in.TarballPath))
		in.TarballPath = ""
	}
	in.Loader = &syslinux.Loader{}
	return in.identify(nil)
}

// layUEFIOnly decides sector 0 and the boot sector of a UEFI-only image:
// the FAT boot sector as the FAT plan makes it, no MBR boot code; with a
// GPT (the default), a protective MBR without boot code (layGPT).
func (p *Plan) layUEFIOnly(in *Inputs, o Options) error {
	p.boot = p.FAT.BootSector()
	n := p.FAT.TotalSectors
	if uint64(o.PartitionStart)+uint64(n) > 0xFFFFFFFF {
		return fmt.Errorf("the partition ends past 2 TiB, the reach of an MBR")
	}
	if p.GPT != nil {
		return p.layGPT(in, o.PartitionStart, n)
	}
	typ := byte(TypeESP)
	if o.PartitionType != 0 { // --part-type, or an existing partition's (build --like-disk)
		typ = o.PartitionType
	}
	p.Partition = mbr.NewEntry(0, typ, o.PartitionStart, n)
	if p.PartitionOnly {
		p.ImageBytes = int64(n) * 512
		return nil
	}
	p.ImageBytes = (int64(o.PartitionStart) + int64(n)) * 512
	var s mbr.Sector
	s.DiskSignature = p.DiskSignature
	s.Entries[0] = p.Partition
	b := s.Bytes()
	p.head = b[:]
	return nil
}
