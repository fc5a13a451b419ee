package fileio

import (
	"errors"
	"fmt"
	"os"
)

// DirLock is a run's hold on an output folder: two runs writing one
// folder at once would each write a manifest.json and a SHA256SUMS that
// list only their own hosts, the later one replacing the earlier, and
// each would take the other's files for stale ones. The lock is an
// advisory flock on the folder itself: nothing is left in the folder, and
// the kernel drops it when the run dies, however it dies.
type DirLock struct{ f *os.File }

// Busy is LockDir's error when another process holds the folder.
type Busy struct {
	Dir string
	PID int    // the holder, 0 when it cannot be found
	Cmd string // its command line, "" when unknown
}

func (e *Busy) Error() string {
	who := "another esxi-autopart run"
	if e.PID != 0 {
		who += fmt.Sprintf(" (pid %d", e.PID)
		if e.Cmd != "" {
			who += ": " + e.Cmd
		}
		who += ")"
	}
	return fmt.Sprintf("output folder %s is in use by %s: wait for it to end, or use another folder", e.Dir, who)
}

// ErrBusy is matched by every *Busy (errors.Is).
var ErrBusy = errors.New("output folder in use")

func (e *Busy) Is(target error) bool { return target == ErrBusy }

// LockDir locks the folder dir for this run, or returns *Busy at once when
// another process holds it.
func LockDir(dir string) (*DirLock, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", dir, err)
	}
	if err := lock(f, false); err != nil {
		if errors.Is(err, errNoLock) { // no flock on this system: no lock
			f.Close()
			return &DirLock{}, nil
		}
		pid, cmd := lockHolder(f)
		f.Close()
		return nil, &Busy{Dir: dir, PID: pid, Cmd: cmd}
	}
	return &DirLock{f: f}, nil
}

// Unlock releases the folder; it may be called more than once.
func (l *DirLock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
