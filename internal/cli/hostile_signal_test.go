//go:build linux

package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"golang.org/x/sys/unix"
)

// TestInterruptedBuild runs the real binary on a real-size ISO (~333 MB)
// and signals it as soon as its temporary image exists, i.e. in the middle
// of the write: after SIGINT or SIGTERM it must exit 130 with a message,
// and after any signal, SIGKILL too, leave neither an image nor a partial
// file behind (the temporary is unnamed: O_TMPFILE).
func TestInterruptedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a 333 MB ISO")
	}
	dir, bin := t.TempDir(), binary(t)
	iso, tar := realSizeInputs(t, dir)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			out := t.TempDir()
			img := filepath.Join(out, "esx01.img")
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx01.cfg", "-o", img)
			cmd.Stderr = &stderr
			signalled, err := signalWhen(t, cmd, sig, func() bool { return hasTemp(t, cmd.Process.Pid, out) })
			if !signalled {
				t.Skipf("the build finished before its temporary file was seen (err %v)", err)
			}
			if err == nil {
				t.Fatalf("exit 0 after %v; want a failure\n%s", sig, stderr.String())
			}
			if sig == syscall.SIGKILL {
				if ents, _ := os.ReadDir(out); len(ents) != 0 {
					if tmpfile(out) {
						t.Fatalf("left behind after SIGKILL: %v", ents)
					}
					// No O_TMPFILE here: the next run removes the dead
					// run's leftover.
					if err := exec.Command(bin, "build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx01.cfg", "-o", img).Run(); err != nil {
						t.Fatal(err)
					}
					if ents, _ := os.ReadDir(out); len(ents) != 1 {
						t.Errorf("after the next run: %v, want only esx01.img", ents)
					}
				}
				return
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

// realSizeInputs writes a real-size ISO (~333 MB) and a tarball into dir.
func realSizeInputs(t *testing.T, dir string) (iso, tar string) {
	iso, tar = filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "syslinux.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{RockRidge: true, RealSizes: true}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	return iso, tar
}

// signalWhen starts cmd, sends it sig the first time ready reports true,
// and returns once it has exited: whether it was signalled, and its error.
func signalWhen(t *testing.T, cmd *exec.Cmd, sig syscall.Signal, ready func() bool) (signalled bool, err error) {
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err = <-done:
			return signalled, err
		default:
		}
		if !signalled && ready() {
			if serr := cmd.Process.Signal(sig); serr != nil {
				t.Fatalf("signal: %v", serr)
			}
			signalled = true
		}
		time.Sleep(time.Millisecond) // polling, not timing: nothing is asserted about durations
	}
}

// tmpfile reports whether dir's file system makes unnamed files.
func tmpfile(dir string) bool {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR, 0o600)
	if err == nil {
		unix.Close(fd)
	}
	return err == nil
}

// hasTemp reports whether process pid has a temporary image open in dir:
// an unnamed O_TMPFILE file (its /proc fd link reads "DIR/#INODE
// (deleted)") or a hidden ".NAME.partial-N".
func hasTemp(t *testing.T, pid int, dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".partial-") {
			return true
		}
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if to, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && strings.HasPrefix(to, dir+"/#") {
			return true
		}
	}
	return false
}

// TestInterruptedBatch signals a --force batch over an earlier run's
// images once its first host is staged: after SIGINT or SIGTERM it exits
// 130 and the old images are as they were, with no stage left; after
// SIGKILL the old images are as they were too, and the next run removes
// the dead run's stage.
func TestInterruptedBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a 333 MB ISO")
	}
	dir, bin := t.TempDir(), binary(t)
	iso, tar := realSizeInputs(t, dir)
	hosts := filepath.Join(dir, "hosts.csv")
	if err := os.WriteFile(hosts, []byte("id\nesx01\nesx02\nesx03\nesx04\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			out := t.TempDir()
			for _, id := range []string{"esx01", "esx02", "esx03", "esx04"} {
				if err := os.WriteFile(filepath.Join(out, id+".img"), []byte("old "+id), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := listDir(t, out)
			args := []string{"build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://deploy/ks/{{.id}}.cfg",
				"--out-dir", out, "--force", "--jobs", "1", "--quiet"}
			cmd := exec.Command(bin, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			signalled, err := signalWhen(t, cmd, sig, func() bool {
				staged, _ := filepath.Glob(filepath.Join(out, ".esxi-autopart.stage-*", "esx01.img"))
				return len(staged) > 0
			})
			if !signalled {
				t.Skipf("the batch finished before its first host was staged (err %v)", err)
			}
			if err == nil {
				t.Fatalf("exit 0 after %v; want a failure\n%s", sig, stderr.String())
			}
			stages, _ := filepath.Glob(filepath.Join(out, ".esxi-autopart.stage-*"))
			if sig != syscall.SIGKILL {
				if code := cmd.ProcessState.ExitCode(); code != 130 {
					t.Errorf("exit status %d after %v, want 130\n%s", code, sig, stderr.String())
				}
				if len(stages) > 0 {
					t.Errorf("stage left: %v", stages)
				}
			}
			if after := listDir(t, out); !slices.Equal(before, slices.DeleteFunc(after, func(s string) bool { return strings.HasPrefix(s, ".esxi-autopart.stage-") })) {
				t.Errorf("out-dir changed:\nbefore %q\nafter  %q", before, after)
			}
			if sig == syscall.SIGKILL {
				if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
					t.Fatalf("next run: %v\n%s", err, b)
				}
				if stages, _ := filepath.Glob(filepath.Join(out, ".esxi-autopart.stage-*")); len(stages) > 0 {
					t.Errorf("the dead run's stage is still there: %v", stages)
				}
			}
		})
	}
}
