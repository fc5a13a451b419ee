package fileio

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockHolder finds the process that holds a flock on f's inode in
// /proc/locks, and its command line.
func lockHolder(f *os.File) (int, string) {
	st, err := f.Stat()
	if err != nil {
		return 0, ""
	}
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, ""
	}
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return 0, ""
	}
	defer locks.Close()
	suffix := ":" + strconv.FormatUint(s.Ino, 10)
	sc := bufio.NewScanner(locks)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[1] != "FLOCK" || !strings.HasSuffix(fs[5], suffix) {
			continue
		}
		pid, err := strconv.Atoi(fs[4])
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return pid, strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	}
	return 0, ""
}

// errNoLock is what lock returns where there is no flock (never here).
var errNoLock = fmt.Errorf("no flock here")
