package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBmap: --bmap writes IMAGE.bmap that Debian's bmaptool accepts:
// `bmaptool copy` onto a file gives the image byte for byte, writing fewer
// blocks than the image has, and a corrupted range makes it fail.
func TestBmap(t *testing.T) {
	bmaptool, err := exec.LookPath("bmaptool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("bmaptool not found (apt-get install bmap-tools)")
		}
		t.Skip("bmaptool not found (apt-get install bmap-tools)")
	}
	dir := t.TempDir()
	iso, tar := inputs7(t)
	img := filepath.Join(dir, "esx01.img")
	if _, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks.cfg", "--size", "256M", "--bmap", "-o", img); err != nil {
		t.Fatalf("build: %v\n%s", err, stderr)
	}
	bm, err := os.ReadFile(img + ".bmap")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "disk.img")
	out, err := exec.Command(bmaptool, "copy", "--bmap", img+".bmap", img, dst).CombinedOutput()
	if err != nil {
		t.Fatalf("bmaptool copy: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(img)
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, want) {
		t.Errorf("bmaptool's copy differs from the image (%d vs %d bytes)", len(got), len(want))
	}
	if !strings.Contains(string(out), "bmaptool: info: copying time") || !strings.Contains(string(bm), "<MappedBlocksCount>") {
		t.Errorf("bmaptool output:\n%s", out)
	}
	var mapped, total int
	for _, l := range strings.Split(string(bm), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "<MappedBlocksCount> "); ok {
			mapped = atoiPrefix(v)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "<BlocksCount> "); ok {
			total = atoiPrefix(v)
		}
	}
	if mapped == 0 || mapped*4 > total {
		t.Errorf("%d of %d blocks mapped: a 256 MiB partition holding ~1 MB should map few", mapped, total)
	}
	// A byte changed inside the mapped data: bmaptool's verify must fail.
	bad := filepath.Join(dir, "bad.img")
	b := append([]byte(nil), want...)
	off := bytes.Index(b, []byte("kernelopt="))
	if off < 0 {
		t.Fatal("no kernelopt= in the image")
	}
	b[off] ^= 0x20
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bmaptool, "copy", "--bmap", img+".bmap", bad, filepath.Join(dir, "disk2.img")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "checksum mismatch") {
		t.Errorf("bmaptool copy of a corrupted image: %v\n%s", err, out)
	}
}

func atoiPrefix(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
