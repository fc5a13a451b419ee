package diskwrite_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	dgpt "github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/diskwrite"
	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestWholeDiskGPT: a GPT image written over a whole used disk (every
// byte 0x5A) of the image's size, 10 sectors more (its backup overlaps
// the image's), 64 MiB more, one holding an older GPT (--wipe), and a
// loop device: the backup GPT is in the disk's last 33 sectors, the
// primary header's AlternateLBA and LastUsableLBA are the disk's (as
// sgdisk -e sets them), the image's own backup sectors inside the disk
// are zeros, and sgdisk -v, sfdisk --verify, fsck.fat -n, go-diskfs and
// inspect all find it sound.
func TestWholeDiskGPT(t *testing.T) {
	testutil.Need(t, "sgdisk", "sfdisk")
	img, bp := image(t, builder.Options{Size: 64 << 20, Table: builder.TableGPT})
	fi, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	imgSectors := uint64(fi.Size() / 512)
	cases := []struct {
		name  string
		extra uint64 // sectors more than the image
		old   bool   // the disk holds an older GPT (sgdisk -o), so --wipe
		loop  bool
	}{
		{"file of the image's size", 0, false, false},
		{"file 10 sectors larger", 10, false, false},
		{"file 64 MiB larger", 131072, false, false},
		{"file with an older GPT", 131072, true, false},
		{"loop device 64 MiB larger", 131072, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sectors := imgSectors + tc.extra
			path := filepath.Join(t.TempDir(), "disk")
			testutil.FillFile(t, path, int64(sectors)*512, 0x5A)
			if tc.old {
				sgdisk(t, "-o", "-n", "1:2048:+8192", "-t", "1:8300", path)
			}
			target := path
			if tc.loop {
				target = testutil.LoopDevice(t, path, true)
			}
			p, res, err := writeImage(t, img, target, diskwrite.Options{WholeDisk: true, Wipe: tc.old})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s\nwrites:\n  %s\nkeeps:\n  %s", target, res.Reread, strings.Join(p.Writes, "\n  "), strings.Join(p.Keeps, "\n  "))
			g := p.GPT
			if g == nil || g.DiskSectors != sectors || g.AlternateLBA != sectors-1 || g.LastUsableLBA != sectors-34 || g.BackupArrayLBA != sectors-33 {
				t.Fatalf("plan's GPT %+v for a disk of %d sectors", g, sectors)
			}
			if !res.Bootable || len(res.Inspect.Faults) > 0 || len(res.Inspect.Warnings) > 0 {
				t.Errorf("inspect: bootable %v, faults %q, warnings %q", res.Bootable, res.Inspect.Faults, res.Inspect.Warnings)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			h := gpt.ParseHeader(b[512:1024])
			if h.AlternateLBA != sectors-1 || h.LastUsableLBA != sectors-34 || h.MyLBA != 1 {
				t.Errorf("primary header: MyLBA %d, AlternateLBA %d, LastUsableLBA %d; disk of %d sectors", h.MyLBA, h.AlternateLBA, h.LastUsableLBA, sectors)
			}
			bh := gpt.ParseHeader(b[(sectors-1)*512:])
			if string(bh.Signature[:]) != gpt.Signature || bh.MyLBA != sectors-1 || bh.AlternateLBA != 1 || bh.EntryLBA != sectors-33 {
				t.Errorf("backup header at the last LBA: %+v", bh)
			}
			if pe := binary.LittleEndian.Uint32(b[0x1BE+12:]); uint64(pe) != min(sectors-1, 0xFFFFFFFF) {
				t.Errorf("protective entry of %d sectors, want %d", pe, sectors-1)
			}
			if tc.extra > 0 {
				from, to := (imgSectors-33)*512, min(imgSectors, sectors-33)*512
				if !bytes.Equal(b[from:to], make([]byte, to-from)) {
					t.Errorf("the image's own backup GPT (bytes %d-%d) is not zeroed", from, to)
				}
			}
			if out := sgdisk(t, "-v", path); !strings.Contains(out, "No problems found") {
				t.Errorf("sgdisk -v:\n%s", out)
			}
			if out := testutil.Run(t, nil, "sfdisk", "--verify", path); !strings.Contains(out, "No errors detected.") {
				t.Errorf("sfdisk --verify:\n%s", out)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			dt, err := dgpt.Read(file.New(f, true), 512, 512)
			f.Close()
			if err != nil || len(dt.Partitions) == 0 || dt.Partitions[0].Start != bp.GPT.FirstLBA || dt.Partitions[0].End != bp.GPT.LastLBA {
				t.Errorf("go-diskfs: %v %+v", err, dt)
			}
			fsck(t, path, int64(bp.GPT.FirstLBA)*512, int64(bp.GPT.LastLBA-bp.GPT.FirstLBA+1)*512)
		})
	}
}

// TestUEFIOnlyGPTWrite: a UEFI-only GPT image (the default for UEFI-only
// media: no gptmbr.bin) goes into the EFI system partition of a GPT disk
// without touching anything else, sector 0 included (UEFI reads files,
// not boot code), and over a whole disk with its protective MBR's empty
// boot code; both inspect as bootable by UEFI, and sgdisk -v is clean.
func TestUEFIOnlyGPTWrite(t *testing.T) {
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
	plan := func(o builder.Options) string {
		t.Helper()
		o.KS = "http://deploy/ks/esx09.cfg"
		p, err := in.Plan(o)
		if err != nil {
			t.Fatal(err)
		}
		if p.GPT == nil {
			t.Fatal("a UEFI-only image without Table is not GPT")
		}
		img := filepath.Join(t.TempDir(), "esx09.img")
		if _, err := p.WriteFile(context.Background(), img, builder.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		return img
	}
	for _, tc := range []struct {
		name  string
		whole bool
	}{{"into GPT partition 2", false}, {"whole disk", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var img, path string
			var q diskwrite.Partition
			if tc.whole {
				img = plan(builder.Options{Size: 64 << 20})
				fi, _ := os.Stat(img)
				path = filepath.Join(t.TempDir(), "disk")
				testutil.FillFile(t, path, fi.Size()+8<<20, 0x5A)
			} else {
				path = testutil.GPTDisk(t, 131072)
				if q, err = diskwrite.LikeDisk(path, 0); err != nil {
					t.Fatal(err)
				}
				img = plan(builder.Options{PartitionStart: q.Start, Size: int64(q.Sectors) * 512, ExactSize: true})
			}
			before, _ := os.ReadFile(path)
			p, res, err := writeImage(t, img, path, diskwrite.Options{WholeDisk: tc.whole})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("writes:\n  %s\nkeeps:\n  %s", strings.Join(p.Writes, "\n  "), strings.Join(p.Keeps, "\n  "))
			if !res.Bootable || !res.Inspect.UEFIOnly || len(res.Inspect.Faults) > 0 {
				t.Errorf("inspect: bootable %v, UEFI-only %v, faults %q", res.Bootable, res.Inspect.UEFIOnly, res.Inspect.Faults)
			}
			after, _ := os.ReadFile(path)
			if tc.whole {
				if !bytes.Equal(after[:440], make([]byte, 440)) || !strings.Contains(strings.Join(p.Writes, "\n"), "no boot code: the image is UEFI-only") {
					t.Errorf("whole disk: boot code %x…; writes %q", after[:16], p.Writes)
				}
			} else {
				lo, hi := int64(q.Start)*512, int64(q.Start+q.Sectors)*512
				if !bytes.Equal(after[:lo], before[:lo]) || !bytes.Equal(after[hi:], before[hi:]) {
					t.Error("bytes outside GPT partition 2 changed (sector 0 included)")
				}
			}
			if out := sgdisk(t, "-v", path); !strings.Contains(out, "No problems found") {
				t.Errorf("sgdisk -v:\n%s", out)
			}
		})
	}
}
