package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestWriteGPTDisk: on a GPT disk laid out by sgdisk (partitions 1 and 3
// Linux, 2 the EFI system partition), build --like-disk builds a GPT
// image for partition 2; write --dry-run names the partition gptmbr.bin
// will boot by its GUID; write --yes keeps every byte but bytes 0-439 and
// partition 2, puts the target partition's GUID at 0x1A8, and sgdisk -v
// finds nothing wrong.
func TestWriteGPTDisk(t *testing.T) {
	testutil.Need(t, "sgdisk")
	dir := t.TempDir()
	iso, tar := filepath.Join(dir, "esxi7.iso"), filepath.Join(dir, "syslinux-3.86.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0"}); err != nil {
		t.Fatal(err)
	}
	code := append([]byte("\xFA\x31\xC0Boot partition not found\r\nDisk error on boot\r\n"), make([]byte, 424)...)[:424]
	if err := tarball.WriteFile(tar, tarball.Spec{Version: "3.86", Date: "2010-04-16", GPTMBR: code}); err != nil {
		t.Fatal(err)
	}
	sda := filepath.Join(dir, "sda")
	if err := os.WriteFile(sda, bytes.Repeat([]byte{0xA5}, (2048+2048+200_000+8192+2048)*512), 0o644); err != nil {
		t.Fatal(err)
	}
	sg := func(args ...string) string {
		out, err := exec.Command("sgdisk", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("sgdisk %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	sg("-o", "-n", "1:2048:+2048", "-t", "1:8300", "-n", "2:0:+200000", "-t", "2:ef00", "-n", "3:0:+8192", "-t", "3:8300", sda)
	info := sg("-i", "2", sda)
	_, g, _ := strings.Cut(info, "Partition unique GUID: ")
	guid, _, _ := strings.Cut(g, "\n")
	want, err := gpt.ParseGUID(strings.TrimSpace(guid))
	if err != nil {
		t.Fatalf("sgdisk -i 2: %v\n%s", err, info)
	}
	img := filepath.Join(dir, "esx01.img")
	if _, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks.cfg", "--like-disk", sda, "-o", img, "--quiet"); err != nil {
		t.Fatalf("build --like-disk of a GPT disk: %v\n%s", err, stderr)
	}
	before, _ := os.ReadFile(sda)
	out, stderr, err := runCLI("write", img, sda, "--dry-run")
	if err != nil || !strings.Contains(out, want.String()+" of GPT partition 2, which becomes the partition gptmbr.bin boots") {
		t.Fatalf("write --dry-run: %v\n%s%s", err, out, stderr)
	}
	if after, _ := os.ReadFile(sda); !bytes.Equal(after, before) {
		t.Fatal("--dry-run changed the disk")
	}
	if out, stderr, err = runCLI("write", img, sda, "--yes"); err != nil {
		t.Fatalf("write --yes: %v\n%s%s", err, out, stderr)
	}
	after, _ := os.ReadFile(sda)
	if !bytes.Equal(after[424:440], want[:]) {
		t.Errorf("bytes 424-439 are %x, want partition 2's GUID %s", after[424:440], want)
	}
	if !bytes.Equal(after[:424], code) {
		t.Error("bytes 0-423 are not the tarball's gptmbr.bin")
	}
	p2, p2end := 4096*512, (4096+200_000)*512
	if !bytes.Equal(after[440:p2], before[440:p2]) || !bytes.Equal(after[p2end:], before[p2end:]) {
		t.Error("bytes outside partition 2 and the boot code changed")
	}
	if v := sg("-v", sda); !strings.Contains(v, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", v)
	}
}

// TestWriteWholeDiskGPT: write --whole-disk of a --table gpt image onto a
// used disk file (0x5A) larger than the image: --dry-run and --json print
// the LBAs the plan moves (AlternateLBA, LastUsableLBA, the backup, the
// zeroed image backup) and change nothing; --yes writes a table sgdisk -v
// finds clean, with the backup header in the disk's last sector.
func TestWriteWholeDiskGPT(t *testing.T) {
	testutil.Need(t, "sgdisk")
	dir := t.TempDir()
	iso, tar := filepath.Join(dir, "esxi7.iso"), filepath.Join(dir, "syslinux-3.86.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0"}); err != nil {
		t.Fatal(err)
	}
	code := append([]byte("\xFA\x31\xC0Boot partition not found\r\nDisk error on boot\r\n"), make([]byte, 424)...)[:424]
	if err := tarball.WriteFile(tar, tarball.Spec{Version: "3.86", Date: "2010-04-16", GPTMBR: code}); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "esx01.img")
	if _, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks.cfg", "--table", "gpt", "--size", "64M", "-o", img, "--quiet"); err != nil {
		t.Fatalf("build --table gpt: %v\n%s", err, stderr)
	}
	fi, _ := os.Stat(img)
	imgSectors := fi.Size() / 512
	sectors := imgSectors + 131072
	sda := filepath.Join(dir, "sda")
	testutil.FillFile(t, sda, sectors*512, 0x5A)
	before, _ := os.ReadFile(sda)
	n := func(v int64) string { return human.Commas(v) }
	for _, tc := range []struct {
		flag string
		want []string
	}{
		{"--dry-run", []string{
			"Mode:   the whole disk: the image's protective MBR, GPT and partition, the backup GPT at the disk's end",
			"AlternateLBA " + n(sectors-1) + " (the disk's last sector) and LastUsableLBA " + n(sectors-34) + ", as `sgdisk -e` sets them, CRC32s recomputed",
			"LBA " + n(sectors-33) + "-" + n(sectors-1) + ": the backup GPT (entry array, then header)",
			"LBA " + n(imgSectors-33) + "-" + n(imgSectors-1) + ": zeros over the image's own backup GPT, which lies inside the disk",
			"its 0xEE entry made the disk's: LBA 1 + " + n(sectors-1) + " sectors"}},
		{"--json", []string{
			fmt.Sprintf(`"alternate_lba": %d`, sectors-1), fmt.Sprintf(`"last_usable_lba": %d`, sectors-34),
			fmt.Sprintf(`"backup_entries_lba": %d`, sectors-33), fmt.Sprintf(`"image_backup_lba": %d`, imgSectors-33)}},
	} {
		args := []string{"write", img, sda, "--whole-disk", "--dry-run"}
		if tc.flag == "--json" {
			args = append(args, "--json")
		}
		out, stderr, err := runCLI(args...)
		if err != nil {
			t.Fatalf("write %s: %v\n%s%s", tc.flag, err, out, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("write %s lacks %q:\n%s", tc.flag, w, out)
			}
		}
		if after, _ := os.ReadFile(sda); !bytes.Equal(after, before) {
			t.Fatalf("write %s changed the disk", tc.flag)
		}
	}
	if out, stderr, err := runCLI("write", img, sda, "--whole-disk", "--yes"); err != nil {
		t.Fatalf("write --whole-disk --yes: %v\n%s%s", err, out, stderr)
	}
	after, _ := os.ReadFile(sda)
	if h := gpt.ParseHeader(after[(sectors-1)*512:]); string(h.Signature[:]) != gpt.Signature || h.MyLBA != uint64(sectors-1) {
		t.Errorf("no backup header in the disk's last sector: %+v", h)
	}
	if out := testutil.Run(t, nil, "sgdisk", "-v", sda); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
}
