package cli

import (
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/efistub"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestDemoSamplesREADME: after `demo --dir demo --no-boot`, README's
// install CD and GPT examples work as README writes them on the demo's
// files, and inspect judges both bootable: the 7.0 sample is an El Torito
// CD with a UEFI entry, the 3.86 tarball has gptmbr.bin.
func TestDemoSamplesREADME(t *testing.T) {
	testutil.SkipOrFail(t, asm.Toolchain())
	testutil.SkipOrFail(t, efistub.Toolchain())
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
	for _, tc := range []struct {
		args []string
		want []string // in inspect's output
	}{
		{[]string{"build", "--iso", "demo/sample-esxi-7.0.iso", "--host", "esx01", "--ks-template", "demo/ks.tmpl", "--embed-ks", "-o", "esx01.iso"},
			[]string{"  UEFI no emulation, 2880 sectors loaded, EFIBOOT.IMG ", "UEFI EFI/BOOT/BOOT.CFG: kernel /b.b00, 25 modules, ks=cdrom:/KS.CFG\n",
				"added KS.CFG\n", "BOOTABLE: ks=cdrom:/KS.CFG\n"}},
		{[]string{"build", "--iso", "demo/sample-esxi-7.0.iso", "--syslinux", "demo/sample-syslinux-3.86.tar.gz",
			"--ks", "http://deploy/ks/esx01.cfg", "--table", "gpt", "-o", "esx01.img"},
			[]string{"MBR: syslinux 3.x gptmbr.bin,", "firmware view: gptmbr.bin boots partition 1; UEFI's EFI system partition: 1\n",
				"ks=http://deploy/ks/esx01.cfg\n", "): bootable\n"}},
	} {
		if stdout, stderr, err := runCLI(tc.args...); err != nil {
			t.Fatalf("%s: %v\n%s%s", strings.Join(tc.args, " "), err, stdout, stderr)
		}
		out := tc.args[len(tc.args)-1]
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
}
