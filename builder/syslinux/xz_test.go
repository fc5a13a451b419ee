package syslinux_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// withDict sets the LZMA2 dictionary code of every block header of a
// single-stream xz file and fixes the header CRCs. Block headers are found
// by the LZMA2 filter flags (21 01) right after a header's flag byte.
func withDict(t *testing.T, s []byte, code byte, fromBlock int) []byte {
	t.Helper()
	s = bytes.Clone(s)
	n := 0
	for i := 12; i+6 < len(s); i++ {
		size := (int(s[i]) + 1) * 4
		if size != 12 || s[i+1] != 0 || s[i+2] != 0x21 || s[i+3] != 0x01 || i+size > len(s) ||
			binary.LittleEndian.Uint32(s[i+size-4:]) != crc32.ChecksumIEEE(s[i:i+size-4]) {
			continue
		}
		n++
		if n >= fromBlock {
			s[i+4] = code
			binary.LittleEndian.PutUint32(s[i+size-4:], crc32.ChecksumIEEE(s[i:i+size-4]))
		}
		i += size - 1
	}
	if n < fromBlock {
		t.Fatalf("found %d block headers", n)
	}
	return s
}

// A dictionary too large for any block, not only the first, is refused
// before decoding allocates it.
func TestReadTarballXZEveryBlock(t *testing.T) {
	var raw bytes.Buffer
	if err := tarball.Write(&raw, tarball.Spec{Compression: "none"}); err != nil {
		t.Fatal(err)
	}
	one := testutil.XZ(t, raw.Bytes(), 0)
	multi := testutil.XZ(t, raw.Bytes(), 4096)
	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"one block", one, nil, ""},
		{"many blocks", multi, nil, ""},
		{"two streams with padding", append(append(bytes.Clone(one), 0, 0, 0, 0), testutil.XZ(t, []byte("tail"), 0)...), nil, ""},
		{"3 GiB dictionary in a second stream", append(bytes.Clone(one), withDict(t, testutil.XZ(t, []byte("x"), 0), 39, 1)...),
			syslinux.ErrTooLarge, "x.tar.xz: xz: stream 2 block 1: LZMA2 dictionary of 3,221,225,472 bytes"},
		{"4 GiB dictionary in block 3", withDict(t, multi, 40, 3), syslinux.ErrTooLarge, "x.tar.xz: xz: stream 1 block 3: LZMA2 dictionary of 4,294,967,295"},
		{"bad dictionary code", withDict(t, one, 41, 1), syslinux.ErrCorrupt, "bad LZMA2 dictionary size"},
		{"garbage after the stream", append(bytes.Clone(one), "junk"...), syslinux.ErrCorrupt, "no xz stream header at byte"},
		{"cut in a block", multi[:len(multi)/2], syslinux.ErrTruncated, "x.tar.xz: xz: stream 1"},
		{"cut in the footer", one[:len(one)-3], syslinux.ErrTruncated, "footer cut short"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := syslinux.ReadTarball(bytes.NewReader(tc.data), "x.tar.xz")
			runtime.ReadMemStats(&after)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v and %q", err, tc.want, tc.msg)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
				t.Errorf("allocated %d MiB", d>>20)
			}
		})
	}
}
