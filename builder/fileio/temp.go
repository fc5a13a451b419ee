package fileio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Temp is an output being written: an unnamed file (O_TMPFILE) where the
// file system has them, so that a crash or SIGKILL leaves nothing behind;
// elsewhere a hidden ".NAME.partial-N" beside the output, locked while it
// is written, so that a later run can tell a dead run's leftover from a
// live one and remove it.
type Temp struct {
	*os.File
	dir, base string
	named     string // the hidden name, "" when unnamed
	published bool
}

// namedOnly makes CreateTemp use named temporaries (tests of the fallback).
var namedOnly = false

// partialPrefix is how the hidden temporaries of output base start.
func partialPrefix(base string) string { return "." + base + ".partial-" }

// CreateTemp makes the temporary file for the output dir/base, after
// removing the leftovers of dead runs for that output (RemoveStale).
func CreateTemp(dir, base string) (*Temp, error) {
	RemoveStale(dir, base)
	t := &Temp{dir: dir, base: base}
	if !namedOnly {
		if f, err := openUnnamed(dir); err == nil {
			t.File = f
			return t, nil
		}
	}
	f, err := os.CreateTemp(dir, partialPrefix(base)+"*")
	if err != nil {
		return nil, err
	}
	if err := lock(f, true); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	t.File, t.named = f, f.Name()
	return t, nil
}

// Name is the path the file can be read at while it is written (for
// messages): its hidden name, or its descriptor under /proc.
func (t *Temp) Name() string {
	if t.named != "" {
		return t.named
	}
	return fmt.Sprintf("/proc/self/fd/%d", t.Fd())
}

// Publish puts the finished file at path (a name in the temp's folder):
// with replace, in place of what is there; without, only if nothing is.
// The file stays open; Close it after.
func (t *Temp) Publish(path string, replace bool) error {
	if t.named != "" {
		rename := os.Rename
		if !replace {
			rename = renameNoReplace
		}
		if err := rename(t.named, path); err != nil {
			return err
		}
		t.published = true
		return nil
	}
	if !replace {
		if err := linkUnnamed(t.File, path); err != nil {
			return err
		}
		t.published = true
		return nil
	}
	// Link it under a hidden name, then rename that over the old file: a
	// crash in between leaves a named leftover that RemoveStale knows as
	// dead (no lock is held on it).
	for i := 0; ; i++ {
		tmp := filepath.Join(t.dir, fmt.Sprintf("%s%d-%d", partialPrefix(t.base), os.Getpid(), i))
		err := linkUnnamed(t.File, tmp)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return err
		}
		t.published = true
		return nil
	}
}

// Discard closes the file and removes it unless it was published. It may
// be called after Close and more than once.
func (t *Temp) Discard() {
	t.File.Close()
	if t.named != "" && !t.published {
		os.Remove(t.named)
	}
}

// RemoveStale removes the hidden temporaries of output dir/base that no
// live run holds locked: what a run killed mid-write left. Errors are
// ignored: a leftover that cannot be removed stays as it was.
func RemoveStale(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), partialPrefix(base)) || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if lock(f, false) == nil { // nobody writes it
			os.Remove(p)
		}
		f.Close()
	}
}
