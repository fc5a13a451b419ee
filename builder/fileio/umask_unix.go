//go:build unix

package fileio

import (
	"os"

	"golang.org/x/sys/unix"
)

func readUmask() os.FileMode {
	old := unix.Umask(0o077)
	unix.Umask(old)
	return os.FileMode(old) & 0o777
}
