package builder_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestMappedCoversData: every non-zero byte of a built image lies inside
// Plan.Mapped (what a bmap maps), for FAT16 and FAT32, whole images and
// bare partitions.
func TestMappedCoversData(t *testing.T) {
	dir := t.TempDir()
	in := open70(t, dir)
	for _, tc := range []struct {
		name string
		o    builder.Options
	}{
		{"FAT32", builder.Options{KS: "http://d/ks"}},
		{"FAT16", builder.Options{KS: "http://d/ks", FATType: 16}},
		{"partition only", builder.Options{KS: "http://d/ks", PartitionOnly: true}},
	} {
		p, err := in.Plan(tc.o)
		if err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(dir, tc.name+".img")
		if _, err := p.WriteFile(context.Background(), img, builder.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(img)
		m := p.Mapped()
		var mapped int64
		for i, e := range m {
			mapped += e.Len
			if i > 0 && e.Off < m[i-1].Off+m[i-1].Len {
				t.Errorf("%s: extents %d and %d overlap or are out of order", tc.name, i-1, i)
			}
		}
		at := 0
		for off, c := range b {
			if c == 0 {
				continue
			}
			for at < len(m) && int64(off) >= m[at].Off+m[at].Len {
				at++
			}
			if at == len(m) || int64(off) < m[at].Off {
				t.Fatalf("%s: byte %d is %#x but not mapped", tc.name, off, c)
			}
		}
		if mapped*2 > int64(len(b)) {
			t.Errorf("%s: %d of %d bytes mapped", tc.name, mapped, len(b))
		}
	}
}

// open70 opens a 7.0-shaped fixture ISO and a 3.86 tarball written to dir,
// closed when the test ends.
func open70(t *testing.T, dir string) *builder.Inputs {
	t.Helper()
	iso, tar := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "s.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0"}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{Version: "3.86", Date: "2010-04-16"}); err != nil {
		t.Fatal(err)
	}
	in, err := builder.Open(iso, tar)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}
