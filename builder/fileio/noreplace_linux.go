//go:build linux

package fileio

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// renameNoReplaceOS is renameat2(RENAME_NOREPLACE); a file system that
// cannot do it (EINVAL) falls back to a hard link.
func renameNoReplaceOS(old, path string) error {
	err := unix.Renameat2(unix.AT_FDCWD, old, unix.AT_FDCWD, path, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return os.ErrExist
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return errNoRenameNoReplace
	}
	return &os.LinkError{Op: "rename", Old: old, New: path, Err: err}
}
