package boottest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/diskwrite"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestGPTWriteIntoPartition: a GPT disk laid out by sgdisk (partitions 1
// and 3 Linux, 2 the EFI system partition, every byte 0x5A); an image
// built like it (diskwrite.LikeDisk) is written into partition 2 by
// diskwrite, and SeaBIOS boots it through the stand-in gptmbr.bin, which
// finds partition 2 by the GUID the write put at 0x1A8: the stand-in
// LDLINUX.SYS reports partition 2's start.
func TestGPTWriteIntoPartition(t *testing.T) {
	t.Parallel()
	testutil.Need(t, "sgdisk")
	const n = 131072
	path := filepath.Join(t.TempDir(), "gptdisk")
	if err := os.WriteFile(path, bytes.Repeat([]byte{0x5A}, (2048+8192+n+8192+2048)*512), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, nil, "sgdisk", "-o", "-n", "1:2048:+8192", "-t", "1:8300", "-n", "2:0:+131072", "-t", "2:ef00", "-n", "3:0:+8192", "-t", "3:8300", path)
	q, err := diskwrite.LikeDisk(path, 0)
	if err != nil || q.Number != 2 {
		t.Fatalf("LikeDisk: %+v %v", q, err)
	}
	b, _ := gptBuild(t, func(o *builder.Options) {
		o.PartitionStart, o.Size, o.ExactSize = q.Start, int64(q.Sectors)*512, true
	})
	f, err := os.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	im, err := diskwrite.ReadImage(f, fi.Size(), b.path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := disk.OpenTarget(path)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := diskwrite.Describe(d)
	if err != nil {
		t.Fatal(err)
	}
	p, err := diskwrite.NewPlan(im, f, tg, diskwrite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := diskwrite.Write(context.Background(), p, d, nil)
	d.Close()
	if err != nil || !res.Bootable {
		t.Fatalf("write: %v (bootable %v)", err, res != nil && res.Bootable)
	}
	if out := testutil.Run(t, nil, "sgdisk", "-v", path); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	bios := append([]string{"GPTMBR: ok"}, e5StandinLines(q.Start)...)
	r, err := e5BootBIOS(t, path, e5Lines(bios...))
	if err != nil {
		t.Fatalf("BIOS boot of partition 2 through the stand-in gptmbr.bin: %v", err)
	}
	t.Logf("BIOS boot of GPT partition 2 at LBA %d: %.1fs (%s)", q.Start, r.Duration.Seconds(), r.Accel)
}
