package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
	"github.com/esxi-autopart/esxi-autopart/builder/fat"
	"github.com/esxi-autopart/esxi-autopart/builder/zerorun"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// fickle serves its bytes to the first reader and other bytes afterwards:
// a source that changes between the write and the read-back pass.
type fickle struct {
	b     []byte
	reads atomic.Int32
}

func (f *fickle) ReadAt(p []byte, off int64) (int, error) {
	first := f.reads.Add(1) == 1
	if off >= int64(len(f.b)) {
		return 0, io.EOF
	}
	n := copy(p, f.b[off:])
	if !first {
		p[0] ^= 0xFF
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestReadBackModes: the pipelined and the serial read-back passes give the
// same hash, find the same damage, and a source that changes under the
// writer fails the build and leaves nothing behind.
func TestReadBackModes(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	p := plan(t, fx, hostOpts)
	dir := t.TempDir()
	res, err := p.WriteFile(context.Background(), filepath.Join(dir, "a.img"), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, serial := range []bool{false, true} {
		f, err := os.OpenFile(res.Path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sum, err := p.verify(context.Background(), f, WriteOptions{Serial: serial}); err != nil || sum != res.SHA256 {
			t.Errorf("serial=%v: verify = %s, %v; WriteFile said %s", serial, sum, err, res.SHA256)
		}
		g := p.FAT.Geometry
		for _, pf := range p.FAT.Files {
			if pf.Path == "VMKERNEL.GZ" {
				off := p.fsBase() + int64(g.ClusterSector(pf.FirstCluster))*512 + 7
				b := []byte{0}
				f.ReadAt(b, off)
				f.WriteAt([]byte{b[0] ^ 1}, off)
				_, err := p.verify(context.Background(), f, WriteOptions{Serial: serial})
				f.WriteAt(b, off)
				if err == nil || !strings.Contains(err.Error(), "VMKERNEL.GZ: byte 7 read back") {
					t.Errorf("serial=%v: damaged VMKERNEL.GZ: %v", serial, err)
				}
			}
		}
		f.Close()
	}

	// A source that changes after the writer read it: the read-back pass
	// finds it (and stops the write if it is still going).
	for _, serial := range []bool{false, true} {
		q := *p
		q.content = map[string]io.ReaderAt{}
		for k, v := range p.content {
			q.content[k] = v
		}
		var big string
		for _, f := range q.FAT.Files {
			if f.Size > 0 && (big == "" || f.Size > sizeOf(q.FAT.Files, big)) {
				big = f.Path
			}
		}
		b := make([]byte, sizeOf(q.FAT.Files, big))
		if _, err := q.content[big].ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		q.content[big] = &fickle{b: b}
		out := filepath.Join(dir, "fickle.img")
		_, err := q.WriteFile(context.Background(), out, WriteOptions{Serial: serial})
		if err == nil || !strings.Contains(err.Error(), "verifying "+out+": "+big+": byte 0 read back") {
			t.Errorf("serial=%v: changed source: %v", serial, err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".fickle*")); len(left) > 0 || fileExists(out) {
			t.Errorf("serial=%v: left behind %v", serial, left)
		}
	}
}

func sizeOf(files []fat.PlannedFile, path string) int64 {
	for _, f := range files {
		if f.Path == path {
			return f.Size
		}
	}
	return 0
}

// TestReadBackHoles: the ranges the plan leaves zero are checked as holes
// where the file system has them and read where it has data; either way a
// non-zero byte there fails the pass, and the hash is the SHA-256 of every
// byte of the image, as sha256sum sees it.
func TestReadBackHoles(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	o := hostOpts
	o.Size = 64 << 20 // most of the partition is never written
	p := plan(t, fx, o)
	res, err := p.WriteFile(context.Background(), filepath.Join(t.TempDir(), "a.img"), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex(whole); got != res.SHA256 {
		t.Fatalf("WriteFile's SHA-256 %s, the file's %s", res.SHA256, got)
	}
	mapped := p.Mapped()
	last := mapped[len(mapped)-1]
	for _, c := range []struct {
		name string
		off  int64
	}{
		{"between the MBR and the partition", 4096},
		{"after the last file", last.Off + last.Len + 1<<20},
		{"the last byte", p.ImageBytes - 1},
	} {
		for _, serial := range []bool{false, true} {
			f, err := os.OpenFile(res.Path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte{0x5A}, c.off)
			damaged, _ := os.ReadFile(res.Path)
			for _, r := range []struct {
				kind string
				r    io.ReaderAt
			}{{"file", f}, {"memory", bytes.NewReader(damaged)}} {
				want := fmt.Sprintf("image byte %d is 0x5A; the plan leaves it zero", c.off)
				if _, err := p.verify(context.Background(), r.r, WriteOptions{Serial: serial}); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s, serial=%v, %s: %v; want %q", c.name, serial, r.kind, err, want)
				}
			}
			f.WriteAt([]byte{0}, c.off)
			if sum, err := p.verify(context.Background(), f, WriteOptions{Serial: serial}); err != nil || sum != res.SHA256 {
				t.Errorf("%s, serial=%v, repaired: %s, %v", c.name, serial, sum, err)
			}
			f.Close()
		}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestZeroRunsRemembered: with a memo, a rebuild of the same image
// restores the hash over its long zero runs instead of hashing them, and
// its SHA-256 is still that of every byte; another host's image (another
// state before the run) is hashed in full, and right too.
func TestZeroRunsRemembered(t *testing.T) {
	old := zerorun.MinRun
	zerorun.MinRun = 1 << 20
	defer func() { zerorun.MinRun = old }()
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	dir, memoDir := t.TempDir(), t.TempDir()
	build := func(host string, memo *zerorun.Memo) string {
		o := hostOpts
		o.Host, o.KS, o.Size = host, "http://deploy/ks/"+host+".cfg", 96<<20
		p := plan(t, fx, o)
		res, err := p.WriteFile(context.Background(), filepath.Join(dir, host+".img"), WriteOptions{Force: true, ZeroRuns: memo})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(res.Path)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256Hex(b); sum != res.SHA256 {
			t.Fatalf("%s: build says %s, the file hashes to %s", host, res.SHA256, sum)
		}
		return res.SHA256
	}
	for _, c := range []struct {
		host string
		hits bool
	}{{"esx01", false}, {"esx01", true}, {"esx02", false}, {"esx02", true}} {
		m := zerorun.New(cachestore.Open(memoDir, memoDir+".key"))
		build(c.host, m)
		if got := m.Hits() > 0; got != c.hits {
			t.Errorf("%s: %d runs restored, want some: %v", c.host, m.Hits(), c.hits)
		}
	}
	if a, b := build("esx01", zerorun.New(cachestore.Open(memoDir, memoDir+".key"))), build("esx01", nil); a != b {
		t.Errorf("with the memo %s, without %s", a, b)
	}
}
