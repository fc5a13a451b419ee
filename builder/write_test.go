package builder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
	"github.com/esxi-autopart/esxi-autopart/builder/zerorun"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

func plan(t *testing.T, fx fixture, o Options) *Plan {
	t.Helper()
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	p, err := in.Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerifyCatchesCorruption(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	p := plan(t, fx, hostOpts)
	g := p.FAT.Geometry
	fileOff := func(name string, delta int64) int64 {
		for _, f := range p.FAT.Files {
			if f.Path == name {
				return int64(p.Partition.StartLBA)*512 + (int64(g.FirstDataSector)+int64(f.FirstCluster-2)*int64(g.SectorsPerCluster))*512 + delta
			}
		}
		t.Fatalf("%s not planned", name)
		return 0
	}
	tests := []struct {
		name    string
		off     int64
		wantErr string
	}{
		{"mbr", 0x1BE, "sector 0 (MBR) differs from the plan at byte 446"},
		{"boot sector", int64(p.Partition.StartLBA)*512 + 0x1F8, "boot sector differs"},
		{"ldlinux sector list", fileOff("LDLINUX.SYS", 0x30), "LDLINUX.SYS"},
		{"module byte", fileOff("SYS.VGZ", 100), "SYS.VGZ: byte 100 read back"},
		{"config", fileOff("SYSLINUX.CFG", 3), "SYSLINUX.CFG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "img"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := p.Write(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Verify(context.Background(), f); err != nil {
				t.Fatalf("clean image: %v", err)
			}
			b := []byte{0}
			f.ReadAt(b, tt.off)
			b[0] ^= 0x5A
			f.WriteAt(b, tt.off)
			_, err = p.Verify(context.Background(), f)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Verify = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestWriteFileOutputs(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	p := plan(t, fx, hostOpts)
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.img")
	os.WriteFile(existing, []byte("keep me"), 0o644)
	tests := []struct {
		name, path string
		force      bool
		wantErr    string
	}{
		{"folder", dir, true, "is a folder"},
		{"device", "/dev/null", true, "is under /dev"},
		{"exists", existing, false, "exists; use --force"},
		{"missing folder", filepath.Join(dir, "no/such/x.img"), false, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.WriteFile(context.Background(), tt.path, WriteOptions{Force: tt.force})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("WriteFile(%s) = %v, want %q", tt.path, err, tt.wantErr)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Error("existing output was changed without --force")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.WriteFile(ctx, filepath.Join(dir, "cancelled.img"), WriteOptions{}); err == nil {
		t.Error("a cancelled write succeeded")
	}
	if _, err := p.WriteFile(context.Background(), existing, WriteOptions{Force: true}); err != nil {
		t.Errorf("--force: %v", err)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "old.img" {
		t.Errorf("folder holds %v, want only old.img (no partial files)", names)
	}
}

// TestWriteTemp: a pending image is complete and verified but not in place
// until Publish; Discard leaves an old file as it was.
func TestWriteTemp(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	p := plan(t, fx, hostOpts)
	out := filepath.Join(t.TempDir(), "esx01.img")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	pd, err := p.WriteTemp(context.Background(), out, WriteOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Fatal("the old file was replaced before Publish")
	}
	if sum, err := p.Verify(context.Background(), pd.File()); err != nil || sum != pd.SHA256 {
		t.Fatalf("the pending image: %s, %v; want %s", sum, err, pd.SHA256)
	}
	pd.Discard()
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Fatal("Discard changed the old file")
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
	pd, err = p.WriteTemp(context.Background(), out, WriteOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := pd.Publish(); err != nil {
		t.Fatal(err)
	}
	pd.Discard()
	if st, err := os.Stat(out); err != nil || st.Size() != p.ImageBytes {
		t.Fatalf("after Publish: %v, %v", st, err)
	}
}

// TestWriteAnyWriterAt: Plan.Write needs no file: into zeroed memory it
// writes the bytes WriteFile writes.
func TestWriteAnyWriterAt(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	p := plan(t, fx, hostOpts)
	res, err := p.WriteFile(context.Background(), filepath.Join(t.TempDir(), "a.img"), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	mem := &memImage{b: make([]byte, p.ImageBytes)}
	if err := p.Write(context.Background(), mem); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem.b, want) {
		t.Fatal("Plan.Write into memory differs from WriteFile's image")
	}
}

type memImage struct{ b []byte }

func (m *memImage) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, io.ErrShortWrite
	}
	return copy(m.b[off:], p), nil
}

// TestImageMode: an image that carries a kickstart (rootpw) is 0600.
func TestImageMode(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	for _, c := range []struct {
		kickstart []byte
		want      os.FileMode
	}{{nil, 0o644}, {[]byte("rootpw secret\n"), 0o600}} {
		o := hostOpts
		o.Kickstart = c.kickstart
		p := plan(t, fx, o)
		res, err := p.WriteFile(context.Background(), filepath.Join(t.TempDir(), "a.img"), WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(res.Path); err != nil || st.Mode().Perm() != c.want {
			t.Errorf("kickstart %q: mode %v, want %v (%v)", c.kickstart, st.Mode().Perm(), c.want, err)
		}
	}
}

// TestWriteProgress: WriteOptions.Progress hears the bytes hashed rise to
// the image's size, serially or beside a hasher, with the zero-run memo
// or without, and the image is the same.
func TestWriteProgress(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	o := hostOpts
	o.Size = 200 << 20 // free space: long runs of zeros
	p := plan(t, fx, o)
	var want string
	memo := zerorun.New(cachestore.Open(t.TempDir(), filepath.Join(t.TempDir(), "key"))) // the second use restores the runs the first hashed
	for _, tc := range []struct {
		serial bool
		memo   *zerorun.Memo
	}{{false, nil}, {true, nil}, {false, memo}, {true, memo}} {
		var mu sync.Mutex
		var seen []int64
		res, err := p.WriteFile(context.Background(), filepath.Join(t.TempDir(), "a.img"), WriteOptions{Serial: tc.serial, ZeroRuns: tc.memo,
			Progress: func(n int64) { mu.Lock(); seen = append(seen, n); mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		if want == "" {
			want = res.SHA256
		}
		if res.SHA256 != want || len(seen) < 3 || seen[len(seen)-1] != p.ImageBytes || !slices.IsSorted(seen) {
			t.Errorf("serial %v, memo %v: %s; %d reports, last %d of %d, sorted %v", tc.serial, tc.memo != nil, res.SHA256,
				len(seen), seen[len(seen)-1], p.ImageBytes, slices.IsSorted(seen))
		}
	}
	if memo.Hits() == 0 {
		t.Error("the memo restored no run: its path went untested")
	}
}

// TestWriteStopsInZeros: an interrupt while a long run of zeros is hashed
// stops the build there, leaves no image, and records no run in the memo.
func TestWriteStopsInZeros(t *testing.T) {
	fx := newFixture(t, isogen.Spec{RockRidge: true}, tarball.Spec{})
	o := hostOpts
	o.Size = 1 << 30
	p := plan(t, fx, o)
	for _, serial := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		memo := zerorun.New(cachestore.Open(t.TempDir(), filepath.Join(t.TempDir(), "key")))
		out := filepath.Join(t.TempDir(), "a.img")
		_, err := p.WriteFile(ctx, out, WriteOptions{Serial: serial, ZeroRuns: memo, Progress: func(n int64) {
			if n > p.ImageBytes/4 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("serial %v: %v, want context.Canceled", serial, err)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("serial %v: an image was left", serial)
		}
		if _, err := p.WriteFile(context.Background(), out, WriteOptions{Serial: serial, ZeroRuns: memo}); err != nil || memo.Hits() != 0 {
			t.Errorf("serial %v: the build after: %v, %d runs from the memo (a stopped run was recorded)", serial, err, memo.Hits())
		}
		cancel()
	}
}
