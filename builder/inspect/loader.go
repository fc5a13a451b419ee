package inspect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// Boot sector fields written by the 3.x installer.
const (
	bsCodeStart   = 0x05A // syslinux boot code, after the FAT32 extended BPB
	bsFirstSector = 0x1F8 // u32 FirstSector
	bsMaxTransfer = 0x1FC // u16 MaxTransfer
	maxLoaderSecs = 65    // 1 in FirstSector + 64 SectorPtrs
)

// checkBootCode looks at the partition boot sector as the BIOS will run it.
func (in *inspector) checkBootCode(bs []byte) {
	le := binary.LittleEndian
	lr := &in.rep.Loader
	lr.MagicOffset = -1
	lr.Jump = fmt.Sprintf("%02X %02X %02X", bs[0], bs[1], bs[2])
	lr.Signature = le.Uint16(bs[0x1FE:]) == 0xAA55
	lr.Syslinux = bs[0] == 0xEB && bs[1] == 0x58 && bs[2] == 0x90
	lr.FirstSector = le.Uint32(bs[bsFirstSector:])
	lr.MaxTransfer = le.Uint16(bs[bsMaxTransfer:])
	if !lr.Signature {
		in.fault("partition boot sector: no 55 AA at 0x1FE (found %02X %02X): mbr.bin would print \"Operating system load error.\"", bs[0x1FE], bs[0x1FF])
	}
	if !lr.Syslinux {
		in.fault("partition boot sector: jump %s is not syslinux's EB 58 90: SYSLINUX is not installed", lr.Jump)
		return
	}
	code := bs[bsCodeStart:bsFirstSector]
	// kaboom: "int 16h; int 19h" (wait for a key, retry) or, with -r,
	// "int 18h; int 19h" (next boot device).
	k16 := bytes.Contains(code, []byte{0xCD, 0x16, 0xCD, 0x19})
	k18 := bytes.Contains(code, []byte{0xCD, 0x18, 0xCD, 0x19})
	if k16 != k18 {
		lr.RAID = &k18
		lr.ErrorKey = "int 16h"
		if k18 {
			lr.ErrorKey = "int 18h"
		}
	}
	lr.Layout = "3.x"
	if lr.FirstSector == ldlMagic {
		in.modern, lr.Layout = true, "4.x+"
		lr.FirstSector, lr.MaxTransfer = 0, 0 // not these fields in 4.x+
		in.fault("boot sector: SYSLINUX 4.x or later (LDLINUX_MAGIC at 0x1F8 where 3.x keeps FirstSector): ESXi's mboot.c32 needs syslinux 3.70 (ESXi 4.x) or 3.86 (5.x+)")
		return
	}
	switch {
	case lr.MaxTransfer == 0:
		in.fault("boot sector: MaxTransfer is 0 (0x1FC): the loader would read no sectors")
	case lr.MaxTransfer > 127:
		in.warn("boot sector: MaxTransfer %d (0x1FC) is over 127 sectors, more than many BIOSes read at once", lr.MaxTransfer)
	}
}

// simulateBoot follows what the boot sector and LDLINUX.SYS's first sector
// do: load FirstSector, check the stamp, load SectorPtrs[0..LDLSectors-1],
// check the checksum. It returns the loaded bytes (nil when loading fails).
func (in *inspector) simulateBoot(bs []byte) []byte {
	lr := &in.rep.Loader
	if !lr.Syslinux || in.modern {
		return nil
	}
	read := func(what string, s uint32) []byte {
		if int64(s) >= in.psec || s == 0 {
			in.fault("%s=%s is outside %s's sectors 1..%s", what, human.Commas(s), in.where(), human.Commas(in.psec-1))
			return nil
		}
		b := make([]byte, 512)
		if err := in.im.readAt(b, in.base+int64(s)*512); err != nil {
			in.fault("%s=%s: %v", what, human.Commas(s), err)
			return nil
		}
		return b
	}
	sec0 := read("FirstSector", lr.FirstSector)
	if sec0 == nil {
		return nil
	}
	lr.Banner, lr.Version, lr.Date = parseBanner(sec0)
	if in.notV3(lr.Version) {
		return nil
	}
	pa, m := findPatchArea(sec0)
	lr.MagicOffset = m
	if m < 0 {
		in.fault("FirstSector=%s holds no SYSLINUX 3.x loader (no magic 0x%08X in its first %d bytes): the boot sector would print \"Boot error\"",
			human.Commas(lr.FirstSector), ldlMagic, maxMagicOff+4)
		return nil
	}
	lr.Stamp, lr.LDLDwords, lr.LDLSectors, lr.CheckSum = pa.Stamp, pa.LDLDwords, pa.LDLSectors, pa.CheckSum
	lr.SectorPtrs = slices.Clone(pa.SectorPtrs[:min(int(pa.LDLSectors), len(pa.SectorPtrs))])
	var stamp [4]byte
	binary.LittleEndian.PutUint32(stamp[:], pa.Stamp)
	lr.StampInBootSector = bytes.Contains(bs[bsCodeStart:bsFirstSector], stamp[:])
	if !lr.StampInBootSector {
		in.fault("stamp 0x%08X (LDLINUX.SYS at M+4=0x%X) is not in the boot sector code 0x5A..0x1F7: the boot sector would print \"Boot error\" (boot sector and LDLINUX.SYS from different builds)",
			pa.Stamp, m+4)
	}
	if int(pa.LDLSectors) > len(pa.SectorPtrs) {
		in.fault("LDLSectors=%d (M+10) is over 64: the sector list cannot name that many", pa.LDLSectors)
		return nil
	}
	if int(pa.LDLDwords) > (int(pa.LDLSectors)+1)*128 || pa.LDLDwords == 0 {
		in.fault("LDLDwords=%d (M+8) does not fit in the %d sectors LDLSectors=%d loads", pa.LDLDwords, pa.LDLSectors+1, pa.LDLSectors)
		return nil
	}
	loaded := sec0
	ok := true
	for i, p := range lr.SectorPtrs {
		b := read("SectorPtrs["+strconv.Itoa(i)+"]", p)
		if b == nil {
			ok = false
			b = make([]byte, 512)
		}
		loaded = append(loaded, b...)
	}
	if !ok {
		return nil
	}
	sum := dwordSum(loaded, int(pa.LDLDwords))
	lr.ChecksumOK = sum == ldlMagic
	if !lr.ChecksumOK {
		in.fault("checksum: the %s dwords loaded sum to 0x%08X, not 0x%08X: the loader would print \"Load error\"", human.Commas(pa.LDLDwords), sum, ldlMagic)
	}
	return loaded
}

// notV3 reports (once) a loader banner from syslinux 4.x or later.
func (in *inspector) notV3(version string) bool {
	major, _, _ := strings.Cut(version, ".")
	if major == "" || major == "3" {
		return false
	}
	if !in.modernBanner {
		in.modernBanner = true
		in.fault("LDLINUX.SYS is %s: syslinux 4.x and later use another patch area and boot sector; ESXi needs 3.70 (4.x) or 3.86 (5.x+)", in.rep.Loader.Banner)
	}
	return true
}

// checkLoaderFile checks LDLINUX.SYS in the root folder against the sector
// list the boot path uses.
func (in *inspector) checkLoaderFile(loaded []byte) {
	lr := &in.rep.Loader
	var f *node
	for _, c := range in.tree.root.children {
		if c.raw83 == "LDLINUX SYS" {
			f = c
			break
		}
	}
	if f == nil {
		if lr.Syslinux {
			in.fault("LDLINUX.SYS is not in the root folder: the sectors the boot sector names are free space, any write may destroy them")
		}
		return
	}
	lr.File, lr.FileSize, lr.Attr = f.short, f.size, attrString(f.attr)
	lr.Clusters, lr.ClusterRuns = runs(f.clusters), runList(f.clusters)
	if f.dir {
		in.fault("LDLINUX.SYS is a folder")
		return
	}
	if f.attr&(attrRO|attrHidden|attrSystem) != attrRO|attrHidden|attrSystem {
		in.warn("LDLINUX.SYS attributes are %q, not read-only, hidden and system (RHS): nothing stops it being moved, which breaks the sector list", lr.Attr)
	}
	if f.chainErr == nil && lr.Banner == "" && f.size > 0 {
		if b, err := in.vol.readFile(f, 1<<20); err == nil {
			lr.Banner, lr.Version, lr.Date = parseBanner(b)
			if in.notV3(lr.Version) {
				return
			}
		}
	}
	if in.modern {
		return
	}
	if f.size > maxLoaderSecs*512 {
		in.fault("LDLINUX.SYS is %s bytes; a 3.x sector list covers at most %s", human.Commas(f.size), human.Commas(maxLoaderSecs*512))
		return
	}
	if f.chainErr != nil {
		in.fault("LDLINUX.SYS: %v", f.chainErr)
		return
	}
	secs := in.vol.fileSectors(f.clusters, f.size)
	lr.FileSectors, lr.SectorRuns = runs(secs), runList(secs)
	if !lr.Syslinux || lr.MagicOffset < 0 {
		return
	}
	n := len(secs)
	if want := uint16(f.size >> 2); lr.LDLDwords != want {
		in.fault("LDLDwords=%s (M+8) but LDLINUX.SYS is %s bytes (%s dwords)", human.Commas(lr.LDLDwords), human.Commas(f.size), human.Commas(want))
	}
	if n > 0 && int(lr.LDLSectors) != n-1 {
		in.fault("LDLSectors=%d (M+10) but LDLINUX.SYS spans %d sectors (want %d)", lr.LDLSectors, n, n-1)
	}
	where := fmt.Sprintf("(clusters %s, sectors %s)", lr.Clusters, lr.FileSectors)
	bad := 0
	check := func(what string, got uint32, idx int) {
		if idx < n && got == secs[idx] {
			return
		}
		bad++
		if bad > 8 {
			return
		}
		if idx >= n {
			in.fault("%s=%s: LDLINUX.SYS has no sector %d", what, human.Commas(got), idx)
		} else if k := slices.Index(secs, got); k >= 0 {
			in.fault("%s=%s is LDLINUX.SYS's sector %d, not sector %d (%s): out of order", what, human.Commas(got), k, idx, human.Commas(secs[idx]))
		} else {
			in.fault("%s=%s is outside LDLINUX.SYS %s", what, human.Commas(got), where)
		}
	}
	check("FirstSector", lr.FirstSector, 0)
	for i, p := range lr.SectorPtrs {
		if i+1 < n {
			check(fmt.Sprintf("SectorPtrs[%d]", i), p, i+1)
		}
	}
	if bad > 8 {
		in.fault("%d more sector-list entries are wrong", bad-8)
	}
	if loaded != nil && bad == 0 {
		content, err := in.vol.readFile(f, maxLoaderSecs*512)
		if err == nil && !bytes.Equal(content, loaded[:min(len(loaded), len(content))]) {
			in.fault("LDLINUX.SYS's bytes differ from what the boot path loads")
		}
	}
}
