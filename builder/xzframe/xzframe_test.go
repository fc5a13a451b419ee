package xzframe_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/xzframe"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestCheck: well-formed files (several blocks, several streams with
// padding between them) pass; every proper prefix of one is refused as
// cut short or corrupt, never accepted; so are a dictionary over the
// limit and bytes after the last stream.
func TestCheck(t *testing.T) {
	data := bytes.Repeat([]byte("esxi-autopart xzframe "), 20000)
	one := testutil.XZ(t, data, 64<<10)
	two := append(append(bytes.Clone(one), 0, 0, 0, 0), testutil.XZ(t, data[:999], 0)...)
	for _, tc := range []struct {
		name    string
		b       []byte
		maxDict uint64
		want    error
	}{
		{"several blocks", one, 64 << 20, nil},
		{"two streams and padding", two, 64 << 20, nil},
		{"dictionary over the limit", one, 4 << 10, xzframe.ErrDict},
		{"bytes after the last stream", append(bytes.Clone(two), "junk"...), 64 << 20, xzframe.ErrCorrupt},
		{"padding not a whole word", append(bytes.Clone(one), 0, 0), 64 << 20, xzframe.ErrCorrupt},
		{"not xz", []byte("hello, world"), 64 << 20, xzframe.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := xzframe.Check(bytes.NewReader(tc.b), tc.maxDict)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
		})
	}
	for n := range len(two) {
		if n == len(one) || n == len(one)+4 { // a whole first stream, with or without its padding
			continue
		}
		err := xzframe.Check(bytes.NewReader(two[:n]), 64<<20)
		if !errors.Is(err, xzframe.ErrTruncated) && !errors.Is(err, xzframe.ErrCorrupt) {
			t.Fatalf("the first %d of %d bytes: %v, want cut short or corrupt", n, len(two), err)
		}
	}
}

// FuzzCheck: the walk never panics, and whatever it accepts ends in a
// stream footer's magic or in stream padding after one.
func FuzzCheck(f *testing.F) {
	f.Add(testutil.XZ(f, []byte("hello hello hello"), 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		if xzframe.Check(bytes.NewReader(b), 4<<10) != nil {
			return
		}
		end := bytes.TrimRight(b, "\x00")
		if !bytes.HasSuffix(end, []byte("YZ")) {
			t.Fatalf("accepted %d bytes that end % X", len(b), b[max(0, len(b)-8):])
		}
	})
}
