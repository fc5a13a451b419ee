package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/efistub"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestDemoSamplesREADME: after `demo --dir demo --no-boot`, README's
// install CD and GPT examples of the demo's files work as README writes
// them (readmeDemoCommands), and inspect judges both bootable: the 7.0 sample is an El Torito
// CD with a UEFI entry, the 3.86 tarball has gptmbr.bin. Then README's
// boots of the two.
func TestDemoSamplesREADME(t *testing.T) {
	testutil.SkipOrFail(t, asm.Toolchain())
	testutil.SkipOrFail(t, efistub.Toolchain())
	cmds := readmeDemoCommands(t)
	t.Chdir(t.TempDir())
	stdout, stderr, err := runCLI("demo", "--dir", "demo", "--no-boot")
	if err != nil {
		t.Fatalf("demo --no-boot: %v\n%s%s", err, stdout, stderr)
	}
	for _, want := range []string{"demo: built demo/demo-7.0.img ", "demo: built demo/demo-7.0.iso ", "ks=http://deploy.example/ks/demo.cfg\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	for i, tc := range []struct {
		args []string
		want []string // in inspect's output
	}{
		{cmds[0], []string{"  UEFI no emulation, 2880 sectors loaded, EFIBOOT.IMG ", "UEFI EFI/BOOT/BOOT.CFG: kernel /b.b00, 25 modules, ks=cdrom:/KS.CFG\n",
			"added KS.CFG\n", "BOOTABLE: ks=cdrom:/KS.CFG\n"}},
		{cmds[1], []string{"MBR: syslinux 3.x gptmbr.bin,", "firmware view: gptmbr.bin boots partition 1; UEFI's EFI system partition: 1\n",
			"ks=http://deploy/ks/esx01.cfg\n", "): bootable\n"}},
	} {
		out := []string{"esx01.iso", "esx01.img"}[i]
		if tc.args[0] != "build" || tc.args[len(tc.args)-1] != out {
			t.Fatalf("README's demo command %d is %q, want a build of %s", i+1, tc.args, out)
		}
		if stdout, stderr, err := runCLI(tc.args...); err != nil {
			t.Fatalf("%s: %v\n%s%s", strings.Join(tc.args, " "), err, stdout, stderr)
		}
		stdout, stderr, err := runCLI("inspect", out, "--iso", "demo/sample-esxi-7.0.iso")
		if err != nil {
			t.Fatalf("inspect %s: %v\n%s%s", out, err, stdout, stderr)
		}
		for _, want := range tc.want {
			if !strings.Contains(stdout, want) {
				t.Errorf("inspect %s lacks %q:\n%s", out, want, stdout)
			}
		}
	}
	if testing.Short() {
		return
	}
	// README's boots of them: the GPT image by BIOS through the stand-in
	// gptmbr.bin and by UEFI, the CD by UEFI (the sample's isolinux.bin is
	// inert), each judged by its serial console.
	if _, err := qemu.LookPath(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	if _, err := qemu.FindOVMF(""); err != nil {
		testutil.SkipOrFail(t, err)
	}
	for i, tc := range []struct {
		args []string
		want []string
	}{
		{cmds[2], []string{"\nbios: booted in ", "\n  GPTMBR: ok\n", "\nuefi: booted in ", "\n  ks=http://deploy/ks/esx01.cfg\n"}},
		{cmds[3], []string{"\nuefi: booted in ", "\n  ks=cdrom:/KS.CFG\n"}},
	} {
		if tc.args[0] != "boot" || tc.args[1] != []string{"esx01.img", "esx01.iso"}[i] {
			t.Fatalf("README's demo command %d is %q, want a boot", i+3, tc.args)
		}
		stdout, stderr, err := runCLI(tc.args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", strings.Join(tc.args, " "), err, stdout, stderr)
		}
		for _, want := range tc.want {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: output lacks %q:\n%s", strings.Join(tc.args, " "), want, stdout)
			}
		}
	}
}

// readmeDemoCommands are the commands of README.md's indented block after
// the paragraph on `demo --dir demo --no-boot`: continuation lines joined,
// "./esxi-autopart" dropped, words split as the shell would ('…' quoted).
func readmeDemoCommands(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds [][]string
	para, line := false, ""
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case !para:
			para = strings.HasPrefix(l, "`demo --dir demo --no-boot`")
		case strings.HasPrefix(l, "    "):
			line += strings.TrimSpace(l)
			if strings.HasSuffix(line, "\\") {
				line = strings.TrimSuffix(line, "\\")
				continue
			}
			words := shellWords(t, line)
			if len(words) < 2 || words[0] != "./esxi-autopart" {
				t.Fatalf("README: %q is not an esxi-autopart command", line)
			}
			cmds, line = append(cmds, words[1:]), ""
		case len(cmds) > 0:
			if len(cmds) != 4 {
				t.Fatalf("README: %d commands after the demo paragraph, want 4 (two builds, two boots): %q", len(cmds), cmds)
			}
			return cmds
		}
	}
	t.Fatal("README: no commands after a paragraph starting `demo --dir demo --no-boot`")
	return nil
}

// shellWords splits s at blanks outside single quotes.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	in, quoted := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				words, in = append(words, w.String()), false
				w.Reset()
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quoted {
		t.Fatalf("README: unbalanced quote in %q", s)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}
