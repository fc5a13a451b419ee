// Package bootcfg reads and edits the boot.cfg of ESXi 5.x and later media:
// the file VMware's mboot (mboot.c32 -c boot.cfg under syslinux, and
// EFI/BOOT/BOOTX64.EFI under UEFI) reads to find the kernel, its options
// and the modules.
//
// The format is "key=value" lines; spaces around "=" are ignored, a line
// whose first non-blank byte is "#" is a comment, keys are matched without
// regard to case and a later line wins over an earlier one with the same
// key. Parse keeps every line's bytes (line end included), so a File written
// back unchanged is the input byte for byte, and an edit changes only the
// lines it touches.
package bootcfg

import (
	"bytes"
	"fmt"
	"strings"
)

// Limits on what Parse accepts: a real boot.cfg is about 2 KB.
const (
	MaxBytes = 64 << 10
	MaxLines = 4096
)

// Line is one line of the file.
type Line struct {
	N     int    // 1-based line number in the parsed file (0 for a line an edit added)
	Raw   string // the line's bytes without its line end
	End   string // "\n", "\r\n", or "" for a last line without one
	Key   string // lower-case key; "" for a blank line, a comment or a line without "="
	Value string // the value, without the blanks around it
}

// File is a parsed boot.cfg.
type File struct {
	Lines []Line
}

// Parse splits data into lines. It fails on size, line count and binary
// bytes (NUL), never on unknown keys.
func Parse(data []byte) (*File, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%d bytes: larger than %d", len(data), MaxBytes)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, fmt.Errorf("NUL byte at offset %d: not a text file", i)
	}
	f := &File{}
	for rest := string(data); rest != ""; {
		if len(f.Lines) == MaxLines {
			return nil, fmt.Errorf("more than %d lines", MaxLines)
		}
		raw, end := rest, ""
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			raw, end, rest = rest[:i], "\n", rest[i+1:]
		} else {
			rest = ""
		}
		if strings.HasSuffix(raw, "\r") && end != "" {
			raw, end = raw[:len(raw)-1], "\r\n"
		}
		l := Line{N: len(f.Lines) + 1, Raw: raw, End: end}
		l.Key, l.Value = keyValue(raw)
		f.Lines = append(f.Lines, l)
	}
	return f, nil
}

// keyValue splits a line into its lower-case key and trimmed value.
func keyValue(raw string) (string, string) {
	s := strings.TrimSpace(strings.ReplaceAll(raw, "\r", " "))
	if s == "" || s[0] == '#' {
		return "", ""
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return "", ""
	}
	return strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
}

// Bytes returns the file's text: every line and its line end.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range f.Lines {
		b.WriteString(l.Raw)
		b.WriteString(l.End)
	}
	return b.Bytes()
}

// Clone returns a copy that can be edited independently.
func (f *File) Clone() *File { return &File{Lines: append([]Line(nil), f.Lines...)} }

// Get returns the line that sets key (the last one: later lines win).
func (f *File) Get(key string) (Line, bool) {
	key = strings.ToLower(key)
	for i := len(f.Lines) - 1; i >= 0; i-- {
		if f.Lines[i].Key == key {
			return f.Lines[i], true
		}
	}
	return Line{}, false
}

// Set gives every line that sets key the value v, keeping each line's
// "key =" part and line end; when no line sets key, one is added after the
// line that sets after (or at the end when there is none) with the file's
// line end. It returns the number of lines changed or added.
func (f *File) Set(key, v, after string) int {
	key = strings.ToLower(key)
	n := 0
	for i := range f.Lines {
		if f.Lines[i].Key == key {
			f.Set1(i, v)
			n++
		}
	}
	if n > 0 {
		return n
	}
	at := len(f.Lines)
	for i := range f.Lines {
		if f.Lines[i].Key == strings.ToLower(after) {
			at = i + 1
		}
	}
	end := f.lineEnd()
	if at == len(f.Lines) && at > 0 && f.Lines[at-1].End == "" {
		f.Lines[at-1].End = end
	}
	l := Line{Raw: key + "=" + v, End: end, Key: key, Value: v}
	f.Lines = append(f.Lines[:at], append([]Line{l}, f.Lines[at:]...)...)
	return 1
}

// lineEnd is the line end the file uses most ("\n" when it has none).
func (f *File) lineEnd() string {
	crlf, lf := 0, 0
	for _, l := range f.Lines {
		switch l.End {
		case "\r\n":
			crlf++
		case "\n":
			lf++
		}
	}
	if crlf > lf {
		return "\r\n"
	}
	return "\n"
}
