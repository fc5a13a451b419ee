// Package fileerr locates an error in a user's file (an inventory, a
// template), so that a caller can report the file and line apart from the
// message (the CLI's --json errors do).
//
// It must not know any file format: callers say which line is wrong.
package fileerr

import (
	"errors"
	"fmt"
)

// Error is an error at a place in a file. Its text keeps the form the
// messages have always had: "hosts.csv: line 3: …", "tmpl line 2: …".
type Error struct {
	File string // the file's path as given ("" when only the place is known)
	Unit string // "line" (text files) or "element" (a JSON array's 1-based element)
	N    int    // the line or element number; 0 when only the file is known
	Err  error
	bare bool // Error is Err's text alone (Mark): the text names the place already
}

func (e *Error) Error() string {
	switch {
	case e.bare:
		return e.Err.Error()
	case e.N == 0:
		return e.File + ": " + e.Err.Error()
	case e.File == "":
		return fmt.Sprintf("%s %d: %v", e.Unit, e.N, e.Err)
	}
	return fmt.Sprintf("%s: %s %d: %v", e.File, e.Unit, e.N, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// At returns an error at line (or element) n of an unnamed file.
func At(unit string, n int, format string, a ...any) error {
	return &Error{Unit: unit, N: n, Err: fmt.Errorf(format, a...)}
}

// Mark locates err at line n of file without changing its text (for
// messages that name the place already, as text/template's do).
func Mark(file string, n int, err error) error {
	return MarkAt(file, "line", n, err)
}

// MarkAt is Mark at a unit's n: "line", or "element" of a JSON array.
func MarkAt(file, unit string, n int, err error) error {
	return &Error{File: file, Unit: unit, N: n, Err: err, bare: true}
}

// In names the file of err: an *Error without a file gets path; any other
// error becomes "path: err", located in path.
func In(path string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e.File == "" && e == err {
		return &Error{File: path, Unit: e.Unit, N: e.N, Err: e.Err}
	}
	return &Error{File: path, Err: err}
}

// Locate returns where err happened: the file of the outermost *Error in
// its chain that names one, and the line (or element) of the outermost
// that has one.
func Locate(err error) (file, unit string, n int, ok bool) {
	for err != nil {
		if e, isErr := err.(*Error); isErr {
			ok = true
			if file == "" {
				file = e.File
			}
			if n == 0 && e.N > 0 {
				unit, n = e.Unit, e.N
			}
		}
		err = errors.Unwrap(err)
	}
	return file, unit, n, ok
}
