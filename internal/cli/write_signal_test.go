//go:build linux

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/diskgen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestInterruptedWrite: SIGINT while the real binary writes a 7.0-sized
// image (about 360 MB of used clusters) into partition 2 of a used disk
// file: exit 130, a message that names the target and says what it holds
// now, and sector 0 (boot code, table, active flag) as it was, since it is
// written last.
func TestInterruptedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a 397 MB ISO")
	}
	dir, bin := t.TempDir(), binary(t)
	iso, tar := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "syslinux.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0", RealSizes: true}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{Version: "3.86", Date: "2010-04-16"}); err != nil {
		t.Fatal(err)
	}
	sda, _ := seedDisk(t, dir)
	// The seed disk's partition 2 is too small for this payload: make one
	// of 800,000 sectors at LBA 4096.
	s := diskgen.Spec{Fill: 0xA5, BootCode: []byte("old"), Size: (4096 + 800_000) * 512,
		Partitions: []diskgen.Partition{{Start: 2048, Sectors: 2048, Type: 0x83, Active: true}, {Start: 4096, Sectors: 800_000, Type: 0x0C}}}
	if err := diskgen.Write(sda, s); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "esx01.img")
	testutil.Run(t, nil, bin, "build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx01.cfg", "--like-disk", sda, "-o", img, "--quiet")
	before, _ := diskgen.Hash(sda, 0, 512)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "write", img, sda, "--yes")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	signalled, err := signalWhen(t, cmd, syscall.SIGINT, func() bool { return writing(cmd.Process.Pid, sda) })
	if !signalled {
		t.Skipf("the write finished before it was seen writing (err %v)", err)
	}
	if err == nil {
		t.Skipf("the write finished before the signal took effect:\n%s", stdout.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status %d after SIGINT, want 130\n%s", code, stderr.String())
	}
	msg := stderr.String()
	t.Log(strings.TrimSpace(msg))
	for _, want := range []string{"interrupted", "partition 2 holds part of the new FAT volume", "sector 0 (boot code, table, active flag) and every other partition are as they were"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if after, _ := diskgen.Hash(sda, 0, 512); after != before {
		t.Error("sector 0 changed")
	}
}

// writing reports whether process pid has target open with O_DIRECT (the
// descriptor write opens for its copy) and has written 8 MiB or more
// (wchar of /proc/PID/io counts the bytes of every write call).
func writing(pid int, target string) bool {
	io, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	var wchar int64
	for _, line := range strings.Split(string(io), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar:"); ok {
			wchar, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if wchar < 8<<20 {
		return false
	}
	fds := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, _ := os.ReadDir(fds)
	for _, e := range ents {
		if l, _ := os.Readlink(filepath.Join(fds, e.Name())); l != target {
			continue
		}
		info, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + e.Name())
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				if f, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64); err == nil && f&syscall.O_DIRECT != 0 {
					return true
				}
			}
		}
	}
	return false
}
