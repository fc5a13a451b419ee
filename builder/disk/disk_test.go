package disk

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestWriteVerify: ranges written onto a disk file full of 0xA5 read back
// with their SHA-256; a byte changed behind the writer's back is found and
// the range named; an unaligned range or one past the end is refused.
func TestWriteVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "disk")
	testutil.FillFile(t, path, 24<<20, 0xA5)
	src := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	d, err := OpenWrite(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rs := []Range{
		{Off: 1 << 20, Len: 9 << 20, What: "first", From: bytes.NewReader(src), At: 0},
		{Off: 12 << 20, Len: 512, What: "second", From: bytes.NewReader(src), At: 4096},
	}
	var last int64
	err = d.Write(context.Background(), rs, func(n int64) { last = n })
	if err != nil || last != rs[0].Len+rs[1].Len {
		t.Fatalf("Write: %v (progress ended at %d)", err, last)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(context.Background(), rs, nil); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Equal(b[1<<20:10<<20], src[:9<<20]) || b[(1<<20)-1] != 0xA5 || b[10<<20] != 0xA5 {
		t.Fatal("the file does not hold the ranges, or bytes beside them changed")
	}
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	f.WriteAt([]byte{'X'}, 12<<20+100)
	f.Close()
	d.Sync()
	if err := d.Verify(context.Background(), rs, nil); err == nil || !strings.Contains(err.Error(), "second (bytes 12,582,912 to 12,583,424) has SHA-256") {
		t.Errorf("Verify after a byte changed: %v", err)
	}
	for _, r := range []Range{{Off: 100, Len: 512, What: "odd"}, {Off: 24 << 20, Len: 512, What: "past"}} {
		if err := d.Write(context.Background(), []Range{r}, nil); err == nil {
			t.Errorf("range %s accepted", r.What)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = d.Write(ctx, rs, nil)
	var we *WriteError
	if !errors.As(err, &we) || we.Written != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Write: %v", err)
	}
}

// TestOpen: a loop device's size comes from the device (stat says 0), its
// logical sector size from BLKSSZGET; a folder and a character device are
// refused.
func TestOpen(t *testing.T) {
	if _, err := OpenRead(t.TempDir()); err == nil || !strings.Contains(err.Error(), "a folder") {
		t.Errorf("folder: %v", err)
	}
	if _, err := OpenRead("/dev/null"); err == nil || !strings.Contains(err.Error(), "neither a regular file nor a block device") {
		t.Errorf("/dev/null: %v", err)
	}
	path := filepath.Join(t.TempDir(), "disk")
	testutil.FillFile(t, path, 8<<20, 0)
	dev := testutil.LoopDevice(t, path, false)
	d, err := OpenRead(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Device || d.Size != 8<<20 || d.SectorSize != 512 {
		t.Errorf("%s: device %v, size %d, sector size %d", dev, d.Device, d.Size, d.SectorSize)
	}
	if n, err := Size(d.File); err != nil || n != 8<<20 {
		t.Errorf("Size(%s) = %d, %v", dev, n, err)
	}
}
