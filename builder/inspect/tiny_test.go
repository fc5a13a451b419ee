package inspect

import (
	"testing"
)

// tinyImage builds a small bootable FAT12 image in memory with no external
// tools: the fuzz seeds that CI always has. With mbr, sector 0 holds the
// stand-in MBR and the filesystem starts at sector 1.
func tinyImage(t testing.TB, mbr bool) memImage {
	const fsSectors = 24
	start := uint32(0)
	if mbr {
		start = 1
	}
	img := make(memImage, (int(start)+fsSectors)*512)
	fs := img[start*512:]
	// boot sector: a FAT12 BPB with 1 FAT sector and 1 root folder sector
	bs := fs[:512]
	copy(bs, []byte{0xEB, 0x3C, 0x90})
	copy(bs[3:], "MSWIN4.1")
	le.PutUint16(bs[0x0B:], 512)       // bytes per sector
	bs[0x0D] = 1                       // sectors per cluster
	le.PutUint16(bs[0x0E:], 1)         // reserved sectors
	bs[0x10] = 1                       // FATs
	le.PutUint16(bs[0x11:], 16)        // root entries (one sector)
	le.PutUint16(bs[0x13:], fsSectors) // total sectors
	bs[0x15] = 0xF8                    // media
	le.PutUint16(bs[0x16:], 1)         // sectors per FAT
	le.PutUint16(bs[0x18:], 32)        // sectors per track
	le.PutUint16(bs[0x1A:], 2)         // heads
	le.PutUint32(bs[0x1C:], start)     // hidden sectors
	bs[0x26] = 0x29
	le.PutUint32(bs[0x27:], 0x1234ABCD)
	copy(bs[0x2B:], "TINY       FAT12   ")
	bs[510], bs[511] = 0x55, 0xAA
	fat, root := fs[512:1024], fs[1024:1536]
	set12 := func(c, v uint32) {
		off := c * 3 / 2
		if c%2 == 0 {
			fat[off], fat[off+1] = byte(v), fat[off+1]&0xF0|byte(v>>8)&0x0F
		} else {
			fat[off], fat[off+1] = fat[off]&0x0F|byte(v<<4), byte(v>>4)
		}
	}
	set12(0, 0xFF8)
	set12(1, 0xFFF)
	next, slot := uint32(2), 0
	entry := func(dir []byte, i int, name83 string, attr byte, first uint32, size int) {
		e := dir[32*i:]
		copy(e, name83)
		e[11] = attr
		le.PutUint16(e[26:], uint16(first))
		le.PutUint32(e[28:], uint32(size))
	}
	add := func(name83 string, attr byte, data []byte) uint32 {
		first := next
		n := max(1, (len(data)+511)/512)
		for k := range n {
			v := uint32(0xFFF)
			if k < n-1 {
				v = next + 1
			}
			set12(next, v)
			copy(fs[(3+next-2)*512:], data[min(len(data), k*512):])
			next++
		}
		size := len(data)
		if attr&attrDir != 0 {
			size = 0
		}
		entry(root, slot, name83, attr, first, size)
		slot++
		return first
	}
	bss, sys := synthLoaderSize(1100)
	add("LDLINUX SYS", 0x27, sys)
	add("SYSLINUXCFG", 0x20, []byte("serial 0 115200\ndefault 1\nlabel 1\nkernel mboot.c32\nappend a.gz ks=usb --- b.gz\n"))
	for _, n := range []string{"MBOOT   C32", "A       GZ ", "B       GZ "} {
		add(n, 0x20, []byte(n))
	}
	add("KS      CFG", 0x20, []byte("install usb\n"))
	// a long name: one LFN slot for the 13 characters "long name.txt"
	lfn := root[32*slot:]
	lfn[0], lfn[11], lfn[13] = 0x41, attrLFN, shortChecksum([]byte("LONGNA~1TXT"))
	for i, off := range []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
		le.PutUint16(lfn[off:], uint16("long name.txt"[i]))
	}
	slot++
	add("LONGNA~1TXT", 0x20, []byte("long"))
	// a folder with one file
	sub := make([]byte, 512)
	d := add("EFI        ", attrDir, sub)
	entry(sub, 0, ".          ", attrDir, d, 0)
	entry(sub, 1, "..         ", attrDir, 0, 0)
	f := next
	set12(f, 0xFFF)
	copy(fs[(3+f-2)*512:], "efi")
	next++
	entry(sub, 2, "BOOTX64 EFI", 0x20, f, 3)
	copy(fs[(3+d-2)*512:], sub)
	var secs []uint32
	for k := range uint32(3) {
		secs = append(secs, 3+k) // LDLINUX.SYS is clusters 2-4: sectors 3-5
	}
	install(t, img, int64(start)*512, bss, sys, secs, false, false)
	if mbr {
		writeMBR(t, img, start, fsSectors, 12, standInMBR)
	}
	return img
}

func TestTinyImages(t *testing.T) {
	for _, mbr := range []bool{false, true} {
		img := tinyImage(t, mbr)
		r, err := Inspect(img, int64(len(img)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Bootable || len(r.Faults) > 0 || len(r.Files) != 9 {
			t.Errorf("mbr %v: want bootable with 9 entries:\n%s", mbr, r.Text())
		}
		if ef := r.Files[len(r.Files)-1]; ef.Path != "/EFI/BOOTX64.EFI" || ef.Size != 3 {
			t.Errorf("last entry %+v", ef)
		}
		if lf := r.Files[6]; lf.Path != "/long name.txt" || lf.ShortName != "LONGNA~1TXT" {
			t.Errorf("long name entry %+v", lf)
		}
	}
}
