package boottest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/diskwrite"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// writeStart is where the automation partition lies on the used disks of
// these tests: after a Linux partition at LBA 2048 that was the active one.
const writeStart = 4096

// usedServerDisk is a used disk (testutil.UsedDisk) with partition 1
// (Linux, active) at LBA 2048 and partition 2 of sectors sectors at
// writeStart; it returns the path.
func usedServerDisk(t *testing.T, sectors uint32) string {
	t.Helper()
	path, _ := testutil.UsedDisk{First: 2048, Start: writeStart, Sectors: sectors, Signature: 0x5EED5EED}.Write(t)
	return path
}

// writeDisk plans and writes the image img onto the disk (file or
// device) target with o, the way `write` does, and fails on an error.
func writeDisk(t *testing.T, img, target string, o diskwrite.Options) (*diskwrite.Plan, *diskwrite.Result) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	im, err := diskwrite.ReadImage(f, fi.Size(), img)
	if err != nil {
		t.Fatal(err)
	}
	d, err := disk.OpenTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tg, err := diskwrite.Describe(d)
	if err != nil {
		t.Fatal(err)
	}
	p, err := diskwrite.NewPlan(im, f, tg, o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := diskwrite.Write(context.Background(), p, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, res
}

// writeInto writes the image img into the disk (file) target's partition
// that starts where the image's does, and fails unless inspect of the
// disk says bootable.
func writeInto(t *testing.T, img, target string) {
	t.Helper()
	p, res := writeDisk(t, img, target, diskwrite.Options{})
	if !res.Bootable || p.Partition != 2 {
		t.Fatalf("written into partition %d; inspect: bootable %v, faults %q", p.Partition, res.Bootable, res.Inspect.Faults)
	}
}

// TestWrittenDiskBoots: an image written into partition 2 of a used disk
// (partition 1 was the active one) boots in QEMU:
//   - a 7.0 image by BIOS through Debian's mbr.bin into partition 2 (our
//     stand-in loader prints the partition's LBA, 4096, that it was handed),
//     and by UEFI, where the stand-in BOOTX64.EFI prints BOOT.CFG with the
//     host's ks= and reads every module;
//   - a 4.1 image with Debian's real SYSLINUX 6.04 installed into
//     partition 2 of the written disk: mbr.bin, SYSLINUX, mboot.c32, and the
//     test kernel prints its command line with the host's ks=.
func TestWrittenDiskBoots(t *testing.T) {
	t.Run("7.0 BIOS and UEFI", func(t *testing.T) {
		t.Parallel()
		efi, files := e5EFIStandin(t, "7.0")
		o := e5Options()
		o.PartitionStart = writeStart
		b := e5Build(t, isogen.Spec{Version: "7.0", Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi}}, o)
		dsk := usedServerDisk(t, b.plan.Partition.Sectors)
		writeInto(t, b.path, dsk)
		bios, err := e5BootBIOS(t, dsk, e5Lines(e5StandinLines(writeStart)...))
		if err != nil {
			t.Fatalf("BIOS boot of the written disk: %v", err)
		}
		uefi, err := e5BootUEFI(t, dsk, e5BootTimeout, e5Lines(e5UEFILines(t, b, files)...))
		if err != nil {
			t.Fatalf("UEFI boot of the written disk: %v", err)
		}
		t.Logf("BIOS %.1fs (%s), UEFI %.1fs (%s)", bios.Duration.Seconds(), bios.Accel, uefi.Duration.Seconds(), uefi.Accel)
	})
	t.Run("7.0 CLI on a loop device", func(t *testing.T) {
		t.Parallel()
		bin := cliBinary(t)
		o := e5Options()
		o.PartitionStart = writeStart
		b := e5Build(t, isogen.Spec{Version: "7.0"}, o)
		dev := testutil.LoopDevice(t, usedServerDisk(t, b.plan.Partition.Sectors+1000), true)
		img := filepath.Join(t.TempDir(), "esx01.img")
		if out, stderr, code := runCLI(t, bin, "build", "--iso", b.iso, "--syslinux", b.tar, "--host", "esx01", "--ks", e5KS, "--like-disk", dev, "-o", img); code != 0 {
			t.Fatalf("build --like-disk %s: exit %d\n%s%s", dev, code, out, stderr)
		}
		if out, stderr, code := runCLI(t, bin, "write", img, dev, "--yes"); code != 0 || !strings.Contains(out, "BOOTABLE") {
			t.Fatalf("write %s: exit %d\n%s%s", dev, code, out, stderr)
		}
		args := []string{"boot", dev, "--firmware", "bios", "--timeout", "3m"}
		for _, l := range e5StandinLines(writeStart) {
			args = append(args, "--expect", regexp.QuoteMeta(l))
		}
		out, stderr, code := runCLI(t, bin, args...)
		if code != 0 {
			t.Fatalf("boot %s: exit %d\n%s%s", dev, code, out, stderr)
		}
		t.Log(strings.TrimSpace(out))
	})
	t.Run("4.1 SYSLINUX 6.04", func(t *testing.T) {
		t.Parallel()
		o := baseOptions()
		o.Timeout, o.PartitionStart = 1, writeStart
		b := kernelImage(t, "4.1", o)
		dsk := usedServerDisk(t, b.plan.Partition.Sectors)
		writeInto(t, b.path, dsk)
		installSyslinux604(t, b, dsk) // into the disk's partition 2, at the image's offset
		r, err := boot(t, dsk, bootTimeout, append(res(`SYSLINUX 6\.04 `), lines(kernelLines(t, b)...)...))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("booted in %.1fs (%s) from partition 2 at LBA %s", r.Duration.Seconds(), r.Accel, strconv.Itoa(writeStart))
	})
}
