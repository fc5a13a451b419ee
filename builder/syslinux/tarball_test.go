package syslinux_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

const top = "syslinux-3.70/"

func build(t testing.TB, s tarball.Spec) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tarball.Write(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func withModules() map[string][]byte {
	return map[string][]byte{
		"com32/modules/mboot.c32": tarball.Module("mboot.c32"),
		"com32/menu/menu.c32":     tarball.Module("menu.c32"),
		"com32/menu/vesamenu.c32": tarball.Module("vesamenu.c32"),
	}
}

func TestReadTarball(t *testing.T) {
	bss, sys := tarball.Synthetic("3.70", "2008-06-30", 0)
	for _, comp := range []string{"gz", "xz", "bz2", "none"} {
		t.Run(comp, func(t *testing.T) {
			if comp == "bz2" {
				testutil.NeedTool(t, "bzip2")
			}
			data := build(t, tarball.Spec{Compression: comp, Modules: withModules()})
			tb, err := syslinux.ReadTarball(bytes.NewReader(data), "s.tar."+comp, "mboot.c32", "MENU.C32", "com32/menu/vesamenu.c32")
			if err != nil {
				t.Fatal(err)
			}
			if tb.Top != "syslinux-3.70" || tb.Name != "s.tar."+comp {
				t.Errorf("Top %q Name %q", tb.Top, tb.Name)
			}
			if !bytes.Equal(tb.Bss, bss) || !bytes.Equal(tb.Sys, sys) || !bytes.Equal(tb.MBR, tarball.SyntheticMBR()) {
				t.Error("loader files differ from what was written")
			}
			if len(tb.Modules) != 3 || !bytes.Equal(tb.Modules["mboot.c32"], tarball.Module("mboot.c32")) ||
				!bytes.Equal(tb.Modules["menu.c32"], tarball.Module("menu.c32")) ||
				!bytes.Equal(tb.Modules["vesamenu.c32"], tarball.Module("vesamenu.c32")) {
				t.Errorf("modules: %d", len(tb.Modules))
			}
		})
	}
}

func TestOpenTarball(t *testing.T) {
	path := filepath.Join(t.TempDir(), "syslinux-3.86.tar.xz")
	if err := tarball.WriteFile(path, tarball.Spec{Version: "3.86", Date: "2010-04-01", Compression: "xz"}); err != nil {
		t.Fatal(err)
	}
	tb, err := syslinux.OpenTarball(path)
	if err != nil {
		t.Fatal(err)
	}
	ld, err := syslinux.ParseLoader(tb.Bss, tb.Sys)
	if err != nil || tb.Top != "syslinux-3.86" || ld.Version != "3.86" || len(tb.Modules) != 0 {
		t.Errorf("%+v %+v %v", tb.Top, ld, err)
	}
	if _, err := syslinux.OpenTarball(filepath.Join(t.TempDir(), "missing.tar.gz")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// The same module in two folders is fine when identical, refused when not.
func TestReadTarballModuleTwice(t *testing.T) {
	same := withModules()
	same["com32/samples/mboot.c32"] = tarball.Module("mboot.c32")
	if _, err := syslinux.ReadTarball(bytes.NewReader(build(t, tarball.Spec{Modules: same})), "a.tgz", "mboot.c32"); err != nil {
		t.Errorf("identical copies: %v", err)
	}
	diff := withModules()
	diff["com32/samples/mboot.c32"] = tarball.Module("other")
	_, err := syslinux.ReadTarball(bytes.NewReader(build(t, tarball.Spec{Modules: diff})), "a.tgz", "mboot.c32")
	if !errors.Is(err, syslinux.ErrDuplicate) {
		t.Errorf("different copies: %v", err)
	}
	// A link beside the regular copy is ignored; alone, it is refused.
	linked := tarball.Spec{Modules: withModules(), Extra: []tarball.Entry{{Name: top + "com32/samples/mboot.c32", Type: tar.TypeSymlink, Link: "../modules/mboot.c32"}}}
	if _, err := syslinux.ReadTarball(bytes.NewReader(build(t, linked)), "a.tgz", "mboot.c32"); err != nil {
		t.Errorf("link beside the file: %v", err)
	}
	linked.Omit = []string{"com32/modules/mboot.c32"}
	delete(linked.Modules, "com32/modules/mboot.c32")
	if _, err := syslinux.ReadTarball(bytes.NewReader(build(t, linked)), "a.tgz", "mboot.c32"); !errors.Is(err, syslinux.ErrNotRegular) {
		t.Errorf("link alone: %v", err)
	}
	// Named by path, the other copy does not matter.
	if _, err := syslinux.ReadTarball(bytes.NewReader(build(t, tarball.Spec{Modules: diff})), "a.tgz", "com32/modules/mboot.c32"); err != nil {
		t.Errorf("by path: %v", err)
	}
}

func TestReadTarballErrors(t *testing.T) {
	good := build(t, tarball.Spec{Modules: withModules()})
	plain := build(t, tarball.Spec{Compression: "none"})
	xzData := build(t, tarball.Spec{Compression: "xz"})
	gzText := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	spec := func(s tarball.Spec) []byte { return build(t, s) }
	flip := func(b []byte, at int) []byte { b = bytes.Clone(b); b[at] ^= 0xFF; return b }
	tests := []struct {
		name    string
		data    []byte
		modules []string
		want    error
		msg     string
	}{
		{"dotdot", spec(tarball.Spec{Extra: []tarball.Entry{{Name: top + "../evil", Body: []byte("x")}}}), nil, syslinux.ErrUnsafePath, `"syslinux-3.70/../evil": path with ".."`},
		{"absolute", spec(tarball.Spec{Extra: []tarball.Entry{{Name: "/etc/cron.d/x", Body: []byte("x")}}}), nil, syslinux.ErrUnsafePath, "absolute path"},
		{"second top folder", spec(tarball.Spec{Extra: []tarball.Entry{{Name: "other-1.0/core/ldlinux.sys", Body: []byte("x")}}}), nil, syslinux.ErrUnsafePath, "outside the top folder"},
		{"symlink sys", spec(tarball.Spec{Omit: []string{"core/ldlinux.sys"}, Extra: []tarball.Entry{{Name: top + "core/ldlinux.sys", Type: tar.TypeSymlink, Link: "/etc/shadow"}}}), nil, syslinux.ErrNotRegular, `core/ldlinux.sys: a symlink to "/etc/shadow"`},
		{"hardlink mbr", spec(tarball.Spec{Omit: []string{"mbr/mbr.bin"}, Extra: []tarball.Entry{{Name: top + "mbr/mbr.bin", Type: tar.TypeLink, Link: top + "README"}}}), nil, syslinux.ErrNotRegular, "mbr/mbr.bin: a hard link"},
		{"folder bss", spec(tarball.Spec{Omit: []string{"core/ldlinux.bss"}, Extra: []tarball.Entry{{Name: top + "core/ldlinux.bss/", Type: tar.TypeDir}}}), nil, syslinux.ErrNotRegular, "core/ldlinux.bss: tar type '5'"},
		{"symlink module", spec(tarball.Spec{Extra: []tarball.Entry{{Name: top + "com32/modules/mboot.c32", Type: tar.TypeSymlink, Link: "../x"}}}), []string{"mboot.c32"}, syslinux.ErrNotRegular, "com32/modules/mboot.c32: a symlink"},
		{"duplicate sys", spec(tarball.Spec{Extra: []tarball.Entry{{Name: top + "core/ldlinux.sys", Body: tinySys()}}}), nil, syslinux.ErrDuplicate, "core/ldlinux.sys: appears twice"},
		{"duplicate via ./", spec(tarball.Spec{Extra: []tarball.Entry{{Name: "./" + top + "mbr/mbr.bin", Body: []byte("x")}}}), nil, syslinux.ErrDuplicate, "mbr/mbr.bin: appears twice"},
		{"no bss", spec(tarball.Spec{Omit: []string{"core/ldlinux.bss"}}), nil, syslinux.ErrMissing, "no syslinux-3.70/core/ldlinux.bss"},
		{"no mbr", spec(tarball.Spec{Omit: []string{"mbr/mbr.bin"}}), nil, syslinux.ErrMissing, "no syslinux-3.70/mbr/mbr.bin"},
		{"no module", good, []string{"mboot.c32", "chain.c32"}, syslinux.ErrMissing, "chain.c32"},
		{"no module by path", good, []string{"com32/modules/menu.c32"}, syslinux.ErrMissing, "com32/modules/menu.c32"},
		{"sys 40,960 bytes", spec(tarball.Spec{Sys: padTo(tinySys(), 40960)}), nil, syslinux.ErrTooLarge,
			"x.tar.gz: core/ldlinux.sys: 40,960 bytes, more than the 65 sectors (33,280 bytes) syslinux 3.x can load"},
		{"bss 513 bytes", spec(tarball.Spec{Bss: padTo(tinyBss(), 513)}), nil, syslinux.ErrTooLarge, "core/ldlinux.bss: 513 bytes, want exactly 512"},
		{"mbr 441 bytes", spec(tarball.Spec{MBR: make([]byte, 441)}), nil, syslinux.ErrTooLarge, "mbr/mbr.bin: 441 bytes, more than the 440 allowed"},
		{"mbr empty", spec(tarball.Spec{MBR: []byte{}}), nil, syslinux.ErrMissing, "mbr/mbr.bin: empty"},
		{"module over 1 MiB", spec(tarball.Spec{Modules: map[string][]byte{"com32/modules/mboot.c32": make([]byte, 1<<20+1)}}), []string{"mboot.c32"}, syslinux.ErrTooLarge, "1,048,577 bytes"},
		{"declared size huge, needed", spec(tarball.Spec{Omit: []string{"core/ldlinux.sys"}, Extra: []tarball.Entry{{Name: top + "core/ldlinux.sys", Body: []byte("x"), Size: 1 << 40}}}), nil, syslinux.ErrTooLarge, "1,099,511,627,776 bytes"},
		{"declared size huge, other", spec(tarball.Spec{Extra: []tarball.Entry{{Name: top + "NEWS", Body: []byte("x"), Size: 1 << 40}}}), nil, syslinux.ErrTruncated, "x.tar.gz"},
		{"truncated gz, half", good[:len(good)/2], nil, syslinux.ErrTruncated, "x.tar.gz"},
		{"truncated gz, trailer", good[:len(good)-4], nil, syslinux.ErrTruncated, "x.tar.gz"},
		{"truncated gz, header", good[:5], nil, syslinux.ErrTruncated, "gzip"},
		{"truncated xz", xzData[:len(xzData)/2], nil, syslinux.ErrTruncated, "x.tar.gz"},
		{"truncated tar", plain[:len(plain)/2+100], nil, syslinux.ErrTruncated, "x.tar.gz"},
		{"corrupt gz", flip(good, len(good)/2), nil, nil, "x.tar.gz"},
		{"corrupt tar header", flip(plain, 512*5+100), nil, syslinux.ErrCorrupt, "bad tar header"},
		{"not a tarball", []byte("PK\x03\x04 this is a zip, or something"), nil, syslinux.ErrNotTarball, "starts 50 4B 03 04"},
		{"gzip of text", gzText(strings.Repeat("hello world\n", 100)), nil, syslinux.ErrNotTarball, "no tar header"},
		{"gzip of short text", gzText("hello"), nil, syslinux.ErrNotTarball, "no tar header"},
		{"empty file", nil, nil, syslinux.ErrNotTarball, "empty file"},
		{"empty gzip", gzText(""), nil, syslinux.ErrNotTarball, "no members"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := syslinux.ReadTarball(bytes.NewReader(tc.data), "x.tar.gz", tc.modules...)
			if err == nil || tb != nil {
				t.Fatalf("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "x.tar.gz: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%q: want the tarball name first and %q", err, tc.msg)
			}
		})
	}
}

// A member declaring a terabyte must be refused before anything is allocated for it.
func TestReadTarballNoAllocFromHeader(t *testing.T) {
	data := build(t, tarball.Spec{Compression: "none", Omit: []string{"core/ldlinux.sys"},
		Extra: []tarball.Entry{{Name: top + "core/ldlinux.sys", Body: []byte("x"), Size: 1 << 40}}})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := syslinux.ReadTarball(bytes.NewReader(data), "x.tar", "mboot.c32")
	runtime.ReadMemStats(&after)
	if !errors.Is(err, syslinux.ErrTooLarge) {
		t.Fatal(err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 8<<20 {
		t.Errorf("allocated %d bytes", d)
	}
}

func TestReadTarballTotalLimit(t *testing.T) {
	defer syslinux.SetMaxTotal(64 << 10)()
	data := build(t, tarball.Spec{Modules: map[string][]byte{"com32/big.c32": make([]byte, 100<<10)}})
	_, err := syslinux.ReadTarball(bytes.NewReader(data), "x.tar.gz")
	if !errors.Is(err, syslinux.ErrTooLarge) || !strings.Contains(err.Error(), "x.tar.gz: more than 65,536 bytes once decompressed") {
		t.Fatal(err)
	}
}

// An xz header asking for a 4 GiB dictionary is refused before decoding.
func TestReadTarballXZDict(t *testing.T) {
	data := bytes.Clone(build(t, tarball.Spec{Compression: "xz"}))
	hdr := data[12:]
	size := (int(hdr[0]) + 1) * 4
	i := bytes.Index(hdr[:size], []byte{0x21, 0x01}) // LZMA2 filter, 1 property byte
	if i < 0 {
		t.Fatalf("no LZMA2 filter in block header % X", hdr[:size])
	}
	hdr[i+2] = 40 // dictionary code 40 = 4 GiB - 1
	crc := crc32.ChecksumIEEE(hdr[:size-4])
	hdr[size-4], hdr[size-3], hdr[size-2], hdr[size-1] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	_, err := syslinux.ReadTarball(bytes.NewReader(data), "x.tar.xz")
	if !errors.Is(err, syslinux.ErrTooLarge) || !strings.Contains(err.Error(), "LZMA2 dictionary of 4,294,967,295 bytes") {
		t.Fatal(err)
	}
}

// TestReadTarballGPTMBR: mbr/gptmbr.bin is read when the tarball has it,
// nil when not (only GPT images need it), refused past 440 bytes, and
// kept by the cache.
func TestReadTarballGPTMBR(t *testing.T) {
	code := bytes.Repeat([]byte{0x90}, 424)
	for _, tc := range []struct {
		name string
		spec tarball.Spec
		want []byte
		err  string
	}{
		{"present", tarball.Spec{GPTMBR: code}, code, ""},
		{"absent", tarball.Spec{}, nil, ""},
		{"too long", tarball.Spec{GPTMBR: make([]byte, 441)}, nil, "mbr/gptmbr.bin: 441 bytes, more than the 440 allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := syslinux.ReadTarball(bytes.NewReader(build(t, tc.spec)), "t.tar.gz")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !bytes.Equal(tb.GPTMBR, tc.want) || (tc.want == nil) != (tb.GPTMBR == nil) {
				t.Fatalf("GPTMBR %d bytes (nil %v), err %v", len(tb.GPTMBR), tb.GPTMBR == nil, err)
			}
			p := filepath.Join(t.TempDir(), "syslinux.tar.gz")
			if err := os.WriteFile(p, build(t, tc.spec), 0o644); err != nil {
				t.Fatal(err)
			}
			cache := cachestore.Open(t.TempDir(), filepath.Join(t.TempDir(), "key"))
			for i := range 2 { // the second read comes from the cache
				tb, hit, err := syslinux.OpenTarballCached(p, cache)
				if err != nil || hit != (i == 1) || !bytes.Equal(tb.GPTMBR, tc.want) || (tc.want == nil) != (tb.GPTMBR == nil) {
					t.Fatalf("read %d: hit %v, GPTMBR %d bytes (nil %v), err %v", i, hit, len(tb.GPTMBR), tb.GPTMBR == nil, err)
				}
			}
		})
	}
}
