package boottest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// realSizeModule is the size TestBootRealSizeBIOS gives sys.vgz: with the
// other 4.1 modules the boot loads 340,531,570 bytes into RAM.
const realSizeModule = 300 << 20

// TestBootRealSizeBIOS boots a real-size payload with `boot`'s defaults:
// an ESXi 4.1 image whose sys.vgz is 300 MiB, with Debian's SYSLINUX 6.04
// installed, whose mboot.c32 reads the test kernel and every module into
// RAM before it starts the kernel. boot sizes the guest's RAM from what
// inspect finds on the boot path and the kernel sees every module; with
// --memory 256 mboot.c32 fails to load the modules ("Loading sys.vgz...
// failed!", then it retries others) and boot's error says how much RAM
// the payload needs.
func TestBootRealSizeBIOS(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and boots a 340 MB payload")
	}
	t.Parallel()
	testutil.Need(t, "qemu-system-x86_64")
	bin := cliBinary(t)
	testutil.SkipOrFail(t, asm.Toolchain())
	k, err := asm.BuildKernel(filepath.Join(t.TempDir(), "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	o := baseOptions()
	o.Timeout = 1
	b := buildImage(t, isogen.Spec{Version: "4.1", RealSizes: true, RockRidge: true,
		Files: map[string][]byte{"vmkboot.gz": k}, Sizes: map[string]int64{"sys.vgz": realSizeModule}}, o)
	b.modules = esxiModules["4.1"]
	installSyslinux604(t, b, b.path)
	var payload int64
	for _, f := range b.plan.Files {
		if f.Dst == "MBOOT.C32" {
			continue // Debian's replaced it
		}
		for _, m := range append([]string{"vmkboot.gz"}, b.modules...) {
			if strings.EqualFold(f.Dst, m) {
				payload += f.Size
			}
		}
	}
	st, err := os.Stat(debianModules + "/mboot.c32")
	if err != nil {
		t.Fatal(err)
	}
	payload += st.Size()
	mem := qemu.MemoryFor(payload)
	want := []string{"boot", b.path, "--firmware", "bios", // the defaults: RAM, timeout and silence grow with the payload
		"--expect-bios", `(?m)^TESTKERNEL: modules=5$`, "--expect-bios", `(?m)^TESTKERNEL: module\[1\]=sys.vgz size=314572800 `, "--expect-bios", `(?m)^TESTKERNEL: done$`}
	stdout, stderr, code := runCLIFor(t, 10*time.Minute, bin, want...)
	line := fmt.Sprintf(", %d MiB RAM (for a %s-byte payload); matched 3 of 3:\n", mem, human.Commas(payload))
	if code != 0 || !strings.Contains(stdout, line) {
		t.Fatalf("boot with its defaults: exit status %d, want a line with %q\n%s%s", code, line, stdout, stderr)
	}
	t.Logf("%s", stdout)

	stdout, stderr, code = runCLI(t, bin, "boot", b.path, "--firmware", "bios", "--memory", "256", "--timeout", "40s",
		"--expect-bios", `TESTKERNEL: done`)
	hint := fmt.Sprintf("the guest had 256 MiB (--memory) but this boot loads %s bytes into RAM, for which boot's default is %d MiB", human.Commas(payload), mem)
	if code != 1 || !strings.Contains(stdout, "bios: FAILED after ") || !strings.Contains(stdout, hint) || !regexp.MustCompile(`Loading \S+\.v?gz\.\.\. failed!`).MatchString(stdout) {
		t.Fatalf("boot --memory 256: exit status %d, want FAILED, %q and mboot's failure\n%s%s", code, hint, stdout, stderr)
	}
}

// runCLIFor is runCLI with a longer bound, for real-size boots on a loaded
// machine (runCLI gives up after 4 minutes).
func runCLIFor(t *testing.T, d time.Duration, bin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %s: %v\nstderr: %s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}
