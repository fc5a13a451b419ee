package compress

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/xzframe"
)

// TestXZDictionary: an xz file whose block header asks for a 4 GiB
// dictionary (its CRC right, so the reader would believe it) is refused
// before the reader allocates it; the same file with its own header
// decompresses.
func TestXZDictionary(t *testing.T) {
	var buf bytes.Buffer
	data := bytes.Repeat([]byte("esxi-autopart "), 100000)
	if _, _, err := CompressTo(context.Background(), XZ, bytes.NewReader(data), &buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	if err := xzframe.Check(bytes.NewReader(good), maxXZDict); err != nil {
		t.Fatalf("a good xz file: %v", err)
	}
	bad := bytes.Clone(good)
	hs := (int(bad[12]) + 1) * 4 // the first block header, after the 12-byte stream header
	bh := bad[12 : 12+hs]
	i := bytes.Index(bh, []byte{0x21, 0x01}) // the LZMA2 filter: id, properties size, dictionary code
	if i < 0 {
		t.Fatal("no LZMA2 filter in the block header")
	}
	bh[i+2] = 40 // 4 GiB - 1
	binary.LittleEndian.PutUint32(bh[hs-4:], crc32.ChecksumIEEE(bh[:hs-4]))
	dir := t.TempDir()
	for name, b := range map[string][]byte{"good.img.xz": good, "bad.img.xz": bad, "cut.img.xz": good[:len(good)/2]} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		out, err := Decompress(context.Background(), XZ, p, dir)
		switch {
		case name == "good.img.xz" && err != nil:
			t.Errorf("%s: %v", name, err)
		case name == "bad.img.xz" && (err == nil || !strings.Contains(err.Error(), "dictionary of 4,294,967,295 bytes")):
			t.Errorf("%s: %v, want the dictionary refused", name, err)
		case name == "cut.img.xz" && err == nil:
			t.Errorf("%s: no error", name)
		}
		if out != "" {
			os.Remove(out)
		}
	}
}
