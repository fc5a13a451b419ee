package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/fixtures/diskgen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// seedDisk is a used disk file (0xA5 everywhere) laid out as a server's
// might be: partition 1 before the automation partition, 2 at LBA 4096
// with a size that is no whole number of 63-sector tracks, 3 after it.
func seedDisk(t *testing.T, dir string) (string, diskgen.Spec) {
	t.Helper()
	s := diskgen.Spec{Fill: 0xA5, BootCode: []byte("GRUB was here"), Signature: 0xCAFEF00D, Size: (4096 + 200_000 + 8192) * 512,
		Partitions: []diskgen.Partition{
			{Start: 2048, Sectors: 2048, Type: 0x83, Active: true, Random: true},
			{Start: 4096, Sectors: 200_000, Type: mbr.TypeFAT32},
			{Start: 204_096, Sectors: 8192, Type: 0x83, Random: true},
		}}
	path := filepath.Join(dir, "sda")
	if err := diskgen.Write(path, s); err != nil {
		t.Fatal(err)
	}
	return path, s
}

// TestWriteCommand: the seed's case from the command line. build
// --like-disk reads the disk (or a dump of its sector 0) and builds for
// partition 2; write --dry-run prints the plan and writes nothing; write
// without --yes off a terminal refuses; write --yes puts the image into
// partition 2, keeps partitions 1 and 3, reads back and inspects; the
// disk then inspects as bootable. A compressed image writes the same way.
func TestWriteCommand(t *testing.T) {
	dir := t.TempDir()
	iso, tar := inputs7(t)
	sda, s := seedDisk(t, dir)
	p1, _ := diskgen.Hash(sda, 2048*512, 2048*512)
	p3, _ := diskgen.Hash(sda, 204_096*512, 8192*512)
	img := filepath.Join(dir, "esx01.img")
	build := []string{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx01.cfg"}
	if _, stderr, err := runCLI(append(build, "--like-disk", sda, "-o", img)...); err != nil {
		t.Fatalf("build --like-disk: %v\n%s", err, stderr)
	}
	// A dump of sector 0 gives the same image.
	dump := filepath.Join(dir, "sda.mbr")
	b, _ := os.ReadFile(sda)
	if err := os.WriteFile(dump, b[:512], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runCLI(append(build, "--like-disk", dump, "--partition", "2", "-o", img+".2")...); err != nil {
		t.Fatalf("build --like-disk DUMP: %v\n%s", err, stderr)
	}
	h1, _ := diskgen.Hash(img, 0, 1<<40)
	h2, _ := diskgen.Hash(img+".2", 0, 1<<40)
	if h1 != h2 {
		t.Error("--like-disk of the disk and of its sector 0 dump give different images")
	}
	before, _ := diskgen.Hash(sda, 0, s.Size)
	out, stderr, err := runCLI("write", img, sda, "--dry-run")
	if err != nil || !strings.Contains(out, "Mode:   into partition 2; the partition table is kept") ||
		!strings.Contains(out, "partition 2 becomes the only active partition (partition 1 was active and no longer is)") ||
		!strings.Contains(out, "partition 3 (LBA 204,096 + 8,192 sectors (4 MiB), type 0x83), byte for byte") {
		t.Fatalf("write --dry-run: %v\n%s%s", err, out, stderr)
	}
	if after, _ := diskgen.Hash(sda, 0, s.Size); after != before {
		t.Fatal("--dry-run changed the disk")
	}
	if _, _, err := runCLI("write", img, sda); err == nil || !strings.Contains(err.Error(), "add --yes") {
		t.Fatalf("write without --yes off a terminal: %v", err)
	}
	out, stderr, err = runCLI("write", img, sda, "--yes")
	if err != nil || !strings.Contains(out, "every range's SHA-256 matches") || !strings.Contains(out, "Inspect "+sda+": BOOTABLE (partition 2, LBA 4,096 + 200,000 sectors") {
		t.Fatalf("write --yes: %v\n%s%s", err, out, stderr)
	}
	if h, _ := diskgen.Hash(sda, 2048*512, 2048*512); h != p1 {
		t.Error("partition 1 changed")
	}
	if h, _ := diskgen.Hash(sda, 204_096*512, 8192*512); h != p3 {
		t.Error("partition 3 changed")
	}
	if out, stderr, err := runCLI("inspect", sda); err != nil {
		t.Errorf("inspect of the written disk: %v\n%s%s", err, out, stderr)
	}

	// Compressed, onto a second disk, with --json.
	zst := filepath.Join(dir, "esx01.img.zst")
	if _, stderr, err := runCLI(append(build, "--like-disk", sda, "-o", zst)...); err != nil {
		t.Fatalf("build .zst: %v\n%s", err, stderr)
	}
	sdb, _ := seedDisk(t, t.TempDir())
	out, _, err = runCLI("write", zst, sdb, "--yes", "--json")
	var doc struct {
		Type   string `json:"type"`
		Plan   struct{ Mode string }
		Result struct {
			Bootable bool  `json:"bootable"`
			Verified int64 `json:"verified_bytes"`
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil || doc.Type != "write" || doc.Plan.Mode != "partition" || !doc.Result.Bootable || doc.Result.Verified == 0 {
		t.Fatalf("write .zst --json: %v\n%s", err, out)
	}
}

// TestWriteLoopDevice: the same onto a loop device: inspect and write
// read the device's size from the device (BLKGETSIZE64), not stat's 0.
func TestWriteLoopDevice(t *testing.T) {
	dir := t.TempDir()
	iso, tar := inputs7(t)
	sda, _ := seedDisk(t, dir)
	dev := testutil.LoopDevice(t, sda, true)
	img := filepath.Join(dir, "esx01.img")
	if _, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx01.cfg", "--like-disk", dev, "-o", img); err != nil {
		t.Fatalf("build --like-disk %s: %v\n%s", dev, err, stderr)
	}
	out, stderr, err := runCLI("write", img, dev, "--yes")
	if err != nil || !strings.Contains(out, "Inspect "+dev+": BOOTABLE") || !strings.Contains(out, "block device") {
		t.Fatalf("write onto %s: %v\n%s%s", dev, err, out, stderr)
	}
	out, stderr, err = runCLI("inspect", dev)
	if err != nil || !strings.Contains(out, "Image: 108,691,456 bytes (212,288 sectors): bootable") {
		t.Errorf("inspect %s: %v\n%s%s", dev, err, out, stderr)
	}
}

// TestLikeDiskBatch: build --hosts --like-disk builds every host's image
// for the disk's partition; write --dry-run accepts each.
func TestLikeDiskBatch(t *testing.T) {
	dir := t.TempDir()
	iso, tar := inputs7(t)
	sda, _ := seedDisk(t, dir)
	hosts, out := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "out")
	if err := os.WriteFile(hosts, []byte("id\nesx01\nesx02\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}", "--out-dir", out, "--like-disk", sda, "--quiet"); err != nil {
		t.Fatalf("build --hosts --like-disk: %v\n%s", err, stderr)
	}
	for _, id := range []string{"esx01", "esx02"} {
		o, stderr, err := runCLI("write", filepath.Join(out, id+".img"), sda, "--dry-run")
		if err != nil || !strings.Contains(o, "Mode:   into partition 2") {
			t.Errorf("write %s.img --dry-run: %v\n%s%s", id, err, o, stderr)
		}
	}
}
