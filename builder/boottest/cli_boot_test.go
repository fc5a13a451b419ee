package boottest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// cliBinary builds the esxi-autopart binary into a temporary folder.
func cliBinary(t *testing.T) string {
	t.Helper()
	testutil.Need(t, "go")
	bin := filepath.Join(t.TempDir(), "esxi-autopart")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// brokenKVM writes a qemu-system-x86_64 that behaves as QEMU does on a
// runner whose KVM cannot run syslinux (it prints KVM's internal error and
// freezes the guest) and runs the real QEMU under TCG; it returns a PATH
// that finds it first.
func brokenKVM(t *testing.T) string {
	t.Helper()
	real, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		testutil.SkipOrFail(t, err)
	}
	dir := t.TempDir()
	script := `#!/bin/sh
for a in "$@"; do
	if [ "$a" = kvm ]; then
		echo "KVM internal error. Suberror: 1" >&2
		echo "emulation failure" >&2
		exec sleep 3600
	fi
done
exec ` + real + ` "$@"
`
	if err := os.WriteFile(filepath.Join(dir, "qemu-system-x86_64"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// TestBootBrokenKVM runs `boot` where KVM cannot run the guest: auto notices
// QEMU's KVM internal error at once, says so and boots under TCG; an
// explicit --accel kvm fails at once with QEMU's reason.
func TestBootBrokenKVM(t *testing.T) {
	t.Parallel()
	testutil.Need(t, "qemu-system-x86_64", debianMBR)
	testutil.SkipOrFail(t, asm.Toolchain())
	bin := cliBinary(t)
	b := buildImage(t, isogen.Spec{RockRidge: true}, baseOptions())
	path := brokenKVM(t)
	cli := func(args ...string) (string, string, int) {
		return runCLIEnv(t, []string{"PATH=" + path, "ESXI_AUTOPART_ACCEL="}, bin, args...)
	}
	args := []string{"boot", b.path, "--timeout", "2m", "--json"}
	for _, l := range standinLines(b.plan.Partition.StartLBA, 1, false) {
		args = append(args, "--expect", "(?m)^"+regexp.QuoteMeta(l)+"$")
	}
	stdout, stderr, code := cli(args...)
	if code != 0 {
		t.Fatalf("auto: exit status %d\n%s%s", code, stdout, stderr)
	}
	var rep struct {
		Boots []struct {
			Firmware, Accel string
			OK              bool
			KVMFailure      string `json:"kvm_failure"`
			AccelReason     string `json:"accel_reason"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Boots) != 1 {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	r := rep.Boots[0]
	if _, kerr := os.OpenFile("/dev/kvm", os.O_RDWR, 0); kerr == nil {
		if r.Accel != "tcg" || r.KVMFailure != "KVM internal error. Suberror: 1" || !strings.Contains(r.AccelReason, "reran under TCG") {
			t.Errorf("auto with KVM failing: %+v", r)
		}
	} else if r.Accel != "tcg" || !strings.HasPrefix(r.AccelReason, "no KVM: ") {
		t.Errorf("auto without /dev/kvm: %+v", r)
	}
	if !r.OK || r.Firmware != "bios" {
		t.Errorf("auto: %+v", r)
	}

	stdout, stderr, code = cli("boot", b.path, "--accel", "kvm", "--expect", "STANDIN: done")
	if code != 1 || !strings.Contains(stdout, "bios: FAILED after ") ||
		!strings.Contains(stdout, "qemu: kvm failed: KVM internal error. Suberror: 1") {
		t.Errorf("--accel kvm: exit status %d\n%s%s", code, stdout, stderr)
	}
}

// TestBootBothFirmwares boots a 7.0-shaped image with `boot` and no
// --firmware: it has an EFI/BOOT loader, so both firmwares run, each on its
// own line; a marker only one of them prints fails the other.
func TestBootBothFirmwares(t *testing.T) {
	t.Parallel()
	testutil.Need(t, "qemu-system-x86_64")
	bin := cliBinary(t)
	efi, files := e5EFIStandin(t, "7.0")
	b := e5Build(t, isogen.Spec{Version: "7.0", Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi}}, e5Options())
	args := []string{"boot", b.path, "--timeout", "3m"}
	for _, l := range e5StandinLines(b.plan.Partition.StartLBA) {
		args = append(args, "--expect-bios", "(?m)^"+regexp.QuoteMeta(l)+"$")
	}
	uefi := e5UEFILines(t, b, files)
	for _, l := range uefi {
		args = append(args, "--expect-uefi", "(?m)^(?:\x1b\\[[0-9;=?]*[A-Za-z])*"+regexp.QuoteMeta(l)+"$")
	}
	stdout, stderr, code := runCLI(t, bin, args...)
	if code != 0 {
		t.Fatalf("boot: exit status %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"by bios and uefi (it has an EFI/BOOT loader)\n", "\nbios: booted in ", "\nuefi: booted in ",
		" MiB RAM (for a ", "-byte payload); matched ",
		"matched 7 of 7:\n", "  STANDIN: done\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("boot output lacks %q:\n%s", want, stdout)
		}
	}
	stdout, stderr, code = runCLI(t, bin, "boot", b.path, "--timeout", "3m", "--expect", "STANDIN: done")
	if code != 1 || !strings.Contains(stdout, "\nbios: booted in ") || !strings.Contains(stdout, "\nuefi: FAILED after ") ||
		!strings.Contains(stderr, "1 of 2 boots failed; the bios boot showed every --expect but the uefi boot never showed /STANDIN: done/: a marker only one firmware prints belongs in --expect-bios") {
		t.Errorf("boot --expect 'STANDIN: done' (BIOS only): exit status %d\n%s%s", code, stdout, stderr)
	}
}

// TestBootCompressed: boot takes a compressed image as it is (QEMU gets a
// raw copy, removed afterwards).
func TestBootCompressed(t *testing.T) {
	t.Parallel()
	testutil.Need(t, "qemu-system-x86_64", debianMBR)
	testutil.SkipOrFail(t, asm.Toolchain())
	bin := cliBinary(t)
	b := buildImage(t, isogen.Spec{RockRidge: true}, baseOptions())
	zst := b.path + ".zst"
	if _, err := compress.CompressFile(context.Background(), compress.Zstd, b.path, zst, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI(t, bin, "boot", zst, "--expect", "STANDIN: done", "--timeout", "2m")
	if code != 0 || !strings.Contains(stdout, "booting "+zst+" by bios") || !strings.Contains(stdout, "  STANDIN: done\n") {
		t.Errorf("boot %s: exit status %d\n%s%s", zst, code, stdout, stderr)
	}
}
