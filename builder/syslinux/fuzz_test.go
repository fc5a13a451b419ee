package syslinux_test

import (
	"archive/tar"
	"bytes"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// FuzzReadTarball: no panic, no unbounded allocation, and whatever is
// returned respects the member limits.
func FuzzReadTarball(f *testing.F) {
	for _, comp := range []string{"gz", "xz", "none"} {
		f.Add(build(f, tarball.Spec{Compression: comp, Modules: map[string][]byte{"com32/modules/mboot.c32": tarball.Module("mboot.c32")}}))
	}
	f.Add(build(f, tarball.Spec{Compression: "none", Extra: []tarball.Entry{
		{Name: top + "core/ldlinux.sys", Type: tar.TypeSymlink, Link: "x"}}}))
	small := build(f, tarball.Spec{Compression: "none", Sys: tinySys()[:512], Omit: []string{"README", "COPYING", "core/ldlinux.lst", "mtools/syslinux", "linux/syslinux", "com32/modules/mboot.c"},
		Modules: map[string][]byte{"com32/mboot.c32": []byte("B8FE4CCD21")}})
	f.Add(small)
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"))
	f.Add([]byte("BZh91AY&SY"))
	f.Add([]byte{0xFD, '7', 'z', 'X', 'Z', 0, 0, 4, 0xE6, 0xD6, 0xB4, 0x46, 0x02, 0x00, 0x21, 0x01, 0x28})
	f.Fuzz(func(t *testing.T, data []byte) {
		defer syslinux.SetMaxTotal(4 << 20)()
		tb, err := syslinux.ReadTarball(bytes.NewReader(data), "fuzz.tar", "mboot.c32")
		if err != nil {
			if tb != nil {
				t.Fatal("tarball and error")
			}
			return
		}
		if len(tb.Bss) != 512 || len(tb.Sys) == 0 || len(tb.Sys) > syslinux.MaxSysSize || len(tb.MBR) == 0 || len(tb.MBR) > 440 {
			t.Fatalf("limits: %d %d %d", len(tb.Bss), len(tb.Sys), len(tb.MBR))
		}
		if m := tb.Modules["mboot.c32"]; len(m) == 0 || len(m) > 1<<20 {
			t.Fatalf("module: %d", len(m))
		}
	})
}

// FuzzParseLoader: no panic; a pair that parses installs, and the result
// has a valid checksum and leaves the inputs alone.
func FuzzParseLoader(f *testing.F) {
	bss, sys := tarball.Synthetic("3.70", "2008-06-30", 2000)
	f.Add(bss, sys, false, true)
	f.Add(tinyBss(), tinySys(), true, false)
	f.Add(tinyBss()[:100], []byte("\r\nSYSLINUX 3.70 "), false, false)
	f.Fuzz(func(t *testing.T, bss, sys []byte, stupid, raid bool) {
		ld, err := syslinux.ParseLoader(bss, sys)
		if err != nil {
			if ld != nil {
				t.Fatal("loader and error")
			}
			return
		}
		if ld.Sectors < 1 || ld.Sectors > 65 || ld.MagicOffset%4 != 0 || ld.Version == "" {
			t.Fatalf("%+v", ld)
		}
		sectors := make([]uint32, ld.Sectors)
		for i := range sectors {
			sectors[i] = uint32(100 + i)
		}
		var fs [512]byte
		fs[0x0C], fs[0x1FE], fs[0x1FF] = 0x02, 0x55, 0xAA
		bssCopy, sysCopy := bytes.Clone(bss), bytes.Clone(sys)
		boot, patched, err := syslinux.Install(bss, sys, fs, sectors, syslinux.Options{Stupid: stupid, RAID: raid})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bss, bssCopy) || !bytes.Equal(sys, sysCopy) {
			t.Fatal("inputs modified")
		}
		if boot[0x1FE] != 0x55 || boot[0x1FF] != 0xAA || len(patched) != len(sys) {
			t.Fatal("bad output")
		}
		if s := dwordSum(patched, len(sys)>>2); s != syslinux.Magic {
			t.Fatalf("sum %#x", s)
		}
		if len(sys) > 512 && !bytes.Equal(patched[512:], sys[512:]) {
			t.Fatal("beyond the first sector changed")
		}
	})
}
