//go:build linux

package fileio

import (
	"context"
	"errors"
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

// Clone makes the empty file dst a copy of the size bytes of src: a
// reflink (FICLONE) where the file system shares extents (Btrfs, XFS), else
// a copy of each data segment (holes stay holes). It reports whether
// extents are shared.
func Clone(ctx context.Context, dst, src *os.File, size int64) (bool, error) {
	if err := withFds(dst, src, func(d, s int) error { return unix.IoctlFileClone(d, s) }); err == nil {
		return true, nil
	}
	return false, copyData(ctx, dst, src, size)
}

// copyData copies the data segments of src to the empty file dst.
func copyData(ctx context.Context, dst, src *os.File, size int64) error {
	if err := dst.Truncate(size); err != nil {
		return err
	}
	for off, segments := int64(0), 0; off < size; segments++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, hole := off, size
		if segments <= 1<<20 { // bounded: past that, copy the rest whole
			data, hole = DataSegment(src, off, size)
		}
		if data >= size {
			break
		}
		if err := Copy(ctx, dst, data, src, data, hole-data); err != nil {
			return err
		}
		off = hole
	}
	return nil
}

// DataSegment returns the first data segment [data, hole) of f at or after
// off and below size; data == size when only holes follow. Where the file
// system cannot tell (no SEEK_DATA), the rest is one data segment: callers
// then read what they would have skipped, which is slower, never wrong.
func DataSegment(f *os.File, off, size int64) (data, hole int64) {
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
	return min(data, size), min(hole, size)
}

// Reflink makes dst share all of src's extents (FICLONE); an error when
// the file system cannot (then nothing was changed).
func Reflink(dst, src *os.File) error {
	return withFds(dst, src, func(d, s int) error { return unix.IoctlFileClone(d, s) })
}
