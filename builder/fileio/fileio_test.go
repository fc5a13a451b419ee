package fileio

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// sparseFile writes a file of size bytes holding data at each offset.
func sparseFile(t *testing.T, size int64, data map[int64][]byte) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for off, b := range data {
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestDataSegment(t *testing.T) {
	const mib = 1 << 20
	f := sparseFile(t, 64*mib, map[int64][]byte{8 * mib: bytes.Repeat([]byte{1}, mib)})
	for _, c := range []struct {
		name      string
		off, size int64
		data      int64 // want: data at or before this, and covering [8 MiB, 9 MiB)
	}{
		{"from the start", 0, 64 * mib, 8 * mib},
		{"inside the data", 8*mib + 4096, 64 * mib, 8*mib + 4096},
		{"size cuts the search", 0, 4 * mib, 4 * mib},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, hole := DataSegment(f, c.off, c.size)
			if data > c.data || data < c.off || hole > c.size || hole < min(9*mib, c.size) {
				t.Fatalf("DataSegment(%d, %d) = [%d, %d)", c.off, c.size, data, hole)
			}
			if runtime.GOOS == "linux" && data != c.data {
				t.Logf("SEEK_DATA not honoured here: [%d, %d)", data, hole) // tmpfs/ext4/xfs/btrfs all honour it
			}
		})
	}
	if data, hole := DataSegment(f, 9*mib, 64*mib); runtime.GOOS == "linux" && (data != 64*mib || hole != 64*mib) {
		t.Logf("only holes after 9 MiB, got [%d, %d)", data, hole)
	}
}

func TestCloneKeepsBytes(t *testing.T) {
	const size = 32 << 20
	want := map[int64][]byte{0: []byte("head"), 5 << 20: bytes.Repeat([]byte{7}, 70000), size - 3: []byte("end")}
	src := sparseFile(t, size, want)
	dst := sparseFile(t, 0, nil)
	if _, err := Clone(context.Background(), dst, src, size); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(src.Name())
	b, _ := os.ReadFile(dst.Name())
	if !bytes.Equal(a, b) {
		t.Fatal("the clone differs from its source")
	}
}
