package qemu_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// kernelOptions builds the multiboot test kernel and returns Options that
// boot it with QEMU's -kernel loader and two modules.
func kernelOptions(t *testing.T) qemu.Options {
	t.Helper()
	if err := asm.Toolchain(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	if _, err := qemu.LookPath(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	dir := t.TempDir()
	k, err := asm.BuildKernel(filepath.Join(dir, "build"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"kernel": string(k), "m1": "first module", "m2": "second"}
	for name, c := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := qemu.NewOptions("")
	o.Timeout = 90 * time.Second
	o.Extra = []string{"-kernel", filepath.Join(dir, "kernel"), "-append", "hello",
		"-initrd", filepath.Join(dir, "m1") + " arg," + filepath.Join(dir, "m2")}
	return o
}

func res(ss ...string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, s := range ss {
		out = append(out, regexp.MustCompile(s))
	}
	return out
}

func TestRunKernel(t *testing.T) {
	o := kernelOptions(t)
	o.SerialLog = filepath.Join(t.TempDir(), "console.log")
	r, err := qemu.Run(context.Background(), o, res(
		`TESTKERNEL: cmdline=\S+ hello`,
		`module\[0\]=\S+/m1 arg size=12 first=\w+ \|first module\|`,
		`module\[1\]=\S+/m2 size=6`,
		`TESTKERNEL: done`))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Matched) != 4 || !strings.HasSuffix(r.Matched[0], " hello") {
		t.Errorf("Matched = %q", r.Matched)
	}
	if !strings.Contains(r.Console, "TESTKERNEL: start magic=ok\n") {
		t.Errorf("Console = %q", r.Console)
	}
	if r.ExitCode != -1 && r.ExitCode != asm.StatusKernelDone {
		t.Errorf("ExitCode = %d, want -1 (stopped) or %d", r.ExitCode, asm.StatusKernelDone)
	}
	if r.Accel != "kvm" && r.Accel != "tcg" {
		t.Errorf("Accel = %q", r.Accel)
	}
	log, err := os.ReadFile(o.SerialLog)
	if err != nil || !strings.Contains(string(log), "TESTKERNEL: start magic=ok") {
		t.Errorf("serial log %s: %v %q", o.SerialLog, err, log)
	}
}

func TestRunFails(t *testing.T) {
	o := kernelOptions(t)
	tests := []struct {
		name    string
		expect  []*regexp.Regexp
		matched int
		errHas  []string
	}{
		{"never printed", res(`TESTKERNEL: modules=2`, `NEVER PRINTED`), 1,
			[]string{"exited with status 99", "/NEVER PRINTED/", "matched 1 of 2", "TESTKERNEL: done"}},
		{"out of order", res(`TESTKERNEL: done`, `TESTKERNEL: start`), 1,
			[]string{"exited with status 99", "/TESTKERNEL: start/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := qemu.Run(context.Background(), o, tc.expect)
			if err == nil {
				t.Fatalf("Run succeeded: %+v", r)
			}
			t.Log(err)
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q:\n%v", s, err)
				}
			}
			if len(r.Matched) != tc.matched || r.ExitCode != asm.StatusKernelDone {
				t.Errorf("Matched %q ExitCode %d", r.Matched, r.ExitCode)
			}
		})
	}
}

// TestRunStops checks that Run stops a guest that never finishes: on its
// timeout and when the caller's context ends.
func TestRunStops(t *testing.T) {
	if _, err := qemu.LookPath(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	o := qemu.NewOptions("") // no disk: SeaBIOS waits for a boot device
	o.Accel = "tcg"
	o.Timeout = 3 * time.Second
	_, err := qemu.Run(context.Background(), o, res(`never`))
	if err == nil || !strings.Contains(err.Error(), "timeout after 3s before /never/") {
		t.Errorf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o.Timeout = time.Minute
	r, err := qemu.Run(ctx, o, res(`never`))
	if !errors.Is(err, context.Canceled) || r.ExitCode != -1 {
		t.Errorf("cancelled: %v, exit %d", err, r.ExitCode)
	}
}

func TestRunBadInput(t *testing.T) {
	if _, err := qemu.Run(context.Background(), qemu.NewOptions("x"), nil); err == nil {
		t.Error("no patterns: no error")
	}
	if _, err := qemu.Run(context.Background(), qemu.NewOptions("x"), []*regexp.Regexp{nil}); err == nil {
		t.Error("nil pattern: no error")
	}
	t.Setenv("PATH", t.TempDir())
	_, err := qemu.Run(context.Background(), qemu.NewOptions("x"), res(`x`))
	if !errors.Is(err, qemu.ErrNoQEMU) || !strings.Contains(err.Error(), "apt-get install qemu-system-x86") {
		t.Errorf("missing qemu: %v", err)
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err == nil {
		t.Error("PATH not emptied")
	}
}
