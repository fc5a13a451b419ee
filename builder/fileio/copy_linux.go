//go:build linux

package fileio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// CopyRange copies n bytes from src at soff to dst at doff with
// copy_file_range and explicit offsets (no file position is used), at most
// chunk bytes a call so that ctx is checked and progress (may be nil) hears
// of the bytes done often. It returns the bytes copied; an error wrapping
// ErrFallback when the kernel or file systems cannot, io.ErrUnexpectedEOF
// when src ends early.
func CopyRange(ctx context.Context, dst *os.File, doff int64, src *os.File, soff, n, chunk int64, progress func(done int64)) (int64, error) {
	done := int64(0)
	for done < n {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		roff, woff := soff+done, doff+done
		var k int
		err := withFds(dst, src, func(d, s int) error {
			var err error
			k, err = unix.CopyFileRange(s, &roff, d, &woff, int(min(n-done, chunk)), 0)
			return err
		})
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EXDEV), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL),
			errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOTSUP):
			return done, fmt.Errorf("%w: %v", ErrFallback, err)
		case err != nil:
			return done, err
		case k == 0:
			return done, io.ErrUnexpectedEOF
		}
		done += int64(k)
		if progress != nil {
			progress(done)
		}
	}
	return done, nil
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
