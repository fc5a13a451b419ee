//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestInterruptedBuild runs the real binary on a real-size ISO (~333 MB)
// and signals it as soon as its temporary image appears, i.e. in the middle
// of the write: it must exit non-zero with a message and leave neither an
// image nor a partial file behind.
func TestInterruptedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a 333 MB ISO")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "esxi-autopart")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	iso, tar := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "syslinux.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{RockRidge: true, RealSizes: true}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			out := t.TempDir()
			img := filepath.Join(out, "esx01.img")
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx01.cfg", "-o", img)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			signalled := false
		wait:
			for {
				select {
				case err = <-done:
					break wait
				default:
				}
				if !signalled && hasPartial(t, out) {
					if serr := cmd.Process.Signal(sig); serr != nil {
						t.Fatalf("signal: %v", serr)
					}
					signalled = true
				}
				time.Sleep(time.Millisecond) // polling, not timing: nothing is asserted about durations
			}
			if !signalled {
				t.Skipf("the build finished before its temporary file was seen (err %v)", err)
			}
			if err == nil {
				t.Fatalf("exit 0 after %v; want a failure\n%s", sig, stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Errorf("exit status %d after %v, want 130 (interrupted)", code, sig)
			}
			msg := strings.TrimSpace(stderr.String())
			if !strings.Contains(msg, "esx01.img") || !strings.Contains(msg, "interrupted") {
				t.Errorf("stderr does not name the image and the interrupt:\n%s", msg)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("left behind: %q", names)
			}
		})
	}
}

// hasPartial reports whether dir holds a temporary image.
func hasPartial(t *testing.T, dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".partial-") {
			return true
		}
	}
	return false
}
