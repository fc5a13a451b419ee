package builder

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// host2 is a second host: another ks=, host name and kickstart.
func host2(o Options) Options {
	o.Host, o.KS = "esx02", "http://deploy/ks/esx02.cfg"
	if o.Kickstart != nil {
		o.Kickstart = []byte("network --hostname=esx02 --ip=10.0.0.2\n")
	}
	return o
}

// TestCloneMatchesFullWrite is the key property of cloning: an image made
// by cloning another host's image and rewriting what differs has exactly
// the bytes (and SHA-256) of the same host's image written in full. The
// images go to ESXI_AUTOPART_REFLINK_DIR when set (a folder on Btrfs or
// XFS with reflink=1: FICLONE clones), else to a temporary folder
// (copy_file_range clones unless it has reflinks).
func TestCloneMatchesFullWrite(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ks := func(o *Options) { o.Kickstart = []byte("network --hostname=esx01\n") }
	tests := []struct {
		name       string
		base, host func(*Options) // host applies on top of host2(base)
		serial     bool           // WriteOptions.Serial for the host's images
	}{
		{"fat16", nil, nil, false},
		{"fat16 serial", nil, nil, true},
		{"fat32", func(o *Options) { o.FATType = 32 }, nil, false},
		{"kickstart", ks, nil, true},
		{"partition only", func(o *Options) { o.PartitionOnly = true; o.PartitionStart = 63 }, nil, false},
		{"loader options differ", nil, func(o *Options) { o.NoStupid = true; o.RAID = true; o.NoSerial = true }, false},
		{"timestamps differ", nil, func(o *Options) { o.Epoch = o.Epoch.AddDate(1, 0, 0) }, false},
		{"same host", nil, func(o *Options) { *o = hostOpts }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bo := hostOpts
			if tt.base != nil {
				tt.base(&bo)
			}
			ho := host2(bo)
			if tt.host != nil {
				tt.host(&ho)
			}
			bp, hp := mustPlan(t, in, bo), mustPlan(t, in, ho)
			dir := outDir(t)
			baseImg, full, clone := filepath.Join(dir, "base.img"), filepath.Join(dir, "full.img"), filepath.Join(dir, "clone.img")
			if _, err := bp.WriteFile(context.Background(), baseImg, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			fr, err := hp.WriteFile(context.Background(), full, WriteOptions{Serial: tt.serial})
			if err != nil {
				t.Fatal(err)
			}
			if err := hp.CanClone(bp); err != nil {
				t.Fatal(err)
			}
			cr, err := hp.CloneFile(context.Background(), bp, baseImg, clone, WriteOptions{Serial: tt.serial})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(full)
			b, _ := os.ReadFile(clone)
			if i := firstDiff(a, b); len(a) != len(b) || i >= 0 {
				t.Fatalf("clone differs from the full write: %d vs %d bytes, first difference at byte %d", len(b), len(a), i)
			}
			if cr.SHA256 != fr.SHA256 || cr.Bytes != fr.Bytes {
				t.Errorf("clone result %+v, full write %+v", cr, fr)
			}
			if want := fileio.ReflinkSupported(dir); cr.Reflink != want {
				t.Errorf("cloned with a reflink: %v, the folder has reflinks: %v", cr.Reflink, want)
			}
			if tt.name != "same host" && bytes.Equal(a, mustRead(t, baseImg)) {
				t.Error("the host's image equals the base's: the test shows nothing")
			}
		})
	}
}

// TestCloneRefused: plans whose clusters or geometry differ are not cloned,
// and say why.
func TestCloneRefused(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	base := mustPlan(t, in, hostOpts)
	tests := []struct {
		name string
		opts func(*Options)
		want string
	}{
		{"size", func(o *Options) { o.Size = 64 << 20 }, "geometry differs"},
		{"fat type", func(o *Options) { o.FATType = 32 }, "geometry differs"},
		{"partition start", func(o *Options) { o.PartitionStart = 63 }, "partition at LBA 63"},
		{"kickstart added", func(o *Options) { o.Kickstart = []byte("x\n") }, "folders and"},
		{"config grows a cluster", func(o *Options) { o.KS = "http://deploy/" + strings.Repeat("k", 3000) }, "SYSLINUX.CFG: clusters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := hostOpts
			tt.opts(&o)
			p := mustPlan(t, in, o)
			err := p.CanClone(base)
			if !errors.Is(err, ErrNoClone) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CanClone = %v, want ErrNoClone saying %q", err, tt.want)
			}
			if _, err := p.CloneFile(context.Background(), base, "/nonexistent", filepath.Join(t.TempDir(), "x.img"), WriteOptions{}); !errors.Is(err, ErrNoClone) {
				t.Errorf("CloneFile = %v, want ErrNoClone", err)
			}
		})
	}
}

// TestCloneVerified: a clone is verified like a full write. A base image
// damaged after it was written (in a file the clone keeps, and in a
// sector the clone rewrites) gives a verification error in the first case,
// a correct image in the second; nothing is left behind on failure.
func TestCloneVerified(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	bp, hp := mustPlan(t, in, hostOpts), mustPlan(t, in, host2(hostOpts))
	dir := t.TempDir()
	baseImg := filepath.Join(dir, "base.img")
	if _, err := bp.WriteFile(context.Background(), baseImg, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	flip := func(off int64) {
		f, err := os.OpenFile(baseImg, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := []byte{0}
		f.ReadAt(b, off)
		b[0] ^= 0x5A
		f.WriteAt(b, off)
	}
	g := bp.FAT.Geometry
	fileOff := func(name string) int64 {
		for _, f := range bp.FAT.Files {
			if f.Path == name {
				return bp.fsBase() + int64(g.ClusterSector(f.FirstCluster))*512
			}
		}
		t.Fatalf("%s not planned", name)
		return 0
	}

	flip(bp.fsBase() + 0x1F0) // boot code: rewritten by the clone
	if _, err := hp.CloneFile(context.Background(), bp, baseImg, filepath.Join(dir, "ok.img"), WriteOptions{}); err != nil {
		t.Errorf("damage in a rewritten sector: %v", err)
	}
	flip(fileOff("SYS.VGZ") + 10) // kept from the base
	out := filepath.Join(dir, "bad.img")
	_, err = hp.CloneFile(context.Background(), bp, baseImg, out, WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "verifying "+out+": SYS.VGZ: byte 10 read back") {
		t.Errorf("damage in a kept file: err = %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".bad.img*")); len(left) > 0 || fileExists(out) {
		t.Errorf("left behind: %v", left)
	}
}

func mustPlan(t *testing.T, in *Inputs, o Options) *Plan {
	t.Helper()
	p, err := in.Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// outDir is a temporary folder in ESXI_AUTOPART_REFLINK_DIR when set.
func outDir(t *testing.T) string {
	t.Helper()
	parent := os.Getenv("ESXI_AUTOPART_REFLINK_DIR")
	if parent == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "clone-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if !fileio.ReflinkSupported(dir) {
		t.Fatalf("ESXI_AUTOPART_REFLINK_DIR=%s: no reflinks there", parent)
	}
	return dir
}
