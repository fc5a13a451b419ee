package compress_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// BenchmarkCompress compresses a 7.0-sized image (359 MB of modules, the
// partition's free space as holes) with each format: MB/s of raw image
// (b.SetBytes) and the ratio compressed/raw. The fixture's module bytes
// are pseudo-random, like a real ISO's already-compressed modules. xz
// (ulikunitz/xz, one core) runs at about 0.5 MB/s on such data, so it gets
// the image's first 64 MiB.
func BenchmarkCompress(b *testing.B) {
	dir := b.TempDir()
	iso, tar, img := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "s.tar.gz"), filepath.Join(dir, "esx.img")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0", RealSizes: true}); err != nil {
		b.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{Version: "3.86", Date: "2010-04-16"}); err != nil {
		b.Fatal(err)
	}
	in, err := builder.Open(iso, tar)
	if err != nil {
		b.Fatal(err)
	}
	p, err := in.Plan(builder.Options{KS: "http://d/ks"})
	if err != nil {
		b.Fatal(err)
	}
	res, err := p.WriteFile(context.Background(), img, builder.WriteOptions{})
	in.Close()
	if err != nil {
		b.Fatal(err)
	}
	head := filepath.Join(dir, "head.img")
	if err := copyHead(img, head, 64<<20); err != nil {
		b.Fatal(err)
	}
	for _, k := range []compress.Kind{compress.Zstd, compress.Gzip, compress.XZ} {
		b.Run(string(k), func(b *testing.B) {
			img, size := img, res.Bytes
			if k == compress.XZ {
				img, size = head, 64<<20
			}
			b.SetBytes(size)
			var w *compress.Written
			for b.Loop() {
				dst := filepath.Join(dir, "out"+k.Ext())
				if w, err = compress.CompressFile(context.Background(), k, img, dst, 0o644); err != nil {
					b.Fatal(err)
				}
				os.Remove(dst)
			}
			b.ReportMetric(float64(w.Bytes)/float64(size), "ratio")
		})
	}
}

func copyHead(src, dst string, n int64) error {
	b := make([]byte, n)
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.ReadAt(b, 0); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
