package qemu_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
)

// fakeModeEnv makes the test binary act as qemu-system-x86_64 (see fakeQEMU).
const fakeModeEnv = "ESXI_AUTOPART_FAKE_QEMU"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeModeEnv); mode != "" {
		os.Exit(fakeQEMU(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeQEMU behaves as QEMU does in the failures Run must notice. Under
// -accel tcg every mode boots: "FAKE: booted accel=tcg", "FAKE: done".
//
//	kvm-internal  kvm: QEMU's KVM internal error on stderr, then hangs
//	kvm-state     kvm: run state internal-error over QMP, nothing on stderr, hangs
//	kvm-init      kvm: "failed to initialize kvm", exit 1
//	panic         any accel: "FAKE: start", then run state guest-panicked, hangs
//	silent        any accel: "FAKE: start", then nothing, hangs
func fakeQEMU(mode string, args []string) int {
	accel, qmp := "", ""
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-accel":
			accel = args[i+1]
		case "-qmp":
			qmp = strings.TrimPrefix(strings.Split(args[i+1], ",")[0], "unix:")
		}
	}
	state := "running"
	hang := func() int {
		if qmp != "" {
			serveQMP(qmp, func() string { return state })
		}
		time.Sleep(time.Hour)
		return 0
	}
	switch {
	case accel == "tcg" && mode != "panic" && mode != "silent":
		fmt.Println("FAKE: booted accel=tcg")
		fmt.Println("FAKE: done")
		return hang()
	case mode == "kvm-internal":
		fmt.Println("SeaBIOS (fake)")
		fmt.Fprintln(os.Stderr, "KVM internal error. Suberror: 1")
		fmt.Fprintln(os.Stderr, "emulation failure")
		fmt.Fprintln(os.Stderr, "EAX=00000000 EBX=00000000")
		state = "internal-error"
		return hang()
	case mode == "kvm-state":
		state = "internal-error"
		return hang()
	case mode == "kvm-init":
		fmt.Fprintln(os.Stderr, "qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied")
		return 1
	case mode == "panic":
		fmt.Println("FAKE: start")
		go func() { time.Sleep(300 * time.Millisecond); state = "guest-panicked" }()
		return hang()
	case mode == "silent":
		fmt.Println("FAKE: start")
		return hang()
	}
	fmt.Fprintln(os.Stderr, "fake qemu: unknown mode", mode)
	return 2
}

// serveQMP answers qmp_capabilities and query-status on a unix socket.
func serveQMP(path string, state func() string) {
	l, err := net.Listen("unix", path)
	if err != nil {
		return
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprintln(c, `{"QMP": {"version": {}, "capabilities": []}}`)
				s := bufio.NewScanner(c)
				for s.Scan() {
					if strings.Contains(s.Text(), "query-status") {
						fmt.Fprintf(c, `{"return": {"status": %q, "running": false}}`+"\n", state())
					} else {
						fmt.Fprintln(c, `{"return": {}}`)
					}
				}
			}()
		}
	}()
}

// useFakeQEMU puts the test binary first on PATH as qemu-system-x86_64.
func useFakeQEMU(t *testing.T, mode string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, qemu.Binary)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(fakeModeEnv, mode)
	t.Setenv(qemu.AccelEnv, "")
	qemu.ResetKVMVerdict(true)
	t.Cleanup(func() { qemu.ResetKVMVerdict(false) })
}

// TestAccelFallback: a KVM that QEMU says has failed is noticed at once;
// auto reruns under TCG, remembers it, and explicit kvm fails with the reason.
func TestAccelFallback(t *testing.T) {
	tests := []struct {
		mode, reason string
	}{
		{"kvm-internal", "KVM internal error. Suberror: 1"},
		{"kvm-state", "run state internal-error"},
		{"kvm-init", "failed to initialize kvm: Permission denied"},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			useFakeQEMU(t, tc.mode)
			o := qemu.NewOptions("disk.img")
			o.Timeout = time.Minute
			r, err := qemu.Run(context.Background(), o, res(`FAKE: booted accel=tcg`, `FAKE: done`))
			if err != nil {
				t.Fatal(err)
			}
			if r.Accel != "tcg" || !strings.Contains(r.Fallback, tc.reason) ||
				!strings.Contains(r.AccelReason, "reran under TCG") {
				t.Errorf("auto: accel %q fallback %q reason %q", r.Accel, r.Fallback, r.AccelReason)
			}
			if r.Duration > 10*time.Second {
				t.Errorf("auto took %s: the KVM failure was not noticed at once", r.Duration)
			}
			t.Logf("auto: %s in %s", r.AccelReason, r.Duration)

			r, err = qemu.Run(context.Background(), o, res(`FAKE: done`))
			if err != nil || r.Accel != "tcg" || r.Fallback != "" || !strings.Contains(r.AccelReason, "KVM failed earlier") {
				t.Errorf("second auto boot: %v, accel %q, fallback %q, reason %q", err, r.Accel, r.Fallback, r.AccelReason)
			}

			o.Accel = "kvm"
			start := time.Now()
			_, err = qemu.Run(context.Background(), o, res(`FAKE: done`))
			var ae *qemu.AccelError
			if !errors.As(err, &ae) || ae.Accel != "kvm" || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("explicit kvm: %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("explicit kvm took %s", d)
			}
		})
	}
}

// TestRunEndsEarly: a guest QEMU has stopped, or a console gone silent,
// ends the boot with the console tail long before the timeout.
func TestRunEndsEarly(t *testing.T) {
	tests := []struct {
		mode, errHas string
		silence      time.Duration
	}{
		{"panic", "QEMU stopped the guest (run state guest-panicked)", 0},
		{"silent", "console silent for 500ms after /FAKE: start/", 500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			useFakeQEMU(t, tc.mode)
			o := qemu.NewOptions("disk.img")
			o.Accel, o.Timeout, o.Silence = "tcg", time.Minute, tc.silence
			start := time.Now()
			_, err := qemu.Run(context.Background(), o, res(`FAKE: start`, `never`))
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), "console tail:\n  FAKE: start") {
				t.Fatalf("err = %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s: waited for the timeout", d)
			}
		})
	}
}

func TestResolveAccel(t *testing.T) {
	qemu.ResetKVMVerdict(true)
	defer qemu.ResetKVMVerdict(false)
	tests := []struct {
		accel, env, want, why string
	}{
		{"tcg", "kvm", "tcg", "asked for"},
		{"kvm", "", "kvm", "asked for"},
		{"", "tcg", "tcg", "ESXI_AUTOPART_ACCEL=tcg"},
		{"auto", "kvm", "kvm", "ESXI_AUTOPART_ACCEL=kvm"},
		{"auto", "", "kvm", "/dev/kvm opens; TCG if KVM fails"},
		{"hvf", "", "", "want auto, kvm or tcg"},
		{"auto", "xen", "", "ESXI_AUTOPART_ACCEL=\"xen\""},
	}
	for _, tc := range tests {
		t.Setenv(qemu.AccelEnv, tc.env)
		got, why, err := qemu.ResolveAccel(tc.accel)
		if err != nil {
			why = err.Error()
		}
		if got != tc.want || !strings.Contains(why, tc.why) {
			t.Errorf("ResolveAccel(%q) with %s=%q = %q, %q; want %q, %q", tc.accel, qemu.AccelEnv, tc.env, got, why, tc.want, tc.why)
		}
	}
}
