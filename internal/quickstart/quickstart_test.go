package quickstart

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// readmeCommands returns the lines of README.md's first ```sh block.
func readmeCommands(t *testing.T, root string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		switch line := sc.Text(); {
		case !in && line == "```sh":
			in = true
		case in && line == "```":
			return lines
		case in:
			lines = append(lines, line)
		}
	}
	t.Fatal("README.md: no ```sh block")
	return nil
}

// TestReadmeFirstCommand runs README.md's first command, exactly as written,
// in a fresh copy of the repository: relative paths and all.
func TestReadmeFirstCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, root)
	if len(cmds) != 2 {
		t.Fatalf("README.md's first sh block has %d lines, want 2 (the demo, the tests): %q", len(cmds), cmds)
	}
	if !strings.HasPrefix(cmds[0], "go run . demo") {
		t.Fatalf("README.md's first command is %q, want the demo", cmds[0])
	}
	testutil.Need(t, "go", "as", "qemu-system-x86_64", "/usr/lib/syslinux/mbr/mbr.bin")
	dir := testutil.CopyTree(t, root)
	cmd := exec.Command("bash", "-c", cmds[0])
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ESXI_AUTOPART_CACHE="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s in a fresh copy: %v\n%s", cmds[0], err, out)
	}
	// Both samples and the install CD built and booted: every firmware
	// line passed (each matched every serial marker; no line FAILED).
	for _, want := range []string{`(?m)^demo: built demo/demo-7\.0\.img`, `(?m)^bios: booted `, `(?m)^uefi: booted `,
		`(?m)^demo: built demo/demo-7\.0\.iso .*; inspect: bootable, El Torito BIOS and UEFI entries, ks=http://deploy\.example/ks/demo\.cfg$`,
		`(?m)^cd uefi: booted in .*; matched 5 of 5:$`, `(?m)^  CAT: kernelopt=runweasel cdromBoot ks=http://deploy\.example/ks/demo\.cfg\r?$`} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^(cd )?(bios|uefi): booted `).FindAll(out, -1)); n != 4 {
		t.Errorf("%d boots passed, want 4 (4.1 by BIOS, 7.0 by BIOS and UEFI, the CD by UEFI):\n%s", n, out)
	}
	if regexp.MustCompile(`(?m)FAILED`).Match(out) {
		t.Errorf("a boot failed:\n%s", out)
	}
	for _, img := range []string{"demo/demo.img", "demo/demo-7.0.img", "demo/demo-7.0.iso", "demo/ks.tmpl"} {
		if _, err := os.Stat(filepath.Join(dir, img)); err != nil {
			t.Errorf("the demo left no %s: %v", img, err)
		}
	}
}
