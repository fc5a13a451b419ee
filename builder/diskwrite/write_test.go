package diskwrite_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/diskwrite"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/fixtures/diskgen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// image builds a 7.0-shaped image with o and returns its path and plan.
func image(t *testing.T, o builder.Options) (string, *builder.Plan) {
	t.Helper()
	dir := t.TempDir()
	iso, tar := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "s.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0"}); err != nil {
		t.Fatal(err)
	}
	ts := tarball.Spec{Version: "3.86", Date: "2010-04-16"}
	if o.Table == builder.TableGPT { // a stand-in of 3.86's gptmbr.bin: its messages, 424 bytes
		ts.GPTMBR = append([]byte("\xFA\x31\xC0Boot partition not found\r\nDisk error on boot\r\n"), make([]byte, 424)...)[:424]
	}
	if err := tarball.WriteFile(tar, ts); err != nil {
		t.Fatal(err)
	}
	in, err := builder.Open(iso, tar)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if o.KS == "" {
		o.KS = "http://deploy/ks/esx01.cfg"
	}
	p, err := in.Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "esx01.img")
	if _, err := p.WriteFile(context.Background(), img, builder.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return img, p
}

// usedDisk is a used disk (testutil.UsedDisk) whose partition 2 is where
// the plan puts the automation partition, partition 1 from LBA 63.
func usedDisk(t *testing.T, p *builder.Plan) (string, diskgen.Spec) {
	t.Helper()
	return testutil.UsedDisk{First: 63, Start: p.Partition.StartLBA, Sectors: p.Partition.Sectors, Signature: 0x1234ABCD, Slack: 100}.Write(t)
}

// hashes are the SHA-256 of the regions a write into partition 2 keeps:
// bytes 440-511 of sector 0 but the status bytes, partitions 1 and 3.
func hashes(t *testing.T, path string, s diskgen.Spec) [3][32]byte {
	t.Helper()
	var out [3][32]byte
	var err error
	b := make([]byte, 512)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		b[mbr.TableOffset+16*i] = 0 // the status bytes: the write moves the active flag
	}
	out[0] = sha256.Sum256(b[440:])
	regions := [][2]int64{
		{int64(s.Partitions[0].Start) * 512, int64(s.Partitions[0].Sectors) * 512},
		{int64(s.Partitions[2].Start) * 512, int64(s.Partitions[2].Sectors) * 512}}
	for i, r := range regions {
		if out[i+1], err = diskgen.Hash(path, r[0], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// writeImage plans and writes img onto target with o.
func writeImage(t *testing.T, img, target string, o diskwrite.Options) (*diskwrite.Plan, *diskwrite.Result, error) {
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
		return nil, nil, err
	}
	res, err := diskwrite.Write(context.Background(), p, d, nil)
	return p, res, err
}

// fsck runs fsck.fat -n on n bytes at off of path (copied out: fsck.fat
// takes no offset).
func fsck(t *testing.T, path string, off, n int64) {
	t.Helper()
	testutil.Need(t, "fsck.fat")
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	part := filepath.Join(t.TempDir(), "part")
	out, err := os.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, io.NewSectionReader(in, off, n)); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command("fsck.fat", "-n", part).CombinedOutput()
	if err != nil || strings.Contains(string(msg), "out of range") {
		t.Errorf("fsck.fat -n of the written partition: %v\n%s", err, msg)
	}
}

// TestWriteIntoPartition: into partition 2 of a used disk (every byte
// 0xA5, partitions 1 and 3 full of data), as a regular file and as a loop
// device: partitions 1 and 3 and the table hash the same before and after,
// the boot code is the image's, partition 2 is the only active one, its
// FAT is clean by fsck.fat, and inspect finds the disk bootable.
func TestWriteIntoPartition(t *testing.T) {
	for _, fat := range []int{32, 16} {
		img, p := image(t, builder.Options{Size: 64 << 20, FATType: fat})
		for _, onLoop := range []bool{false, true} {
			name := map[bool]string{false: "file", true: "loop device"}[onLoop]
			t.Run(name+" FAT"+string(rune('0'+fat/10))+string(rune('0'+fat%10)), func(t *testing.T) {
				path, s := usedDisk(t, p)
				before := hashes(t, path, s)
				target := path
				part := ""
				if onLoop {
					target = testutil.LoopDevice(t, path, true)
					part = target + "p2"
					// A reader that holds the partition node open across
					// the write (a monitoring agent, say) keeps its old
					// bytes in the node's page cache.
					if f, err := os.Open(part); err == nil {
						io.CopyN(io.Discard, f, 4<<20)
						defer f.Close()
					} else {
						part = "" // no partition nodes here
					}
				}
				wp, res, err := writeImage(t, img, target, diskwrite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: wrote %d bytes in %.3fs, read back in %.3fs; %s\nwrites:\n  %s\nkeeps:\n  %s", target, res.Written, res.WriteSeconds, res.VerifySeconds, res.Reread,
					strings.Join(wp.Writes, "\n  "), strings.Join(wp.Keeps, "\n  "))
				if !res.Bootable || len(res.Inspect.Faults) > 0 {
					t.Errorf("inspect of %s after the write: bootable %v, faults %q", target, res.Bootable, res.Inspect.Faults)
				}
				if wp.Partition != 2 || res.Verified != wp.WriteBytes || res.Written >= int64(p.Partition.Sectors)*512 {
					t.Errorf("partition %d, %d bytes written of a %d-byte partition, %d verified", wp.Partition, res.Written, int64(p.Partition.Sectors)*512, res.Verified)
				}
				if !strings.Contains(strings.Join(wp.Writes, "\n"), "partition 2 becomes the only active partition (partition 1 was active") {
					t.Errorf("the plan does not say partition 2 becomes active instead of 1:\n%s", strings.Join(wp.Writes, "\n"))
				}
				if after := hashes(t, path, s); after != before {
					t.Errorf("kept regions changed (table+signature, partition 1, partition 3): %v", [3]bool{after[0] == before[0], after[1] == before[1], after[2] == before[2]})
				}
				got, _ := diskgen.Hash(path, 0, 440)
				want, _ := diskgen.Hash(img, 0, 440)
				if got != want {
					t.Error("bytes 0-439 are not the image's boot code")
				}
				b := make([]byte, 512)
				f, _ := os.Open(path)
				f.ReadAt(b, 0)
				f.Close()
				for i, st := range []byte{0, mbr.StatusActive, 0} {
					if b[mbr.TableOffset+16*i] != st {
						t.Errorf("partition %d status %#x, want %#x", i+1, b[mbr.TableOffset+16*i], st)
					}
				}
				fsck(t, path, int64(p.Partition.StartLBA)*512, int64(p.Partition.Sectors)*512)
				if part != "" { // the partition node reads the new bytes, not its cache
					if msg, err := exec.Command("fsck.fat", "-n", part).CombinedOutput(); err != nil {
						t.Errorf("fsck.fat -n %s: %v\n%s", part, err, msg)
					}
				}
			})
		}
	}
}

// TestBesideMounted: on a loop device whose partition 3 is mounted, a
// write into partition 2 goes on (the kernel refuses O_EXCL on the disk,
// so partition 2 is claimed instead) and says partition 3 was left alone;
// a whole-disk write is refused. With partition 2 itself mounted, the
// write into it is refused with the mount point.
func TestBesideMounted(t *testing.T) {
	testutil.Need(t, "mkfs.ext4", "mount", "umount")
	img, p := image(t, builder.Options{Size: 64 << 20})
	path, _ := usedDisk(t, p)
	dev := testutil.LoopDevice(t, path, true)
	mount := func(part string) func() {
		t.Helper()
		testutil.Run(t, nil, "mkfs.ext4", "-q", "-F", dev+part)
		dir := t.TempDir()
		if out, err := exec.Command("mount", dev+part, dir).CombinedOutput(); err != nil {
			testutil.SkipOrFail(t, fmt.Errorf("mount %s%s: %v: %s", dev, part, err, out))
		}
		return func() { testutil.Run(t, nil, "umount", dir) }
	}
	umount := mount("p3")
	wp, res, err := writeImage(t, img, dev, diskwrite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Bootable || !strings.Contains(strings.Join(wp.Keeps, "\n"), "(partition 3): mounted at /") {
		t.Errorf("bootable %v; keeps:\n%s", res.Bootable, strings.Join(wp.Keeps, "\n"))
	}
	if _, _, err := writeImage(t, img, dev, diskwrite.Options{WholeDisk: true, Wipe: true}); err == nil || !strings.Contains(err.Error(), "is in use, and --whole-disk overwrites its table") {
		t.Errorf("whole disk beside a mount: %v", err)
	}
	umount()
	defer mount("p2")()
	if _, _, err := writeImage(t, img, dev, diskwrite.Options{}); err == nil || !strings.Contains(err.Error(), "partition 2 is in use") || !strings.Contains(err.Error(), "mounted at /") {
		t.Errorf("into a mounted partition: %v", err)
	}
}

// TestUEFIOnlyInto: a UEFI-only image (no boot code, no active entry) goes
// into partition 2 of a used disk without touching sector 0 (the disk's
// boot code and active flags stay), says that a type other than 0xEF may
// keep some firmware from listing it, and the partition inspects as
// bootable by UEFI.
func TestUEFIOnlyInto(t *testing.T) {
	p, img := uefiOnlyMBR(t)
	path, _ := usedDisk(t, p)
	before, _ := diskgen.Hash(path, 0, 512)
	wp, res, err := writeImage(t, img, path, diskwrite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := diskgen.Hash(path, 0, 512); after != before {
		t.Error("sector 0 changed")
	}
	if !res.Bootable || !res.Inspect.UEFIOnly {
		t.Errorf("inspect: bootable %v, UEFI-only %v, faults %q", res.Bootable, res.Inspect.UEFIOnly, res.Inspect.Faults)
	}
	if !strings.Contains(strings.Join(wp.Notes, "\n"), "partition 2 has type 0x0c: some firmware lists an MBR FAT partition as UEFI-bootable only with type 0xEF") {
		t.Errorf("notes: %q", wp.Notes)
	}
	fsck(t, path, int64(p.Partition.StartLBA)*512, int64(p.Partition.Sectors)*512)
}

// TestUEFIOnlyBesideMounted: a UEFI-only image written into partition 2
// of a loop device whose partition 3 is mounted says, as every write into
// a partition does, that partition 3 was left alone and why.
func TestUEFIOnlyBesideMounted(t *testing.T) {
	testutil.Need(t, "mkfs.ext4", "mount", "umount")
	p, img := uefiOnlyMBR(t)
	path, _ := usedDisk(t, p)
	dev := testutil.LoopDevice(t, path, true)
	testutil.Run(t, nil, "mkfs.ext4", "-q", "-F", dev+"p3")
	mnt := t.TempDir()
	if out, err := exec.Command("mount", dev+"p3", mnt).CombinedOutput(); err != nil {
		testutil.SkipOrFail(t, fmt.Errorf("mount %sp3: %v: %s", dev, err, out))
	}
	defer testutil.Run(t, nil, "umount", mnt)
	wp, res, err := writeImage(t, img, dev, diskwrite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Bootable || !strings.Contains(strings.Join(wp.Keeps, "\n"), "byte for byte; "+dev+"p3 (partition 3): mounted at "+mnt+", left alone") {
		t.Errorf("bootable %v; keeps:\n%s", res.Bootable, strings.Join(wp.Keeps, "\n"))
	}
}

// uefiOnlyMBR builds a 64 MiB UEFI-only image with an MBR (8.0-shaped
// media without BIOS loaders) and returns its plan and path.
func uefiOnlyMBR(t *testing.T) (*builder.Plan, string) {
	t.Helper()
	dir := t.TempDir()
	iso := filepath.Join(dir, "esxi9.iso")
	if err := isogen.Write(iso, isogen.Spec{Version: "8.0", UEFIOnly: true}); err != nil {
		t.Fatal(err)
	}
	in, err := builder.Open(iso, "")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p, err := in.Plan(builder.Options{KS: "http://deploy/ks/esx09.cfg", Size: 64 << 20, Table: builder.TableMBR})
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "esx09.img")
	if _, err := p.WriteFile(context.Background(), img, builder.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return p, img
}
