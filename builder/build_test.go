package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/fat"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// needTool returns the path of an external oracle (testutil.NeedTool:
// skipped when missing, failed under CI).
func needTool(t testing.TB, name string) string {
	t.Helper()
	return testutil.NeedTool(t, name)
}

type fixture struct {
	iso, tarball string
	files        []isogen.File
}

func newFixture(t testing.TB, is isogen.Spec, ts tarball.Spec) fixture {
	t.Helper()
	dir := t.TempDir()
	fx := fixture{iso: filepath.Join(dir, "esxi.iso"), tarball: filepath.Join(dir, "syslinux-3.70.tar.gz")}
	if err := isogen.Write(fx.iso, is); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(fx.tarball, ts); err != nil {
		t.Fatal(err)
	}
	var err error
	if fx.files, err = isogen.Contents(is); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx fixture) build(t testing.TB, o Options) (*Plan, string) {
	t.Helper()
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p, err := in.Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "host.img")
	res, err := p.WriteFile(context.Background(), out, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != p.ImageBytes {
		t.Fatalf("result says %d bytes, plan %d", res.Bytes, p.ImageBytes)
	}
	return p, out
}

func (fx fixture) file(name string) []byte {
	for _, f := range fx.files {
		if strings.EqualFold(f.Path, name) {
			return f.Bytes()
		}
	}
	return nil
}

// mtools runs an mtools command on the partition of img.
func mtools(t *testing.T, p *Plan, img string, args ...string) string {
	t.Helper()
	spec := img
	if !p.PartitionOnly {
		spec = img + "@@" + strconv.FormatInt(int64(p.Partition.StartLBA)*512, 10)
	}
	cmd := exec.Command(args[0], append([]string{"-i", spec}, args[1:]...)...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var hostOpts = Options{Host: "esx01", KS: "http://deploy/ks/esx01.cfg",
	Epoch: time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)}

func TestBuildOracles(t *testing.T) {
	needTool(t, "fsck.fat")
	needTool(t, "mtype")
	tests := []struct {
		name string
		iso  isogen.Spec
		opts func(*Options)
	}{
		{"4.1 rock ridge fat16", isogen.Spec{RockRidge: true}, nil},
		{"4.1 plain iso9660", isogen.Spec{}, nil},
		{"4.0", isogen.Spec{Version: "4.0", RockRidge: true}, nil},
		{"fat32 raid", isogen.Spec{RockRidge: true}, func(o *Options) { o.FATType = 32; o.RAID = true }},
		{"partition only at 63", isogen.Spec{RockRidge: true}, func(o *Options) { o.PartitionOnly = true; o.PartitionStart = 63 }},
		{"64 MiB", isogen.Spec{RockRidge: true}, func(o *Options) { o.Size = 64 << 20 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, tt.iso, tarball.Spec{})
			o := hostOpts
			if tt.opts != nil {
				tt.opts(&o)
			}
			p, img := fx.build(t, o)
			checkImage(t, fx, p, img)
		})
	}
}

func checkImage(t *testing.T, fx fixture, p *Plan, img string) {
	t.Helper()
	part := img
	if !p.PartitionOnly {
		// fsck.fat wants the filesystem alone: cut it out.
		b, err := os.ReadFile(img)
		if err != nil {
			t.Fatal(err)
		}
		part = filepath.Join(t.TempDir(), "part.img")
		if err := os.WriteFile(part, b[int64(p.Partition.StartLBA)*512:], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkDiskfs(t, fx, p, img)
	if out, err := exec.Command("fsck.fat", "-n", part).CombinedOutput(); err != nil || bytes.Contains(out, []byte("differ")) {
		t.Errorf("fsck.fat -n: %v\n%s", err, out)
	}
	dir := mtools(t, p, img, "mdir", "-a", "::")
	for _, f := range p.Files {
		if !strings.Contains(dir, strings.SplitN(f.Dst, ".", 2)[0]) {
			t.Errorf("mdir does not list %s:\n%s", f.Dst, dir)
		}
		got := mtools(t, p, img, "mtype", "::"+f.Dst)
		var want []byte
		switch {
		case f.Dst == ConfigName:
			want = []byte(p.Config)
		case f.Dst == LoaderName:
			continue // patched; checked through the sector list below
		default:
			want = fx.file(f.Src)
		}
		if sha256.Sum256([]byte(got)) != sha256.Sum256(want) {
			t.Errorf("mtype %s: %d bytes differ from the ISO's %d", f.Dst, len(got), len(want))
		}
	}
	if attr := mtools(t, p, img, "mattrib", "::"+LoaderName); !strings.Contains(attr, "R") || !strings.Contains(attr, "S") || !strings.Contains(attr, "H") {
		t.Errorf("mattrib LDLINUX.SYS = %q, want R, S and H", attr)
	}
	if strings.Contains(p.Config, "\r") || !strings.Contains(p.Config, "ks="+p.KS+" ") {
		t.Errorf("syslinux.cfg = %q", p.Config)
	}
}

func TestReproducible(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	_, a := fx.build(t, hostOpts)
	_, b := fx.build(t, hostOpts)
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("two builds from the same inputs differ")
	}
	o := hostOpts
	o.KS = "http://deploy/ks/esx02.cfg"
	_, c := fx.build(t, o)
	cb, _ := os.ReadFile(c)
	if bytes.Equal(ab[0x1B8:0x1BC], cb[0x1B8:0x1BC]) {
		t.Error("two hosts got the same disk signature")
	}
}

// TestLocateFATError: a FAT error about one file names the ISO, the ISO
// file and the config line it came from.
func TestLocateFATError(t *testing.T) {
	in := &Inputs{ISOPath: "esxi.iso", Media: &layouts.Detected{Files: []layouts.Copy{
		{Src: "cim.", Dst: "CIM.", From: "boot.cfg line 7 (modules=)"},
		{Src: "EFI/BOOT/BOOTX64.EFI", Dst: "EFI/BOOT/BOOTX64.EFI"},
	}}}
	for _, c := range []struct{ path, want string }{
		{"CIM.", `esxi.iso: ISO file /cim., named in boot.cfg line 7 (modules=): fat: path "CIM.": bad`},
		{"EFI/BOOT/BOOTX64.EFI", `esxi.iso: ISO file /EFI/BOOT/BOOTX64.EFI: fat: path "EFI/BOOT/BOOTX64.EFI": bad`},
		{"SYSLINUX.CFG", `fat: path "SYSLINUX.CFG": bad`},
	} {
		err := in.locate(&fat.PathError{Path: c.path, Err: fmt.Errorf("fat: path %q: bad", c.path)})
		if err.Error() != c.want {
			t.Errorf("%s: %v, want %s", c.path, err, c.want)
		}
	}
}
