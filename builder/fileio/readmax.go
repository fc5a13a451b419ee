package fileio

import (
	"errors"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// ReadFileMax reads the regular file path whole if it holds at most max
// bytes. For state the tool reads back (manifests, templates of its own,
// firmware variables): what sits at such a path (a 64 GiB sparse file, a
// FIFO) was not made for it to read, and must neither exhaust memory nor
// block.
func ReadFileMax(path string, max int64) ([]byte, error) {
	f, err := regular.Open(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d read: %w", path, st.Size(), max, ErrTooLarge)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: more than the %d bytes read: %w", path, max, ErrTooLarge)
	}
	return b, nil
}

// ErrTooLarge is ReadFileMax's error for a file over its bound.
var ErrTooLarge = errors.New("file too large")
