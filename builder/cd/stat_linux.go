package cd

import (
	"fmt"
	"os"
	"syscall"
)

// identity names a file's contents as the kernel dates them: device, inode,
// size, modification and change times. A write, truncate or chmod through
// any path changes the change time.
func identity(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Sprintf("size %d, mtime %d", fi.Size(), fi.ModTime().UnixNano())
	}
	return fmt.Sprintf("dev %d, inode %d, size %d, mtime %d.%09d, ctime %d.%09d",
		st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
}
