//go:build !linux

package builder

import (
	"context"
	"os"
)

// cloneFile makes the empty file dst a copy of the size bytes of src.
func cloneFile(ctx context.Context, dst, src *os.File, size int64) (bool, error) {
	if err := dst.Truncate(size); err != nil {
		return false, err
	}
	return false, copyBuffered(ctx, dst, src, 0, size)
}

// ReflinkSupported reports whether files in dir can be cloned without
// copying: never here.
func ReflinkSupported(dir string) bool { return false }
