package isofs_test

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// BenchmarkOpen measures the walk of a 4.1-shaped Rock Ridge image.
func BenchmarkOpen(b *testing.B) {
	p := filepath.Join(b.TempDir(), "esxi.iso")
	if err := isogen.Write(p, isogen.Spec{RockRidge: true, Joliet: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		im, err := isofs.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		im.Close()
	}
}

// BenchmarkSection reads the real-size sys.vgz (72 MB) through Section.
func BenchmarkSection(b *testing.B) {
	p := filepath.Join(b.TempDir(), "real.iso")
	if err := isogen.Write(p, isogen.Spec{RealSizes: true, RockRidge: true, Omit: []string{"imagedd.bz2", "cimstg.tgz"}}); err != nil {
		b.Fatal(err)
	}
	im, err := isofs.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer im.Close()
	f, _ := im.Lookup("sys.vgz")
	b.SetBytes(f.Size)
	buf := make([]byte, 4<<20)
	for b.Loop() {
		sr, err := im.Section("sys.vgz")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{sr}, buf); err != nil {
			b.Fatal(err)
		}
	}
}
