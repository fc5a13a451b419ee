//go:build linux

package fat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// CopyChunk bounds one copy_file_range call, so that ctx is checked and
// progress is reported often enough for a reader to follow the writer
// closely (the builder's read-back pass hashes behind it on another core,
// and starves while a long call runs: 2 MiB builds ~25% faster than 8).
const CopyChunk = 2 << 20

// copyRange copies n bytes from src at soff to dst at doff with
// copy_file_range and explicit offsets (no file position is used). It
// returns the bytes copied; errFallback when the kernel or filesystems
// cannot (EXDEV, ENOSYS, EINVAL, EOPNOTSUPP), io.ErrUnexpectedEOF when
// src ends early. progress (may be nil) gets the bytes done after each call.
func copyRange(ctx context.Context, dst *os.File, doff int64, src *os.File, soff int64, n int64, progress func(done int64)) (int64, error) {
	sc, err := src.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errFallback, err)
	}
	dc, err := dst.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errFallback, err)
	}
	done := int64(0)
	for done < n {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		roff, woff := soff+done, doff+done
		var k int
		var cerr error
		err := sc.Control(func(sfd uintptr) {
			err := dc.Control(func(dfd uintptr) {
				k, cerr = unix.CopyFileRange(int(sfd), &roff, int(dfd), &woff, int(min(n-done, CopyChunk)), 0)
			})
			if err != nil {
				cerr = err
			}
		})
		if err != nil {
			cerr = err
		}
		switch {
		case errors.Is(cerr, unix.EINTR):
			continue
		case errors.Is(cerr, unix.EXDEV), errors.Is(cerr, unix.ENOSYS), errors.Is(cerr, unix.EINVAL),
			errors.Is(cerr, unix.EOPNOTSUPP), errors.Is(cerr, unix.ENOTSUP):
			return done, fmt.Errorf("%w: %v", errFallback, cerr)
		case cerr != nil:
			return done, cerr
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
