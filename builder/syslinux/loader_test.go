package syslinux_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

func TestParseLoader(t *testing.T) {
	bss370, sys370 := tarball.Synthetic("3.70", "2008-06-30", 0)
	bss386, sys386 := tarball.Synthetic("3.86", "2010-04-01", 15000)
	tests := []struct {
		name     string
		bss, sys []byte
		version  string
		date     string
		m        int
		sectors  int
	}{
		{"tiny", tinyBss(), tinySys(), "3.70", "2008-06-30", 0x20, 4},
		{"synthetic 3.70", bss370, sys370, "3.70", "2008-06-30", 0x20, 27},
		{"synthetic 3.86", bss386, sys386, "3.86", "2010-04-01", 0x20, 30},
		{"banner not at 0", tinyBss(), shifted(tinySys(), 8), "3.70", "2008-06-30", 0x28, 4},
		{"one sector", tinyBss(), tinySys()[:512], "3.70", "2008-06-30", 0x20, 1},
		{"65 sectors", tinyBss(), padTo(tinySys(), 65*512), "3.70", "2008-06-30", 0x20, 65},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ld, err := syslinux.ParseLoader(tc.bss, tc.sys)
			if err != nil {
				t.Fatal(err)
			}
			if ld.Version != tc.version || ld.Date != tc.date || ld.MagicOffset != tc.m || ld.Sectors != tc.sectors {
				t.Errorf("%+v", ld)
			}
		})
	}
}

// shifted moves the banner and patch area n bytes later (n a multiple of 4).
func shifted(sys []byte, n int) []byte {
	out := make([]byte, len(sys))
	copy(out[n:], sys[:len(sys)-n])
	return out
}

func padTo(b []byte, n int) []byte { return append(b, make([]byte, n-len(b))...) }

func TestParseLoaderErrors(t *testing.T) {
	mod := func(b []byte, f func([]byte)) []byte { b = bytes.Clone(b); f(b); return b }
	bss386, _ := tarball.Synthetic("3.86", "2010-04-01", 0)
	_, sys370 := tarball.Synthetic("3.70", "2008-06-30", 0)
	tests := []struct {
		name     string
		bss, sys []byte
		want     error
		msg      string
	}{
		{"bss 511 bytes", tinyBss()[:511], tinySys(), syslinux.ErrBadLoader, "511 bytes, want exactly 512"},
		{"bss 1024 bytes", padTo(tinyBss(), 1024), tinySys(), syslinux.ErrBadLoader, "1,024 bytes"},
		{"bss no jump", mod(tinyBss(), func(b []byte) { b[1] = 0x3C }), tinySys(), syslinux.ErrBadLoader, "EB 3C 90"},
		{"bss installed", mod(tinyBss(), func(b []byte) { b[0x1FE], b[0x1FF] = 0x55, 0xAA }), tinySys(), syslinux.ErrBadLoader, "55 AA"},
		{"bss raid pointer off", mod(tinyBss(), func(b []byte) { b[0x1FE] = 0xD8 }), tinySys(), syslinux.ErrBadLoader, "CD 16"},
		{"bss raid pointer past code", mod(tinyBss(), func(b []byte) { b[0x1FE], b[0x1FF] = 0xF7, 0x01 }), tinySys(), syslinux.ErrBadLoader, "CD 16"},
		{"no banner", tinyBss(), mod(tinySys(), func(b []byte) { copy(b[2:], "XYSLINUX") }), syslinux.ErrBadLoader, "banner"},
		{"banner without version", tinyBss(), mod(tinySys(), func(b []byte) { copy(b[11:], "v3.70") }), syslinux.ErrBadLoader, "banner"},
		{"banner too late", tinyBss(), shifted(tinySys(), 128), syslinux.ErrBadLoader, "banner"},
		{"no magic", tinyBss(), mod(tinySys(), func(b []byte) { b[0x20] = 0 }), syslinux.ErrBadLoader, "no LDLINUX_MAGIC"},
		{"magic unaligned", tinyBss(), mod(tinySys(), func(b []byte) { copy(b[0x21:], b[0x20:0x28]); b[0x20] = 0 }), syslinux.ErrBadLoader, "no LDLINUX_MAGIC"},
		{"patch area past sector 0", tinyBss(), mod(tinySys(), func(b []byte) { b[0x20] = 0; copy(b[0x110:], []byte{0xFE, 0x02, 0xB2, 0x3E}) }), syslinux.ErrBadLoader, "first sector"},
		{"sys shorter than patch area", tinyBss(), tinySys()[:0x100], syslinux.ErrBadLoader, "first sector"},
		{"stamp mismatch", tinyBss(), mod(tinySys(), func(b []byte) { b[0x24] = 0x45 }), syslinux.ErrMismatch, "stamp 0x11223345 not in the boot sector"},
		{"stamp only in BPB", mod(tinyBss(), func(b []byte) { copy(b[0x6C:], make([]byte, 9)); copy(b[0x20:], []byte{0x44, 0x33, 0x22, 0x11}) }), tinySys(), syslinux.ErrMismatch, "different builds"},
		{"3.86 bss with 3.70 sys", bss386, sys370, syslinux.ErrMismatch, "different builds"},
		{"sys 40,960 bytes", tinyBss(), padTo(tinySys(), 40960), syslinux.ErrTooLarge, "40,960 bytes, more than the 65 sectors (33,280 bytes)"},
		{"sys 33,281 bytes", tinyBss(), padTo(tinySys(), 33281), syslinux.ErrTooLarge, "33,281 bytes"},
		{"empty sys", tinyBss(), nil, syslinux.ErrBadLoader, "banner"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ld, err := syslinux.ParseLoader(tc.bss, tc.sys)
			if !errors.Is(err, tc.want) || ld != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestBannerVersion(t *testing.T) {
	tests := []struct {
		name, in, prog, want string
		ok                   bool
	}{
		{"isolinux 3.70", "\xEB\x40junk\r\nISOLINUX 3.70 2008-06-30 \x00", "ISOLINUX", "3.70", true},
		{"isolinux 3.86", "ISOLINUX 3.86 2010-04-01 Copyright", "ISOLINUX", "3.86", true},
		{"pre-release", "ISOLINUX 3.70-pre9 0x485ab3f1", "ISOLINUX", "3.70-pre9", true},
		{"mention first", "isolinux.bin ISOLINUX: ISOLINUX boot ISOLINUX 4.04 x", "ISOLINUX", "4.04", true},
		{"syslinux", "\r\nSYSLINUX 3.70 2008-06-30 ", "SYSLINUX", "3.70", true},
		{"other program", "\r\nSYSLINUX 3.70 2008-06-30 ", "ISOLINUX", "", false},
		{"no dot", "ISOLINUX 370", "ISOLINUX", "", false},
		{"no minor", "ISOLINUX 3. x", "ISOLINUX", "", false},
		{"at the very end", "ISOLINUX 3", "ISOLINUX", "", false},
		{"empty", "", "ISOLINUX", "", false},
		{"empty prog", "ISOLINUX 3.70", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := syslinux.BannerVersion([]byte(tc.in), tc.prog)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
