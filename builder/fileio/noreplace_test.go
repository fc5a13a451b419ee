package fileio

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRenameNoReplace: a file at the destination, even one made after
// any check a caller did, is never replaced; without one the file moves.
func TestRenameNoReplace(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing bool
	}{{"free name", false}, {"taken name", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			old, dst := filepath.Join(dir, ".new"), filepath.Join(dir, "esx01.img")
			os.WriteFile(old, []byte("new"), 0o600)
			if tc.existing {
				os.WriteFile(dst, []byte("another run's"), 0o600)
			}
			err := renameNoReplace(old, dst)
			got, _ := os.ReadFile(dst)
			_, oldErr := os.Stat(old)
			switch {
			case tc.existing && (!errors.Is(err, os.ErrExist) || string(got) != "another run's" || oldErr != nil):
				t.Errorf("err %v, %s holds %q, the new file: %v", err, dst, got, oldErr)
			case !tc.existing && (err != nil || string(got) != "new" || !os.IsNotExist(oldErr)):
				t.Errorf("err %v, %s holds %q, the old name: %v", err, dst, got, oldErr)
			}
		})
	}
}
