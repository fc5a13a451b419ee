package inspect

import (
	"os"
	"testing"
)

// BenchmarkInspect inspects a 160 MiB FAT32 image holding a 96 MiB module:
// the cost is hashing every file, so the bytes/s is the figure to watch.
func BenchmarkInspect(b *testing.B) {
	files := esxi41Files(esxi41Cfg)
	big := make([]byte, 96<<20)
	for i := range big {
		big[i] = byte(i ^ i>>13)
	}
	files["SYS.VGZ"] = big
	img := buildImage(b, imgSpec{fat: 32, start: 2048, sectors: 160 << 11, files: files})
	f, err := os.Open(img.path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	b.SetBytes(int64(len(big)))
	for b.Loop() {
		r, err := Inspect(f, st.Size(), Options{})
		if err != nil || !r.Bootable {
			b.Fatalf("%v\n%s", err, r.Text())
		}
	}
}

// BenchmarkInspectTiny measures the fixed cost on a tiny in-memory image.
func BenchmarkInspectTiny(b *testing.B) {
	img := tinyImage(b, true)
	for b.Loop() {
		if _, err := Inspect(img, int64(len(img)), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
