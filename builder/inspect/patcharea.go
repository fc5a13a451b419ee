package inspect

import (
	"encoding/binary"
	"regexp"
)

// ldlMagic is LDLINUX_MAGIC, the first field of the 3.x patch area.
const ldlMagic uint32 = 0x3EB202FE

// patchArea is the SYSLINUX 3.x patch area at offset M of LDLINUX.SYS,
// decoded independently of builder/syslinux (an inspector should not share
// the writer's reading of the format).
type patchArea struct {
	Magic      uint32     // M+0: 0x3EB202FE
	Stamp      uint32     // M+4: Magic ^ HEXDATE, checked by the boot sector
	LDLDwords  uint16     // M+8: len(sys) >> 2
	LDLSectors uint16     // M+10: ceil(len(sys)/512) - 1
	CheckSum   uint32     // M+12: makes the LDLDwords dwords sum to Magic
	SectorPtrs [64]uint32 // M+16: fs-relative sectors of file sectors 1..n
}

const (
	patchAreaSize = 16 + 64*4
	maxMagicOff   = 512 - patchAreaSize // the area must sit in sector 0
)

// findPatchArea scans the first sector of a loader at 4-byte steps for the
// magic. It returns the offset M, or -1.
func findPatchArea(sec0 []byte) (patchArea, int) {
	le := binary.LittleEndian
	for m := 0; m <= maxMagicOff && m+patchAreaSize <= len(sec0); m += 4 {
		if le.Uint32(sec0[m:]) != ldlMagic {
			continue
		}
		p := patchArea{
			Magic:      ldlMagic,
			Stamp:      le.Uint32(sec0[m+4:]),
			LDLDwords:  le.Uint16(sec0[m+8:]),
			LDLSectors: le.Uint16(sec0[m+10:]),
			CheckSum:   le.Uint32(sec0[m+12:]),
		}
		for i := range p.SectorPtrs {
			p.SectorPtrs[i] = le.Uint32(sec0[m+16+4*i:])
		}
		return p, m
	}
	return patchArea{}, -1
}

// dwordSum is the sum (mod 2^32) of the first n little-endian dwords of b.
func dwordSum(b []byte, n int) uint32 {
	var s uint32
	for i := 0; i < n && 4*i+4 <= len(b); i++ {
		s += binary.LittleEndian.Uint32(b[4*i:])
	}
	return s
}

var bannerRE = regexp.MustCompile(`^\r?\n?(SYSLINUX|EXTLINUX|ISOLINUX|PXELINUX) ([0-9]+\.[0-9]+[^ \x00\r\n]*)(?: ([0-9]{4}-[0-9]{2}-[0-9]{2}))?`)

// parseBanner reads "\r\nSYSLINUX 3.70 2008-06-30 " at the start of a loader.
func parseBanner(b []byte) (banner, version, date string) {
	m := bannerRE.FindSubmatch(b[:min(len(b), 80)])
	if m == nil {
		return "", "", ""
	}
	banner = string(m[1]) + " " + string(m[2])
	if len(m[3]) > 0 {
		banner += " " + string(m[3])
	}
	return banner, string(m[2]), string(m[3])
}
