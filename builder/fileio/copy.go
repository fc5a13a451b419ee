package fileio

import (
	"context"
	"errors"
	"io"
	"os"
)

// ErrFallback is wrapped by CopyRange when the kernel or the file systems
// cannot copy in the kernel (EXDEV, ENOSYS, EINVAL, EOPNOTSUPP, or not
// Linux): the caller copies through a buffer instead.
var ErrFallback = errors.New("copy_file_range unavailable")

// CopyBuffered copies n bytes from src at soff to dst at doff through an
// arena.
func CopyBuffered(ctx context.Context, dst *os.File, doff int64, src *os.File, soff, n int64) error {
	buf := GetArena()
	defer PutArena(buf)
	for done := int64(0); done < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := buf[:min(int64(len(buf)), n-done)]
		if _, err := src.ReadAt(b, soff+done); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if _, err := dst.WriteAt(b, doff+done); err != nil {
			return err
		}
		done += int64(len(b))
	}
	return nil
}

// Copy copies n bytes from src at soff to dst at doff: in the kernel where
// it can, through a buffer where it cannot.
func Copy(ctx context.Context, dst *os.File, doff int64, src *os.File, soff, n int64) error {
	done, err := CopyRange(ctx, dst, doff, src, soff, n, cloneChunk, nil)
	if errors.Is(err, ErrFallback) {
		return CopyBuffered(ctx, dst, doff+done, src, soff+done, n-done)
	}
	return err
}

// cloneChunk bounds one copy_file_range call of a whole-file copy, so that
// ctx is checked.
const cloneChunk = 64 << 20
