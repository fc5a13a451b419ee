package inspect

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// image is the inspected byte range: reads past its end are faults (a
// truncated image), failures of the reader are I/O errors that end Inspect.
type image struct {
	r     io.ReaderAt
	size  int64
	ioErr error // first I/O error; Inspect returns it
}

// errPastEnd marks a read that runs past the image's end.
var errPastEnd = errors.New("past the end of the image")

// readAt fills p from off. It fails with errPastEnd (wrapped, located) when
// the range is not inside the image and records real I/O errors.
func (im *image) readAt(p []byte, off int64) error {
	if off < 0 || int64(len(p)) > im.size || off > im.size-int64(len(p)) {
		return fmt.Errorf("bytes %s..%s: %w (%s bytes)", human.Commas(off), human.Commas(off+int64(len(p))), errPastEnd, human.Commas(im.size))
	}
	n, err := im.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	err = fmt.Errorf("read %s bytes at offset %s: %w", human.Commas(int64(len(p))), human.Commas(off), err)
	if im.ioErr == nil {
		im.ioErr = err
	}
	return err
}

// runs formats ascending-or-not numbers as "a-b,c" runs of consecutive values.
func runs(v []uint32) string {
	var b strings.Builder
	for i := 0; i < len(v); {
		j := i
		for j+1 < len(v) && v[j+1] == v[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(v[i]), 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatUint(uint64(v[j]), 10))
		}
		i = j + 1
	}
	return b.String()
}

// runList is v as runs of consecutive numbers (never nil).
func runList(v []uint32) []Run {
	out := []Run{}
	for i := 0; i < len(v); {
		j := i
		for j+1 < len(v) && v[j+1] == v[j]+1 {
			j++
		}
		out = append(out, Run{First: v[i], Last: v[j], Count: uint32(j - i + 1)})
		i = j + 1
	}
	return out
}

// number reads a directive's numeric argument (nil: none or not a number).
func number(s string) *int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &n
}

// countRuns is the number of runs runs() would print.
func countRuns(v []uint32) int {
	n := 0
	for i := range v {
		if i == 0 || v[i] != v[i-1]+1 {
			n++
		}
	}
	return n
}

// attrString renders FAT attribute bits as letters: R H S V D A.
func attrString(a uint8) string {
	const letters = "RHSVDA"
	var b strings.Builder
	for i := range len(letters) {
		if a&(1<<i) != 0 {
			b.WriteByte(letters[i])
		}
	}
	return b.String()
}

// printable turns raw bytes into a printable string (non-ASCII as '?').
func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7E {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}
