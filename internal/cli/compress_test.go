package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestCompressedOutputs: -o NAME.zst/.xz/.gz writes the verified image
// compressed (nothing raw left beside it) that inspect reads as it is; a
// batch with --compress records both hashes in the manifest, and its
// SHA256SUMS checks out.
func TestCompressedOutputs(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.img")
	if _, _, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks", "-o", raw); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(raw)
	for _, ext := range []string{".zst", ".xz", ".gz"} {
		out := filepath.Join(dir, "esx01.img"+ext)
		stdout, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks", "-o", out, "--bmap")
		if err != nil || !strings.Contains(stdout, "compressed "+string(compress.FromName(out))+": ") {
			t.Fatalf("%s: %v\n%s%s", ext, err, stdout, stderr)
		}
		back, err := compress.Decompress(context.Background(), compress.FromName(out), out, dir)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(back); string(b) != string(want) {
			t.Errorf("%s unpacks to other bytes than the raw build", out)
		}
		os.Remove(back)
		if stdout, _, err := runCLI("inspect", out); err != nil || !strings.Contains(stdout, ": bootable") {
			t.Errorf("inspect %s: %v\n%s", out, err, stdout)
		}
		if _, err := os.Stat(filepath.Join(dir, "esx01.img.bmap")); err != nil {
			t.Errorf("no bmap beside %s: %v", out, err)
		}
		os.Remove(filepath.Join(dir, "esx01.img.bmap"))
	}
	if _, _, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks", "-o", filepath.Join(dir, "a.img.gz"), "--compress", "xz"); err == nil ||
		!strings.Contains(err.Error(), "is gzip by its name, but --compress says xz") {
		t.Errorf("conflicting compression: %v", err)
	}
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(hidden) > 0 {
		t.Errorf("left behind: %v", hidden)
	}

	hosts := filepath.Join(dir, "hosts.csv")
	os.WriteFile(hosts, []byte("id\nesx01\nesx02\nesx03\n"), 0o644)
	outDir := filepath.Join(dir, "images")
	if _, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}",
		"--out-dir", outDir, "--compress", "zstd", "--bmap", "--quiet"); err != nil {
		t.Fatalf("batch: %v\n%s", err, stderr)
	}
	names, _ := filepath.Glob(filepath.Join(outDir, "*"))
	var base []string
	for _, n := range names {
		base = append(base, filepath.Base(n))
	}
	if got := strings.Join(base, " "); got != "SHA256SUMS esx01.img.bmap esx01.img.zst esx02.img.bmap esx02.img.zst esx03.img.bmap esx03.img.zst manifest.json" {
		t.Errorf("out-dir holds %s", got)
	}
	if hidden, _ := filepath.Glob(filepath.Join(outDir, ".*")); len(hidden) > 0 {
		t.Errorf("left behind: %v", hidden)
	}
	sum := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	sum.Dir = outDir
	if out, err := sum.CombinedOutput(); err != nil || strings.Count(string(out), ": OK") != 3 {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
	var m struct {
		Hosts []struct {
			Image, SHA256, Compression string
			RawSHA256                  string `json:"raw_sha256"`
		}
	}
	b, _ := os.ReadFile(filepath.Join(outDir, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil || len(m.Hosts) != 3 {
		t.Fatalf("manifest: %v", err)
	}
	h := m.Hosts[0]
	back, err := compress.Decompress(context.Background(), compress.Zstd, filepath.Join(outDir, h.Image), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(back)
	if out, _ := exec.Command("sha256sum", back).Output(); h.Compression != "zstd" || !strings.HasPrefix(string(out), h.RawSHA256) || h.RawSHA256 == "" {
		t.Errorf("manifest host %+v; raw image hashes %s", h, out)
	}
}

// TestCompressedNamedAsWritten: a compressed build names the file it
// wrote (esx01.img.zst, not esx01.img) with that file's size and SHA-256,
// beside the image's size; a batch's lines and total do the same.
func TestCompressedNamedAsWritten(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts.csv")
	os.WriteFile(hosts, []byte("id\nesx01\nesx02\n"), 0o644)
	var b strings.Builder
	for _, args := range [][]string{
		{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks", "-o", filepath.Join(dir, "one.img.zst")},
		{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/{{.id}}", "--hosts", hosts, "--out-dir", filepath.Join(dir, "out"), "--compress", "gzip", "-j", "1"},
	} {
		stdout, stderr, code := say(args...)
		lines := strings.SplitAfter(stdout+stderr, "\n")
		fmt.Fprintf(&b, "[exit %d]\n%s", code, strings.Join(lines[:min(2, len(lines))], ""))
		for _, l := range lines[2:] {
			if strings.HasPrefix(l, "[") || strings.HasPrefix(l, "built ") || strings.HasPrefix(l, "compressed ") {
				b.WriteString(l)
			}
		}
	}
	golden(t, "output/compressed.txt", scrub(b.String(), map[string]string{dir: "$DIR"}))
}
