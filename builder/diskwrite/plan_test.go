package diskwrite_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/diskwrite"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/fixtures/diskgen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// readImage reads a built image for the plan.
func readImage(t *testing.T, path string) (*diskwrite.Image, *os.File) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, _ := f.Stat()
	im, err := diskwrite.ReadImage(f, fi.Size(), path)
	if err != nil {
		t.Fatal(err)
	}
	return im, f
}

// sector0 is an MBR with the given entries.
func sector0(es ...mbr.PartitionEntry) [512]byte {
	var s mbr.Sector
	copy(s.Entries[:], es)
	return s.Bytes()
}

// TestPlanRefusals: every target the plan refuses, with the words the
// user reads; nothing is written (NewPlan writes nothing at all).
func TestPlanRefusals(t *testing.T) {
	img, p := image(t, builder.Options{Size: 64 << 20})
	partOnly, _ := image(t, builder.Options{Size: 64 << 20, PartitionOnly: true})
	im, src := readImage(t, img)
	po, posrc := readImage(t, partOnly)
	start, n := p.Partition.StartLBA, p.Partition.Sectors
	size := int64(start+n+4096) * 512
	three := sector0(mbr.NewEntry(0x80, 0x83, 63, start-63), mbr.NewEntry(0, 0x0C, start, n), mbr.NewEntry(0, 0x83, start+n, 4096))
	mounted := func(part int, at string, root bool) []disk.Use {
		us := []disk.Use{{Node: "sdz", Kernel: true}}
		for i, q := range [][2]uint32{{63, start - 63}, {start, n}, {start + n, 4096}} {
			u := disk.Use{Node: "sdz" + string(rune('1'+i)), Partition: i + 1, Start: int64(q[0]), Sectors: int64(q[1]), Kernel: true}
			if i+1 == part {
				u.What, u.Root = []string{"mounted at " + at}, root
			}
			us = append(us, u)
		}
		return us
	}
	for _, tc := range []struct {
		name string
		im   *diskwrite.Image
		t    diskwrite.Target
		o    diskwrite.Options
		want string // "" : accepted
	}{
		{"blank disk, into a partition", im, diskwrite.Target{Size: size}, diskwrite.Options{},
			"/dev/sdz has no partition table to write into: write the whole disk with --whole-disk"},
		{"GPT", im, diskwrite.Target{Size: size, Sector0: sector0(mbr.NewEntry(0, 0xEE, 1, uint32(size/512-1)))}, diskwrite.Options{},
			"has a GPT, which a BIOS boots through gptmbr.bin"},
		{"no partition at the image's start", im, diskwrite.Target{Size: size, Sector0: sector0(mbr.NewEntry(0, 0x0C, 4096, n))}, diskwrite.Options{},
			"but no partition of /dev/sdz starts there (its table has 1 at LBA 4,096 + 131,040 sectors (64.0 MiB)); a FAT volume is made for one start and size: build for the target with `esxi-autopart build --like-disk /dev/sdz --partition N …`"},
		{"another size", im, diskwrite.Target{Size: size, Sector0: sector0(mbr.NewEntry(0, 0x0C, start, n+63))}, diskwrite.Options{},
			"is built for a partition at LBA 2,048 + 131,040 sectors (64.0 MiB), but /dev/sdz partition 1 is LBA 2,048 + 131,103 sectors (64.0 MiB); a FAT volume is made for one start and size: build for it with `esxi-autopart build --like-disk /dev/sdz --partition 1 …`"},
		{"--partition names another partition", im, diskwrite.Target{Size: size, Sector0: three}, diskwrite.Options{Partition: 3},
			"/dev/sdz partition 3 is LBA 133,088 + 4,096 sectors"},
		{"--partition names an empty entry", im, diskwrite.Target{Size: size, Sector0: three}, diskwrite.Options{Partition: 4},
			"/dev/sdz: partition 4 is empty; its table has 1 at LBA 63"},
		{"partition past the end of the disk", im, diskwrite.Target{Size: int64(start+n-1) * 512, Sector0: three}, diskwrite.Options{},
			"/dev/sdz: partition 2 ends at byte 68,141,056, past the disk's 68,140,544 bytes"},
		{"4Kn disk", im, diskwrite.Target{Size: size, SectorSize: 4096, Sector0: three}, diskwrite.Options{},
			"/dev/sdz: logical sector size 4096 bytes: mbr.bin and SYSLINUX 3.x boot only disks of 512-byte sectors"},
		{"target partition mounted", im, diskwrite.Target{Size: size, Sector0: three, Uses: mounted(2, "/mnt/old", false)}, diskwrite.Options{},
			"/dev/sdz partition 2 is in use: /dev/sdz2 (partition 2): mounted at /mnt/old; unmount or release it first; nothing was written"},
		{"whole disk held", im, diskwrite.Target{Size: size, Sector0: three, Uses: []disk.Use{{Node: "sdz", What: []string{"held by /dev/md0 (software RAID)"}}}}, diskwrite.Options{},
			"/dev/sdz is in use: /dev/sdz: held by /dev/md0 (software RAID); nothing was written"},
		{"another partition mounted", im, diskwrite.Target{Size: size, Sector0: three, Uses: mounted(3, "/data", false)}, diskwrite.Options{}, ""},
		{"whole disk: too small", im, diskwrite.Target{Size: im.Size - 512}, diskwrite.Options{WholeDisk: true},
			"/dev/sdz: 68,140,544 bytes, too small for image"},
		{"whole disk: holds partitions", im, diskwrite.Target{Size: size, Sector0: three, Content: []string{"an MBR partition table (…)"}}, diskwrite.Options{WholeDisk: true},
			"/dev/sdz holds an MBR partition table (…): --whole-disk would overwrite it; add --wipe to do so"},
		{"whole disk: a partition mounted, even with --wipe", im, diskwrite.Target{Size: size, Sector0: three, Uses: mounted(3, "/data", false)}, diskwrite.Options{WholeDisk: true, Wipe: true},
			"/dev/sdz is in use, and --whole-disk overwrites its table: /dev/sdz3 (partition 3): mounted at /data; nothing was written"},
		{"whole disk: the running system's root", im, diskwrite.Target{Size: size, Sector0: three, Uses: mounted(1, "/ (the running system's root)", true)}, diskwrite.Options{WholeDisk: true, Wipe: true},
			"/dev/sdz1 (partition 1): mounted at / (the running system's root)"},
		{"whole disk: a partition-only image", po, diskwrite.Target{Size: size}, diskwrite.Options{WholeDisk: true},
			"is a bare partition (build --partition-only): it has no sector 0 to write a whole disk with"},
		{"whole disk: --wipe", im, diskwrite.Target{Size: size, Sector0: three, Content: []string{"an MBR partition table (…)"}}, diskwrite.Options{WholeDisk: true, Wipe: true}, ""},
		{"a partition-only image into its partition", po, diskwrite.Target{Size: size, Sector0: three}, diskwrite.Options{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := tc.t
			tg.Name = "/dev/sdz"
			if tg.SectorSize == 0 {
				tg.SectorSize = 512
			}
			s := src
			if tc.im == po {
				s = posrc
			}
			pl, err := diskwrite.NewPlan(tc.im, s, &tg, tc.o)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
				if tc.name == "another partition mounted" && !strings.Contains(strings.Join(pl.Keeps, "\n"), "partition 3 (LBA 133,088 + 4,096 sectors (2 MiB), type 0x83), byte for byte; /dev/sdz3 (partition 3): mounted at /data, left alone") {
					t.Errorf("keeps do not name the mounted partition:\n%s", strings.Join(pl.Keeps, "\n"))
				}
			case err == nil:
				t.Fatalf("accepted, want %q", tc.want)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("error:\n %v\nwant it to contain:\n %s", err, tc.want)
			}
		})
	}
}

// TestWholeDisk: --whole-disk --wipe over a disk file and a loop device
// that hold an old table and 0xA5 everywhere: sector 0 is the image's,
// the partition is clean by fsck.fat, inspect finds it bootable.
func TestWholeDisk(t *testing.T) {
	img, p := image(t, builder.Options{Size: 64 << 20})
	for _, onLoop := range []bool{false, true} {
		t.Run(map[bool]string{false: "file", true: "loop device"}[onLoop], func(t *testing.T) {
			path, _ := usedDisk(t, p)
			target := path
			if onLoop {
				target = testutil.LoopDevice(t, path, true)
			}
			if _, _, err := writeImage(t, img, target, diskwrite.Options{WholeDisk: true}); err == nil || !strings.Contains(err.Error(), "add --wipe") {
				t.Fatalf("without --wipe: %v", err)
			}
			_, res, err := writeImage(t, img, target, diskwrite.Options{WholeDisk: true, Wipe: true})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Bootable {
				t.Errorf("inspect: faults %q", res.Inspect.Faults)
			}
			got, _ := diskgen.Hash(path, 0, int64(p.Partition.StartLBA)*512)
			want, _ := diskgen.Hash(img, 0, int64(p.Partition.StartLBA)*512)
			if got != want {
				t.Error("the disk's first sectors are not the image's")
			}
			fsck(t, path, int64(p.Partition.StartLBA)*512, int64(p.Partition.Sectors)*512)
		})
	}
}

// TestInterrupted: a write cancelled after its first chunk stops there,
// says what the target holds, and leaves sector 0 as it was.
func TestInterrupted(t *testing.T) {
	img, p := image(t, builder.Options{Size: 64 << 20})
	path, _ := usedDisk(t, p)
	before, _ := diskgen.Hash(path, 0, 512)
	im, src := readImage(t, img)
	d, err := disk.OpenWrite(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tg, err := diskwrite.Describe(d)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := diskwrite.NewPlan(im, src, tg, diskwrite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Ranges) < 2 {
		t.Fatalf("%d ranges: too few to stop in the middle", len(pl.Ranges))
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = diskwrite.Write(ctx, pl, d, func(stage string, done, total int64) { cancel() })
	var se *diskwrite.StateError
	if !errors.As(err, &se) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Write: %v, want a StateError wrapping context.Canceled", err)
	}
	if !strings.Contains(se.State, "partition 2 holds part of the new FAT volume") || !strings.Contains(se.State, "sector 0 (boot code, table, active flag) and every other partition are as they were") {
		t.Errorf("state: %s", se.State)
	}
	if after, _ := diskgen.Hash(path, 0, 512); after != before {
		t.Error("sector 0 changed")
	}
}
