// Package syslinux reads SYSLINUX 3.x release tarballs and installs the 3.x
// loader (ldlinux.bss + ldlinux.sys) into a FAT filesystem image as bytes,
// the way `syslinux -s` does, with no tools, root or loop devices.
//
// Everything here is pure: functions take bytes and return new bytes, never
// mutating their inputs. Layout facts come from the 3.70 sources
// (core/ldlinux.asm, libinstaller/syslxmod.c); offsets inside ldlinux.sys are
// found by scanning, never hard-coded.
//
// It must not know files on disk or FAT layout beyond the sector numbers it is given.
package syslinux

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// Magic is LDLINUX_MAGIC, the first dword of the ldlinux.sys patch area and
// the value the dword sum of the patched file must equal.
const Magic uint32 = 0x3EB202FE

// Layout of ldlinux.bss, the 512-byte boot sector template.
const (
	bssSize        = 512   // the whole template
	bssJump        = 0x000 // 3 bytes: EB 58 90 (jmp short 0x5A; nop)
	bssOEM         = 0x003 // 8 bytes: "SYSLINUX", not copied into the filesystem
	bssBPB         = 0x00B // 79 bytes: BPB + FAT32 extended BPB, zero; comes from the filesystem
	bssCode        = 0x05A // boot code, up to FirstSector
	bssFirstSector = 0x1F8 // u32: fs-relative sector of ldlinux.sys sector 0 (pristine DEADBEEF)
	bssMaxTransfer = 0x1FC // u16: sectors per BIOS read (pristine 0x7F; -s sets 1)
	bssSignature   = 0x1FE // u16: pristine = offset of the CD 16 patched by -r; installed = 55 AA
)

// Layout of the ldlinux.sys patch area, relative to M (the offset of Magic).
const (
	paMagic      = 0                   // u32: LDLINUX_MAGIC
	paStamp      = 4                   // u32: LDLINUX_MAGIC ^ HEXDATE, checked by the boot sector
	paDwords     = 8                   // u16: LDLDwords = len(sys) >> 2
	paSectors    = 10                  // u16: LDLSectors = sectors - 1
	paCheckSum   = 12                  // u32: makes the dword sum equal Magic
	paSectorPtrs = 16                  // 64 × u32: fs-relative sectors of file sectors 1..n-1
	paSize       = paSectorPtrs + 4*64 // 272 bytes in all
)

// Limits of the 3.x format.
const (
	SectorSize = 512
	MaxSectors = 65                      // one in the boot sector + 64 SectorPtrs
	MaxSysSize = MaxSectors * SectorSize // 33,280 bytes
	bannerScan = 128                     // the banner must start in the first 128 bytes
)

// Loader describes a matched ldlinux.bss/ldlinux.sys pair.
type Loader struct {
	Version     string // "3.70", from the banner "\r\nSYSLINUX 3.70 2008-06-30 "
	Date        string // "2008-06-30"
	MagicOffset int    // M: offset of Magic in ldlinux.sys (4-aligned scan)
	Stamp       uint32 // u32 at M+4 (Magic ^ HEXDATE), also found in bss code 0x5A..0x1F8
	Sectors     int    // ceil(len(sys)/512), at most 65
}

// ParseLoader checks that bss is a pristine 3.x boot sector template and sys
// a 3.x loader from the same build, and reports the loader's version. It
// does not judge whether the version is acceptable.
func ParseLoader(bss, sys []byte) (*Loader, error) {
	if err := checkBss(bss); err != nil {
		return nil, err
	}
	if len(sys) > MaxSysSize {
		return nil, fmt.Errorf("ldlinux.sys: %s bytes, more than the %d sectors (%s bytes) syslinux 3.x can load: %w",
			human.Commas(int64(len(sys))), MaxSectors, human.Commas(MaxSysSize), ErrTooLarge)
	}
	ver, date, ok := banner(sys)
	if !ok {
		return nil, fmt.Errorf("ldlinux.sys: no \"SYSLINUX <version> <date>\" banner in the first %d bytes: %w", bannerScan, ErrBadLoader)
	}
	m, err := findMagic(sys)
	if err != nil {
		return nil, err
	}
	stamp := binary.LittleEndian.Uint32(sys[m+paStamp:])
	var sb [4]byte
	binary.LittleEndian.PutUint32(sb[:], stamp)
	if !bytes.Contains(bss[bssCode:bssFirstSector], sb[:]) {
		return nil, fmt.Errorf("%w (stamp %#08x not in the boot sector)", ErrMismatch, stamp)
	}
	return &Loader{
		Version:     ver,
		Date:        date,
		MagicOffset: m,
		Stamp:       stamp,
		Sectors:     (len(sys) + SectorSize - 1) / SectorSize,
	}, nil
}

// checkBss checks the pristine shape of ldlinux.bss: 512 bytes, EB 58 90,
// and a signature word that still points at a CD 16 inside the code.
func checkBss(bss []byte) error {
	if len(bss) != bssSize {
		return fmt.Errorf("ldlinux.bss: %s bytes, want exactly 512: %w", human.Commas(int64(len(bss))), ErrBadLoader)
	}
	if bss[0] != 0xEB || bss[1] != 0x58 || bss[2] != 0x90 {
		return fmt.Errorf("ldlinux.bss: starts % X, want EB 58 90 (jmp to 0x5A): %w", bss[:3], ErrBadLoader)
	}
	if _, err := raidOffset(bss); err != nil {
		return err
	}
	return nil
}

// raidOffset returns the offset of the CD 16 (int 16h) that -r patches, from
// the pristine signature word.
func raidOffset(bss []byte) (int, error) {
	if bss[bssSignature] == 0x55 && bss[bssSignature+1] == 0xAA {
		return 0, fmt.Errorf("ldlinux.bss: ends in 55 AA, an installed boot sector, not the pristine template: %w", ErrBadLoader)
	}
	p := int(binary.LittleEndian.Uint16(bss[bssSignature:]))
	if p < bssCode || p+2 > bssFirstSector || bss[p] != 0xCD || bss[p+1] != 0x16 {
		return 0, fmt.Errorf("ldlinux.bss: word at 0x1FE (%#04x) does not point at a CD 16 (int 16h) in the boot code: %w", p, ErrBadLoader)
	}
	return p, nil
}

// findMagic scans sys at 4-byte steps for Magic and checks that the whole
// patch area lies in the first sector (the only one the boot sector loads
// before reading SectorPtrs).
func findMagic(sys []byte) (int, error) {
	for m := 0; m+4 <= len(sys); m += 4 {
		if binary.LittleEndian.Uint32(sys[m:]) != Magic {
			continue
		}
		if m+paSize > len(sys) || m+paSize > SectorSize {
			return 0, fmt.Errorf("ldlinux.sys: patch area at %#x (%d bytes) does not fit in the first sector of a %s-byte file: %w",
				m, paSize, human.Commas(int64(len(sys))), ErrBadLoader)
		}
		return m, nil
	}
	return 0, fmt.Errorf("ldlinux.sys: no LDLINUX_MAGIC %#08x at any 4-byte offset: %w", Magic, ErrBadLoader)
}

// banner finds "SYSLINUX <version> <date>" starting in the first 128 bytes.
func banner(sys []byte) (version, date string, ok bool) {
	head := sys[:min(len(sys), bannerScan+64)] // room for the tokens after the name
	prefix := []byte("SYSLINUX ")
	for from := 0; from < bannerScan && from < len(head); {
		i := bytes.Index(head[from:], prefix)
		if i < 0 || from+i >= bannerScan {
			return "", "", false
		}
		at := from + i + len(prefix)
		if v, n := versionToken(head[at:]); n > 0 {
			rest := head[at+n:]
			if len(rest) > 0 && rest[0] == ' ' {
				date = token(rest[1:], 32)
			}
			return v, date, true
		}
		from = at
	}
	return "", "", false
}

// BannerVersion finds "<prog> x.yy" (e.g. prog "ISOLINUX" or "SYSLINUX") in
// arbitrary bytes, such as an isolinux.bin, and returns the version token.
func BannerVersion(b []byte, prog string) (string, bool) {
	if prog == "" {
		return "", false
	}
	prefix := []byte(prog + " ")
	for from := 0; from < len(b); {
		i := bytes.Index(b[from:], prefix)
		if i < 0 {
			return "", false
		}
		at := from + i + len(prefix)
		if v, n := versionToken(b[at:]); n > 0 {
			return v, true
		}
		from = at
	}
	return "", false
}

// versionToken reads "<digits>.<digits>[suffix]" where suffix is made of
// letters, digits, '.', '-' and '_' (e.g. "3.70", "3.86", "3.70-pre9"),
// up to 24 bytes; it returns the token and its length, or 0.
func versionToken(b []byte) (string, int) {
	n := 0
	digits := func() int {
		k := 0
		for n < len(b) && n < 24 && b[n] >= '0' && b[n] <= '9' {
			n++
			k++
		}
		return k
	}
	if digits() == 0 || n >= len(b) || b[n] != '.' {
		return "", 0
	}
	n++
	if digits() == 0 {
		return "", 0
	}
	for n < len(b) && n < 24 && isTokenByte(b[n]) {
		n++
	}
	return string(b[:n]), n
}

func isTokenByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '_'
}

// token returns the leading run of token bytes, at most max long.
func token(b []byte, max int) string {
	n := 0
	for n < len(b) && n < max && isTokenByte(b[n]) {
		n++
	}
	return string(b[:n])
}
