package inspect

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

var _ ISOFiles = (*isofs.Image)(nil)

// fakeISO serves files from a map, case-insensitively, like isofs.Image.
type fakeISO map[string][]byte

func (m fakeISO) Section(path string) (*io.SectionReader, error) {
	for k, v := range m {
		if strings.EqualFold(k, strings.TrimPrefix(path, "/")) {
			return io.NewSectionReader(bytes.NewReader(v), 0, int64(len(v))), nil
		}
	}
	return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
}

func TestISOComparison(t *testing.T) {
	files := esxi41Files(esxi41Cfg)
	b := buildImage(t, imgSpec{fat: 16, start: 2048, sectors: 64 << 10, files: files})
	iso := fakeISO{"sys.vgz": files["SYS.VGZ"], "vmkernel.gz": files["VMKERNEL.GZ"][1:], "syslinux.cfg": []byte("other")}
	f, err := os.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r, err := Inspect(f, st.Size(), Options{ISO: iso})
	if err != nil {
		t.Fatal(err)
	}
	match := map[string]string{}
	for _, fr := range r.Files {
		switch {
		case fr.ISOMatch == nil:
			match[fr.Path] = "none"
		case *fr.ISOMatch:
			match[fr.Path] = "match"
		default:
			match[fr.Path] = "differs"
		}
	}
	want := map[string]string{"/SYS.VGZ": "match", "/VMKERNEL.GZ": "differs", "/SYSLINUX.CFG": "differs", "/MBOOT.C32": "none"}
	for p, w := range want {
		if match[p] != w {
			t.Errorf("%s: %s, want %s", p, match[p], w)
		}
	}
	if !has(r.Faults, "/VMKERNEL.GZ (") || has(r.Faults, "/SYSLINUX.CFG") || !has(r.Warnings, "/SYSLINUX.CFG (") {
		t.Errorf("a binary mismatch is a fault, a config mismatch a warning:\n%s", r.Text())
	}
}

func TestBootCodeKind(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"mbr.bin", "syslinux mbr.bin"},
		{"altmbr.bin", "syslinux altmbr.bin"},
		{"gptmbr.bin", "syslinux 4.x+ gptmbr.bin"}, // Debian's is 6.04's; 3.86's is TestGPT's
	} {
		p := "/usr/lib/syslinux/mbr/" + tc.file
		testutil.Need(t, p)
		code, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := bootCodeKind(code[:min(len(code), 440)]); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.file, got, tc.want)
		}
	}
	for _, tc := range []struct {
		code []byte
		want string
	}{
		{make([]byte, 440), "empty"},
		{standInMBR, "syslinux mbr.bin"},
		{[]byte("\x33\xC0Invalid partition table\x00Error loading operating system\x00Missing operating system"), "MS-DOS/Windows"},
		{[]byte("\xEB\x63GRUB \x00Geom\x00Hard Disk\x00Read\x00 Error"), "GRUB"},
		{[]byte{0xFA, 0x31, 0xC0}, "unknown"},
	} {
		if got := bootCodeKind(tc.code); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestParseSyslinuxCfg(t *testing.T) {
	c := parseSyslinuxCfg([]byte("# comment\r\nSERIAL 0 115200\r\nDEFAULT esx\r\napend x\r\n  LABEL esx\r\n\tKERNEL mboot.c32\r\n APPEND a.gz ks=http://h/ks.cfg --- b.gz\r\nMENU DEFAULT\r\ntext help\r\nlabel hidden\r\nendtext\r\nlabel 0\r\nLOCALBOOT 0x80\r\n"))
	if c.def != "esx" || c.serial != "0 115200" || c.serialLine != 2 || len(c.labels) != 2 {
		t.Fatalf("%+v", c)
	}
	l := c.labels[0]
	if l.name != "esx" || l.kernel != "mboot.c32" || l.append != "a.gz ks=http://h/ks.cfg --- b.gz" || !l.menuDefault {
		t.Errorf("label %+v", l)
	}
	if c.labels[1].localboot != "0x80" {
		t.Errorf("label 0 %+v", c.labels[1])
	}
	if len(c.unknown) != 1 || !strings.Contains(c.unknown[0], `"apend"`) {
		t.Errorf("unknown %q", c.unknown)
	}
	names, args := splitModules("vmkboot.gz ks=usb  ---  vmkernel.gz --- sys.vgz x y")
	if fmt.Sprint(names) != "[vmkboot.gz vmkernel.gz sys.vgz]" || fmt.Sprintf("%q", args) != `["ks=usb" "" "x y"]` {
		t.Errorf("splitModules: %q %q", names, args)
	}
}
