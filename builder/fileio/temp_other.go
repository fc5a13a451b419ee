//go:build !linux

package fileio

import (
	"errors"
	"os"
)

var errNoTmpfile = errors.New("no O_TMPFILE here")

func openUnnamed(dir string) (*os.File, error)  { return nil, errNoTmpfile }
func linkUnnamed(f *os.File, path string) error { return errNoTmpfile }
func lock(f *os.File, wait bool) error          { return nil } // no leftovers are removed: all look live
