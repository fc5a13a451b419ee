package fileio

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Stage is a hidden folder inside an output folder where a run puts its
// outputs until all of them are complete and verified; Publish then moves
// each into the output folder. The stage is locked while the run lives,
// so a later run can tell a dead run's leftover stage from a live one
// (RemoveStaleStages). A run that fails removes its stage with everything
// in it, and no old output has been touched.
type Stage struct {
	dir, out string
	lockf    *os.File
}

// stagePrefix starts the name of every stage folder.
const stagePrefix = ".esxi-autopart.stage-"

// CreateStage makes a stage in the output folder out, after removing the
// stages of dead runs.
func CreateStage(out string) (*Stage, error) {
	RemoveStaleStages(out)
	dir, err := os.MkdirTemp(out, stagePrefix+"*")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(dir)
	if err == nil {
		err = lock(f, true)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.RemoveAll(dir)
		return nil, fmt.Errorf("output folder %s: %w", out, err)
	}
	return &Stage{dir: dir, out: out, lockf: f}, nil
}

// Dir is the stage folder: write outputs there under their final names.
func (s *Stage) Dir() string { return s.dir }

// Publish moves the staged file name into the output folder: with
// replace, in place of what is there; without, only if nothing is.
func (s *Stage) Publish(name string, replace bool) error {
	dst := filepath.Join(s.out, name)
	if !replace {
		return renameNoReplace(filepath.Join(s.dir, name), dst)
	}
	if err := os.Rename(filepath.Join(s.dir, name), dst); err != nil {
		return fmt.Errorf("%s: %w", dst, err)
	}
	return nil
}

// Remove removes the stage and what is left in it. It may be called more
// than once.
func (s *Stage) Remove() {
	if s.lockf == nil {
		return
	}
	os.RemoveAll(s.dir)
	s.lockf.Close()
	s.lockf = nil
}

// RemoveStaleStages removes the stages in out that no live run holds
// locked: what a run killed before it finished left. Errors are ignored.
func RemoveStaleStages(out string) {
	entries, err := os.ReadDir(out)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), stagePrefix) || !e.IsDir() {
			continue
		}
		p := filepath.Join(out, e.Name())
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if lock(f, false) == nil { // nobody uses it
			os.RemoveAll(p)
		}
		f.Close()
	}
}
