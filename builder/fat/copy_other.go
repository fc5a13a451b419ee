//go:build !linux

package fat

import (
	"context"
	"os"
)

// CopyChunk bounds one copy_file_range call (unused here).
const CopyChunk = 2 << 20

// copyRange has no fast path here: Write falls back to buffered copies.
func copyRange(ctx context.Context, dst *os.File, doff int64, src *os.File, soff int64, n int64, progress func(done int64)) (int64, error) {
	return 0, errFallback
}
