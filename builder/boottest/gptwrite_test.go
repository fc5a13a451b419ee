package boottest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
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
	path := testutil.GPTDisk(t, 131072)
	q, err := diskwrite.LikeDisk(path, 0)
	if err != nil || q.Number != 2 {
		t.Fatalf("LikeDisk: %+v %v", q, err)
	}
	b, _ := gptBuild(t, func(o *builder.Options) {
		o.PartitionStart, o.Size, o.ExactSize = q.Start, int64(q.Sectors)*512, true
	})
	if _, res := writeDisk(t, b.path, path, diskwrite.Options{}); !res.Bootable {
		t.Fatalf("write: not bootable (faults %q)", res.Inspect.Faults)
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

// TestGPTWholeDisk: a --table gpt image written with --whole-disk onto a
// loop device over a file of 0x5A bytes 64 MiB larger than the image (its
// backup GPT moved to the disk's end): sgdisk -v is clean, inspect finds
// it bootable, and QEMU boots the device by BIOS through the stand-in
// gptmbr.bin (and, on a copy, syslinux 6.04's, which boots by the
// legacy-BIOS-bootable attribute) and by UEFI (OVMF runs the stand-in
// BOOTX64.EFI, which reads every module).
func TestGPTWholeDisk(t *testing.T) {
	t.Parallel()
	testutil.Need(t, "sgdisk")
	b, _ := gptBuild(t)
	path := filepath.Join(t.TempDir(), "disk")
	testutil.FillFile(t, path, b.plan.ImageBytes+64<<20, 0x5A)
	dev := testutil.LoopDevice(t, path, false)
	if _, res := writeDisk(t, b.path, dev, diskwrite.Options{WholeDisk: true}); !res.Bootable || len(res.Inspect.Faults) > 0 {
		t.Fatalf("write: bootable %v, faults %q", res.Bootable, res.Inspect.Faults)
	}
	if out := testutil.Run(t, nil, "sgdisk", "-v", dev); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v %s:\n%s", dev, out)
	}
	bios := append([]string{"GPTMBR: ok"}, e5StandinLines(b.plan.Partition.StartLBA)...)
	r, err := e5BootBIOS(t, dev, e5Lines(bios...))
	if err != nil {
		t.Fatalf("BIOS boot of %s through the stand-in gptmbr.bin: %v", dev, err)
	}
	t.Logf("BIOS boot of %s: %.1fs (%s): %s", dev, r.Duration.Seconds(), r.Accel, strings.Join(r.Matched, " | "))
	_, files := e5EFIStandin(t, "7.0")
	if r, err = e5BootUEFI(t, dev, e5BootTimeout, e5Lines(e5UEFILines(t, b, files)...)); err != nil {
		t.Fatalf("UEFI boot of %s: %v", dev, err)
	}
	t.Logf("UEFI boot of %s: %.1fs (%s): %s", dev, r.Duration.Seconds(), r.Accel, r.Matched[len(r.Matched)-1])
	testutil.Need(t, debianGPTMBR)
	code604, err := os.ReadFile(debianGPTMBR)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "gptmbr604.disk")
	copyFile(t, path, cp)
	patchImage(t, cp, 0, code604[:440])
	if _, err := e5BootBIOS(t, cp, e5Lines(e5StandinLines(b.plan.Partition.StartLBA)...)); err != nil {
		t.Fatalf("BIOS boot of the whole disk through syslinux 6.04's gptmbr.bin: %v", err)
	}
}
