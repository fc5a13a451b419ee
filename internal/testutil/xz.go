package testutil

import (
	"bytes"
	"testing"

	"github.com/ulikunitz/xz"
)

// XZ compresses data as one xz stream with blocks of at most blockSize
// bytes (0: one block).
func XZ(t testing.TB, data []byte, blockSize int64) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.WriterConfig{BlockSize: blockSize}.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
