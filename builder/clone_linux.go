//go:build linux

package builder

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ReflinkSupported reports whether files in dir can be cloned with FICLONE
// (extents shared, nothing copied): Btrfs, XFS with reflink, bcachefs.
// It tries on two small temporary files.
func ReflinkSupported(dir string) bool {
	a, err := os.CreateTemp(dir, ".reflink-probe-*")
	if err != nil {
		return false
	}
	defer os.Remove(a.Name())
	defer a.Close()
	b, err := os.CreateTemp(dir, ".reflink-probe-*")
	if err != nil {
		return false
	}
	defer os.Remove(b.Name())
	defer b.Close()
	if _, err := a.Write(make([]byte, 4096)); err != nil {
		return false
	}
	return withFds(b, a, func(d, s int) error { return unix.IoctlFileClone(d, s) }) == nil
}

// cloneChunk bounds one copy_file_range call, so that ctx is checked.
const cloneChunk = 64 << 20

// cloneFile makes the empty file dst a copy of the size bytes of src: a
// reflink (FICLONE) where the filesystem shares extents (Btrfs, XFS), else
// copy_file_range of each data segment (SEEK_DATA/SEEK_HOLE: holes stay
// holes), else buffered copies. It reports whether extents are shared.
func cloneFile(ctx context.Context, dst, src *os.File, size int64) (bool, error) {
	if err := withFds(dst, src, func(d, s int) error { return unix.IoctlFileClone(d, s) }); err == nil {
		return true, nil
	}
	return false, copyFile(ctx, dst, src, size)
}

// copyFile copies the data segments of src to the empty file dst.
func copyFile(ctx context.Context, dst, src *os.File, size int64) error {
	if err := dst.Truncate(size); err != nil {
		return err
	}
	for off, segments := int64(0), 0; off < size; segments++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, hole := off, size
		if segments <= 1<<20 { // bounded: past that, copy the rest whole
			data, hole = dataSegment(src, off, size)
		}
		if data >= size {
			break
		}
		if err := copyRange(ctx, dst, src, data, hole-data); err != nil {
			return err
		}
		off = hole
	}
	return nil
}

// dataSegment returns the next data segment [data, hole) at or after off;
// data == size when only holes follow. Without SEEK_DATA support the rest
// of the file is one segment.
func dataSegment(f *os.File, off, size int64) (data, hole int64) {
	err := withFds(f, f, func(fd, _ int) error {
		var err error
		if data, err = unix.Seek(fd, off, unix.SEEK_DATA); err != nil {
			return err
		}
		hole, err = unix.Seek(fd, data, unix.SEEK_HOLE)
		return err
	})
	switch {
	case errors.Is(err, unix.ENXIO):
		return size, size
	case err != nil || data < off || hole <= data:
		return off, size
	}
	return data, min(hole, size)
}

// copyRange copies n bytes at off from src to dst with copy_file_range,
// falling back to buffered copies where the kernel cannot.
func copyRange(ctx context.Context, dst, src *os.File, off, n int64) error {
	done := int64(0)
	for done < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		roff, woff := off+done, off+done
		var k int
		err := withFds(dst, src, func(d, s int) error {
			var err error
			k, err = unix.CopyFileRange(s, &roff, d, &woff, int(min(n-done, cloneChunk)), 0)
			return err
		})
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return copyBuffered(ctx, dst, src, off+done, n-done)
		case k == 0:
			return io.ErrUnexpectedEOF
		}
		done += int64(k)
	}
	return nil
}

// withFds runs fn with the descriptors of a and b.
func withFds(a, b *os.File, fn func(a, b int) error) error {
	ac, err := a.SyscallConn()
	if err != nil {
		return err
	}
	bc, err := b.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = ac.Control(func(afd uintptr) {
		err := bc.Control(func(bfd uintptr) { ferr = fn(int(afd), int(bfd)) })
		if err != nil {
			ferr = err
		}
	})
	if err != nil {
		return err
	}
	return ferr
}
