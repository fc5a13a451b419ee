package diskwrite_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/diskwrite"
	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

func sgdisk(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("sgdisk", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("sgdisk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// kept is the disk with what a write into partition q may change zeroed:
// bytes 0-439 of sector 0 and the partition.
func kept(t *testing.T, path string, q diskwrite.Partition) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clear(b[:440])
	clear(b[int64(q.Start)*512 : int64(q.Start+q.Sectors)*512])
	return b
}

// TestWriteIntoGPTPartition: build --like-disk's choice on a GPT disk
// laid out by sgdisk is its EFI system partition; a GPT image built for it
// goes into it with gptmbr.bin and the target partition's unique GUID in
// sector 0, and every other byte (protective MBR entry, both GPTs,
// partitions 1 and 3, the gaps) stays; sgdisk -v and fsck.fat -n are clean.
func TestWriteIntoGPTPartition(t *testing.T) {
	path := testutil.GPTDisk(t, 131072)
	// A dump of sector 0 alone is not enough for a GPT disk.
	b, _ := os.ReadFile(path)
	dump := filepath.Join(t.TempDir(), "sector0")
	os.WriteFile(dump, b[:512], 0o644)
	if _, err := diskwrite.LikeDisk(dump, 0); err == nil || !strings.Contains(err.Error(), "first 34 sectors") {
		t.Errorf("LikeDisk of a 512-byte dump of a GPT disk: %v, want a refusal asking for 34 sectors", err)
	}
	os.WriteFile(dump, b[:34*512], 0o644)
	q, err := diskwrite.LikeDisk(dump, 0)
	if err != nil {
		t.Fatal(err)
	}
	if q.Number != 2 || q.Start != 2048+8192 || q.Sectors != 131072 || q.GUID == "" {
		t.Fatalf("LikeDisk picked %+v, want GPT partition 2 at LBA 10,240 + 131,072 sectors", q)
	}
	if q3, err := diskwrite.LikeDisk(path, 3); err == nil {
		t.Errorf("LikeDisk --partition 3 (Linux) accepted: %+v", q3)
	}
	img, _ := image(t, builder.Options{PartitionStart: q.Start, Size: int64(q.Sectors) * 512, ExactSize: true, Table: builder.TableGPT})
	for _, onLoop := range []bool{false, true} {
		t.Run(map[bool]string{false: "file", true: "loop device"}[onLoop], func(t *testing.T) {
			path := path
			if onLoop {
				path = testutil.GPTDisk(t, 131072)
			}
			target := path
			if onLoop {
				target = testutil.LoopDevice(t, path, true)
			}
			q, err := diskwrite.LikeDisk(target, 0)
			if err != nil || q.Number != 2 {
				t.Fatalf("LikeDisk %s: %+v %v", target, q, err)
			}
			before := kept(t, path, q)
			p, res, err := writeImage(t, img, target, diskwrite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s\nwrites:\n  %s\nkeeps:\n  %s", target, res.Reread, strings.Join(p.Writes, "\n  "), strings.Join(p.Keeps, "\n  "))
			if !bytes.Equal(kept(t, path, q), before) {
				t.Error("bytes outside partition 2 and the boot code changed")
			}
			if !strings.Contains(strings.Join(p.Writes, "\n"), "unique GUID "+q.GUID+" of GPT partition 2, which becomes the partition gptmbr.bin boots") {
				t.Errorf("plan does not name the boot partition's GUID:\n%s", strings.Join(p.Writes, "\n"))
			}
			after, _ := os.ReadFile(path)
			ib, _ := os.ReadFile(img)
			if !bytes.Equal(after[:424], ib[:424]) {
				t.Error("bytes 0-423 are not the image's gptmbr.bin")
			}
			want := gpt.MustParseGUID(q.GUID)
			if !bytes.Equal(after[424:440], want[:]) {
				t.Errorf("bytes 424-439 are %x, want the target partition's GUID %s", after[424:440], q.GUID)
			}
			if bytes.Equal(want[:], ib[424:440]) {
				t.Error("the image's own GUID equals the target's: the test proves nothing")
			}
			if out := sgdisk(t, "-v", path); !strings.Contains(out, "No problems found") {
				t.Errorf("sgdisk -v:\n%s", out)
			}
			fsck(t, path, int64(q.Start)*512, int64(q.Sectors)*512)
			if !res.Bootable {
				t.Errorf("inspect does not find the disk bootable: %+v", res.Inspect)
			}
		})
	}
}

// TestMBRImageOntoGPT: an MBR image is refused by a GPT target, naming
// build --like-disk.
func TestMBRImageOntoGPT(t *testing.T) {
	testutil.Need(t, "sgdisk")
	path := testutil.GPTDisk(t, 131072)
	img, _ := image(t, builder.Options{PartitionStart: 2048 + 8192, Size: 131072 * 512, ExactSize: true})
	before, _ := os.ReadFile(path)
	_, _, err := writeImage(t, img, path, diskwrite.Options{})
	if err == nil || !strings.Contains(err.Error(), "is an MBR image") || !strings.Contains(err.Error(), "build --like-disk") {
		t.Errorf("an MBR image onto a GPT disk: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("the refused write changed the disk")
	}
}
