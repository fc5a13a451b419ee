// Package regular opens input files without ever blocking: a FIFO with no
// writer, a terminal or a socket named as an input would hang open(2) or
// read(2) and deafen the process to signals. They are refused, with their
// type, before anything is read.
//
// It must not know what the files hold.
package regular

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Open opens path for reading (O_NONBLOCK, so that a FIFO without a writer
// does not block) and refuses anything but a regular file, or a block
// device when blockOK (inspect reads disks).
func Open(path string, blockOK bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	m := st.Mode()
	switch {
	case m.IsRegular():
		return f, nil
	case blockOK && m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0:
		return f, nil
	}
	f.Close()
	return nil, fmt.Errorf("%s: %w", path, &NotRegular{Type: kind(m)})
}

// NotRegular is Open's error for a path that is not a regular file.
type NotRegular struct{ Type string }

func (e *NotRegular) Error() string { return "is " + e.Type + ", not a regular file" }

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file (" + m.String() + ")"
}
