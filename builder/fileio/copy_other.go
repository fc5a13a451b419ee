//go:build !linux

package fileio

import (
	"context"
	"os"
)

// CopyRange has no in-kernel path here: callers copy through a buffer.
func CopyRange(ctx context.Context, dst *os.File, doff int64, src *os.File, soff, n, chunk int64, progress func(done int64)) (int64, error) {
	return 0, ErrFallback
}
