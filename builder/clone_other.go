//go:build !linux

package builder

import (
	"context"
	"os"
)

// cloneFile makes the empty file dst a copy of the size bytes of src.
func cloneFile(ctx context.Context, dst, src *os.File, size int64) error {
	if err := dst.Truncate(size); err != nil {
		return err
	}
	return copyBuffered(ctx, dst, src, 0, size)
}
