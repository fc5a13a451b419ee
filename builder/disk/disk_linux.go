//go:build linux

package disk

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func openFile(name string, write, exclusive bool) (*os.File, error) {
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
	}
	if exclusive {
		flag |= unix.O_EXCL
	}
	f, err := os.OpenFile(name, flag|unix.O_CLOEXEC, 0)
	if exclusive && errors.Is(err, unix.EBUSY) {
		return nil, fmt.Errorf("%s: the kernel refuses an exclusive open (%w): it, or a partition of it, is mounted or claimed", name, ErrBusy)
	}
	return f, err
}

func deviceSize(f *os.File) (int64, error) {
	var n uint64
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n))); e != 0 {
		return 0, fmt.Errorf("%s: ioctl BLKGETSIZE64: %w", f.Name(), e)
	}
	return int64(n), nil
}

// probe fills in the size, sector size and device number.
func (t *Target) probe() error {
	if !t.Device {
		fi, err := t.File.Stat()
		if err != nil {
			return err
		}
		t.Size = fi.Size()
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(t.File.Fd()), &st); err != nil {
		return err
	}
	t.Major, t.Minor = unix.Major(st.Rdev), unix.Minor(st.Rdev)
	n, err := deviceSize(t.File)
	if err != nil {
		return err
	}
	t.Size = n
	ss, err := unix.IoctlGetInt(int(t.File.Fd()), unix.BLKSSZGET)
	if err != nil {
		return fmt.Errorf("ioctl BLKSSZGET: %w", err)
	}
	t.SectorSize = ss
	return nil
}

// RereadPartitions asks the kernel to re-read the partition table
// (BLKRRPART); a file needs nothing. The kernel refuses (EBUSY) while a
// partition of the disk is in use.
func (t *Target) RereadPartitions() error {
	if !t.Device {
		return nil
	}
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, t.File.Fd(), unix.BLKRRPART, 0); e != 0 {
		return fmt.Errorf("%s: ioctl BLKRRPART: %w", t.Name, e)
	}
	return nil
}

// Sync flushes what was written to the disk (fsync; a device also drops
// its buffer cache with BLKFLSBUF) and drops the cached pages, so that a
// read afterwards comes from the disk.
func (t *Target) Sync() error {
	if err := t.File.Sync(); err != nil {
		return fmt.Errorf("%s: fsync: %w", t.Name, err)
	}
	if t.direct != nil {
		if err := t.direct.Sync(); err != nil {
			return fmt.Errorf("%s: fsync: %w", t.Name, err)
		}
	}
	if t.Device {
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, t.File.Fd(), unix.BLKFLSBUF, 0); e != 0 {
			return fmt.Errorf("%s: ioctl BLKFLSBUF: %w", t.Name, e)
		}
	}
	_ = unix.Fadvise(int(t.File.Fd()), 0, 0, unix.FADV_DONTNEED) // advice: O_DIRECT reads do not need it
	return nil
}

// directFile is a second descriptor of the target with O_DIRECT (I/O that
// bypasses the page cache), or nil where the file system has none (tmpfs).
func (t *Target) directFile() *os.File {
	if t.direct != nil {
		return t.direct
	}
	f, err := os.OpenFile(t.Name, os.O_RDWR|unix.O_DIRECT|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	t.direct = f
	return f
}

// alignedBuffer is n bytes of page-aligned memory (O_DIRECT's buffers).
func alignedBuffer(n int) []byte {
	m, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		b := make([]byte, n+4096)
		skip := int((4096 - uintptr(unsafe.Pointer(&b[0]))%4096) % 4096)
		return b[skip : skip+n : skip+n]
	}
	return m
}

// FlushPartition drops the kernel's cached pages of the partition node
// /dev/NODE (BLKFLSBUF): a write through the whole disk does not update
// them, and a reader of the partition (fsck, mount) would see old bytes.
func FlushPartition(node string) error {
	f, err := os.Open("/dev/" + node)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKFLSBUF, 0); e != 0 {
		return fmt.Errorf("/dev/%s: ioctl BLKFLSBUF: %w", node, e)
	}
	return nil
}
