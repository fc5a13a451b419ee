package isofs

import (
	"bytes"
	"testing"
)

// FuzzSplitSUSP: any System Use area and continuation bytes give entries
// or an error, within the bounds: no panic, names of at most 255 bytes,
// at most maxCETotal continuation bytes read.
func FuzzSplitSUSP(f *testing.F) {
	f.Add([]byte("NM\x09\x01\x00abcd"), []byte{})
	f.Add([]byte("CE\x1c\x01\x01\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x10"), []byte("NM\x06\x01\x00xST\x04\x01"))
	f.Fuzz(func(t *testing.T, su, cont []byte) {
		img := make([]byte, 2048+len(cont))
		copy(img[2048:], cont)
		w := &walker{ra: bytes.NewReader(img), size: int64(len(img))}
		for range 3 { // records sharing the area
			out, err := w.splitSUSP(su)
			if err != nil {
				return
			}
			if n := len(out.GetRockRidgeName()); n > maxNMBytes {
				t.Fatalf("a %d-byte name", n)
			}
			rockRidge(out)
		}
		if w.ceRead > maxCETotal {
			t.Fatalf("read %d continuation bytes", w.ceRead)
		}
	})
}
