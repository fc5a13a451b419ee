// Package bootcfg reads and edits the boot.cfg of ESXi 5.x and later media:
// the file VMware's mboot (mboot.c32 -c boot.cfg under syslinux, and
// EFI/BOOT/BOOTX64.EFI under UEFI) reads to find the kernel, its options
// and the modules.
//
// Lines are read as VMware's mboot reads them (esx-boot bootlib/parse.c),
// not as its manual says: white-space runs (CR included) count as one
// space; a line whose first non-blank byte is "#" is a comment; the text
// before the first "=" is matched case-insensitively as a prefix of mboot's
// keys, in the order of its table ("kern=" sets kernel=, "t=" title=); a
// space before "=" is not skipped, so "kernel = x" sets nothing; a later
// line wins over an earlier one with the same key. Parse keeps every
// line's bytes (line end included), so a File written back unchanged is
// the input byte for byte, and an edit changes only the lines it touches,
// writing each as "key=value" with the key in full.
//
// It must not know FAT, disks or CDs.
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
	Key   string // mboot's key the line sets ("kernel"); "" for a blank line, a comment, an unknown key or a line without "="
	Value string // the value as mboot sees it: blanks around it dropped, runs of blanks one space
	Note  string // how mboot reads the line when it is not as written ("" when it is)
	Fatal bool   // the note means mboot loses the line's setting or rejects the file
}

// Keys are mboot's boot.cfg keys in the order of its table (esx-boot
// mboot/config.c MBOOT_OPTIONS): a written key sets the first one it is a
// prefix of. Integer keys with a value that is not a number make mboot
// reject the whole file.
var Keys = []struct {
	Name    string
	Integer bool
}{
	{"kernel", false}, {"kernelopt", false}, {"modules", false}, {"title", false},
	{"prefix", false}, {"nobootif", true}, {"timeout", true}, {"noquirks", true},
	{"norts", true}, {"crypto", false}, {"runtimewd", true}, {"tftpblksize", true},
	{"acpitables", false}, {"runtimewdtimeout", true}, {"skip", true}, {"errtimeout", true},
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
		l.Key, l.Value, l.Note, l.Fatal = keyValue(raw)
		f.Lines = append(f.Lines, l)
	}
	return f, nil
}

// keyValue reads a line as mboot does: its key, value and any note. A
// key mboot does not know ("build=") is returned in lower case; mboot
// ignores the line, but others read it.
func keyValue(raw string) (key, value, note string, fatal bool) {
	s := strings.Join(strings.FieldsFunc(raw, isSpace), " ")
	if s == "" || s[0] == '#' {
		return "", "", "", false
	}
	written, v, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", "", false
	}
	v = strings.TrimLeft(v, " ")
	k, integer := matchKey(written)
	switch {
	case k == "":
		if t := strings.TrimRight(written, " "); t != written {
			if k2, _ := matchKey(t); k2 != "" {
				return "", "", fmt.Sprintf("%q has a space before '=': VMware's mboot ignores the line (it means %s=%s)", s, k2, v), true
			}
		}
		if strings.ContainsAny(written, " ") {
			return "", "", "", false
		}
		return strings.ToLower(written), v, "", false
	case integer && v != "" && !isNumber(v):
		return k, v, fmt.Sprintf("%s=%s is not a number: VMware's mboot rejects the whole file", k, v), true
	case !strings.EqualFold(written, k):
		return k, v, fmt.Sprintf("%q sets %s=: VMware's mboot matches keys by prefix", s, k), false
	}
	return k, v, "", false
}

// matchKey is mboot's locate_value: the first key written is a prefix of.
func matchKey(written string) (string, bool) {
	for _, k := range Keys {
		if len(written) <= len(k.Name) && strings.EqualFold(k.Name[:len(written)], written) {
			return k.Name, k.Integer
		}
	}
	return "", false
}

// isSpace is C's isspace, whose runs mboot folds into one space.
func isSpace(r rune) bool { return r == ' ' || (r >= '\t' && r <= '\r') }

// isNumber is bootlib's is_number: an optional '-', then digits only.
func isNumber(s string) bool {
	for i, r := range s {
		if !(r >= '0' && r <= '9' || r == '-' && i == 0) {
			return false
		}
	}
	return true
}

// Notes are the lines mboot reads other than as written, "line N: …":
// those that lose a setting or the whole file, and the others.
func (f *File) Notes() (fatal, other []string) {
	for _, l := range f.Lines {
		switch {
		case l.Note == "":
		case l.Fatal:
			fatal = append(fatal, fmt.Sprintf("line %d: %s", l.N, l.Note))
		default:
			other = append(other, fmt.Sprintf("line %d: %s", l.N, l.Note))
		}
	}
	return fatal, other
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
