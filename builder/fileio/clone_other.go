//go:build !linux

package fileio

import (
	"context"
	"os"
)

// Clone makes the empty file dst a copy of the size bytes of src.
func Clone(ctx context.Context, dst, src *os.File, size int64) (bool, error) {
	if err := dst.Truncate(size); err != nil {
		return false, err
	}
	return false, CopyBuffered(ctx, dst, 0, src, 0, size)
}

// ReflinkSupported reports whether files in dir can be cloned without
// copying: never here.
func ReflinkSupported(dir string) bool { return false }

// DataSegment says the rest of f is data: no SEEK_DATA here.
func DataSegment(f *os.File, off, size int64) (data, hole int64) { return off, size }

// Reflink is not available here.
func Reflink(dst, src *os.File) error { return ErrFallback }
