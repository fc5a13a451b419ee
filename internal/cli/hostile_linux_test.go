package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// blockDevice makes a block device node (loop0's numbers, 7:0) in the
// output folder; without the privilege it falls back to /dev/loop0.
func (e *hostileEnv) blockDevice(name string) string {
	p := filepath.Join(e.out, name)
	err := syscall.Mknod(p, syscall.S_IFBLK|0o600, 7<<8) // major 7 (loop), minor 0
	if err == nil {
		return p
	}
	if st, serr := os.Stat("/dev/loop0"); serr == nil && st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0 {
		return "/dev/loop0"
	}
	e.privileged("mknod "+p, err)
	return p
}

// tinyFS mounts a 16 KiB tmpfs in the input folder, too small for any image,
// makes it the watched folder and returns it.
func (e *hostileEnv) tinyFS() string {
	dir := filepath.Join(e.in, "tiny")
	if err := os.Mkdir(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16k"); err != nil {
		e.privileged(fmt.Sprintf("mount tmpfs on %s", dir), err)
		return dir
	}
	e.t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			e.t.Errorf("umount %s: %v", dir, err)
		}
	})
	e.watch = dir
	return dir
}

// fifo makes a named pipe (with no writer) in the input folder.
func (e *hostileEnv) fifo(name string) string {
	p := filepath.Join(e.in, name)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}
