package fileio

import (
	"errors"
	"fmt"
	"os"
)

// renameNoReplace moves old to path only if nothing is at path, in one
// step of the file system: a check (Lstat) before a rename would let
// another run's file, made in between, be replaced without --force.
func renameNoReplace(old, path string) error {
	err := renameNoReplaceOS(old, path)
	if errors.Is(err, errNoRenameNoReplace) {
		// A hard link fails when path exists, as atomically; then the
		// old name goes.
		if err = os.Link(old, path); err == nil {
			return os.Remove(old)
		}
	}
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s: %w", path, os.ErrExist)
	}
	return err
}

var errNoRenameNoReplace = errors.New("no RENAME_NOREPLACE here")
