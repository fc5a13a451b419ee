package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// LoopDevice attaches file to a free loop device (losetup -f --show, with
// --partscan when partscan is set, so that /dev/loopNpM appear) and
// detaches it when the test ends. Without root, losetup or a free loop
// device the test skips, or under CI fails (CI runs as root).
func LoopDevice(t testing.TB, file string, partscan bool) string {
	t.Helper()
	losetup := NeedTool(t, "losetup")
	if os.Geteuid() != 0 {
		SkipOrFail(t, fmt.Errorf("loop devices need root (uid %d)", os.Geteuid()))
	}
	args := []string{"-f", "--show"}
	if partscan {
		args = append(args, "--partscan")
	}
	out, err := exec.Command(losetup, append(args, file)...).CombinedOutput()
	if err != nil {
		SkipOrFail(t, fmt.Errorf("losetup %s %s: %v: %s", strings.Join(args, " "), file, err, out))
	}
	dev := strings.TrimSpace(string(out))
	if partscan {
		// The kernel's scan is not always there at once (or at all in some
		// containers): partx adds the partitions it finds (BLKPG).
		exec.Command("partx", "-a", dev).Run()
	}
	t.Cleanup(func() {
		// udev or a partition scan may hold the device for a moment.
		for i := 0; ; i++ {
			out, err := exec.Command(losetup, "-d", dev).CombinedOutput()
			if err == nil || i == 20 {
				if err != nil {
					t.Errorf("losetup -d %s: %v: %s", dev, err, out)
				}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	return dev
}

// FillFile creates name with size bytes of b (a used disk's old bytes).
func FillFile(t testing.TB, name string, size int64, b byte) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = b
	}
	for off := int64(0); off < size; off += int64(len(chunk)) {
		n := min(int64(len(chunk)), size-off)
		if _, err := f.WriteAt(chunk[:n], off); err != nil {
			t.Fatal(err)
		}
	}
}
