package compress_test

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/compress"
)

// TestRoundTrip: each format compresses to the same bytes twice, is
// recognised by its magic and by its name, and unpacks (sparse) to the
// input.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	raw := make([]byte, 3<<20)
	rand.New(rand.NewSource(1)).Read(raw[1<<20 : 2<<20]) // data between runs of zeros
	src := filepath.Join(dir, "x.img")
	if err := os.WriteFile(src, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range []compress.Kind{compress.Zstd, compress.XZ, compress.Gzip} {
		t.Run(string(k), func(t *testing.T) {
			dst := src + k.Ext()
			w, err := compress.CompressFile(context.Background(), k, src, dst, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			var read []int64
			again, err := compress.CompressFileProgress(context.Background(), k, src, dst+".2", 0o644, func(n int64) { read = append(read, n) })
			if err != nil || again.SHA256 != w.SHA256 {
				t.Errorf("compressed twice: %s vs %s (%v)", again.SHA256, w.SHA256, err)
			}
			if len(read) < 2 || read[len(read)-1] != int64(len(raw)) || !slices.IsSorted(read) {
				t.Errorf("progress: %v, want rising to %d", read, len(raw))
			}
			if w.Bytes >= int64(len(raw)) || compress.FromName(dst) != k {
				t.Errorf("%d bytes from %d, FromName %q", w.Bytes, len(raw), compress.FromName(dst))
			}
			if got, err := compress.Sniff(dst); err != nil || got != k {
				t.Errorf("Sniff = %q, %v", got, err)
			}
			back, err := compress.Decompress(context.Background(), k, dst, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(back)
			b, _ := os.ReadFile(back)
			if !bytes.Equal(b, raw) {
				t.Errorf("unpacked %d bytes differ from the %d raw", len(b), len(raw))
			}
		})
	}
	if k, _ := compress.Sniff(src); k != compress.None {
		t.Errorf("raw image sniffed as %q", k)
	}
	if _, err := compress.Decompress(context.Background(), compress.Gzip, src, dir); err == nil {
		t.Error("a raw image unpacked as gzip")
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]compress.Kind{"zstd": compress.Zstd, "ZST": compress.Zstd, "xz": compress.XZ, "gz": compress.Gzip, "": compress.None} {
		if got, err := compress.Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := compress.Parse("bzip2"); err == nil {
		t.Error("bzip2 accepted")
	}
}
