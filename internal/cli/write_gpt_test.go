package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
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
