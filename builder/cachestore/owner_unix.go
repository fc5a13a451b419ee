//go:build unix

package cachestore

import (
	"os"
	"syscall"
)

// ours reports whether this user owns the file.
func ours(st os.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Geteuid()
}
