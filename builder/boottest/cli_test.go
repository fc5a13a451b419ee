package boottest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// runCLI runs the binary and returns its stdout, stderr and exit status.
func runCLI(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	return runCLIEnv(t, nil, bin, args...)
}

// runCLIEnv is runCLI with env (KEY=VALUE) added to the environment.
func runCLIEnv(t *testing.T, env []string, bin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %s: %v\nstderr: %s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// TestCLI builds the esxi-autopart binary and runs it end to end: demo
// builds, inspects and boots its sample image; build (with disk flags) and
// boot work on the demo's sample inputs; inspect rejects a damaged copy,
// naming the fault.
func TestCLI(t *testing.T) {
	t.Parallel()
	testutil.Need(t, "go", "qemu-system-x86_64", debianMBR)
	testutil.SkipOrFail(t, asm.Toolchain())
	dir := t.TempDir()
	bin := cliBinary(t)

	demo := filepath.Join(dir, "demo")
	stdout, stderr, code := runCLI(t, bin, "demo", "--dir", demo)
	if code != 0 {
		t.Fatalf("demo: exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"demo: inspect: bootable\n", "\nbios: booted in ", "  STANDIN: done\n", "\nuefi: booted in "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}

	// build from the demo's sample inputs (stand-in loader, mbr.bin) with
	// other disk flags, then boot it with the boot command.
	esx02 := filepath.Join(dir, "esx02.img")
	if stdout, stderr, code := runCLI(t, bin, "build", "--iso", filepath.Join(demo, "sample-esxi-4.1.iso"),
		"--syslinux", filepath.Join(demo, "sample-syslinux-3.70.tar.gz"), "--host", "esx02", "--ks", testKS,
		"--fat", "32", "--partition-start", "63", "--raid", "-o", esx02); code != 0 {
		t.Fatalf("build: exit status %d\n%s%s", code, stdout, stderr)
	}
	bootArgs := []string{"boot", esx02, "--timeout", "2m"}
	for _, l := range standinLines(63, 1, true) {
		bootArgs = append(bootArgs, "--expect", "(?m)^"+regexp.QuoteMeta(l)+"$")
	}
	if stdout, stderr, code := runCLI(t, bin, bootArgs...); code != 0 {
		t.Errorf("boot: exit status %d\n%s%s", code, stdout, stderr)
	}
	// The loader reports RAID on, so expecting it off must fail.
	// The stand-in finishes (status 33) without printing it.
	if stdout, stderr, code := runCLI(t, bin, "boot", esx02, "--expect", "raid=0"); code == 0 ||
		!strings.Contains(stdout, "bios: FAILED after ") || !strings.Contains(stdout, "exited with status 33 before /raid=0/") {
		t.Errorf("boot --expect raid=0 of a --raid image: exit status %d\n%s%s", code, stdout, stderr)
	}

	img := filepath.Join(demo, "demo.img")
	if stdout, stderr, code := runCLI(t, bin, "inspect", img); code != 0 {
		t.Fatalf("inspect of the demo image: exit status %d\n%s%s", code, stdout, stderr)
	}
	bad := filepath.Join(dir, "two-active.img")
	copyFile(t, img, bad)
	secondActive(t, built{path: bad})
	stdout, stderr, code = runCLI(t, bin, "inspect", bad)
	if code != 3 {
		t.Errorf("inspect of a damaged image: exit status %d, want 3\n%s%s", code, stdout, stderr)
	}
	fault := `FAULT: 2 active partitions (1, 2): mbr.bin would print "Multiple active partitions."` + "\n"
	if !strings.Contains(stdout, fault) || !strings.Contains(stdout, ": NOT BOOTABLE\n") {
		t.Errorf("inspect output lacks %q and the verdict:\n%s", fault, stdout)
	}
	if !strings.Contains(stderr, "would not boot: 1 fault(s)") {
		t.Errorf("inspect stderr = %q", stderr)
	}
}
