package syslinux

import (
	"errors"
	"strconv"
)

// Error classes, usable with errors.Is. Every returned error wraps one of
// them (or an underlying I/O / decompression error) and names the tarball
// and member, or the file, it is about.
var (
	ErrNotTarball  = errors.New("not a gzip, bzip2, xz or plain tar archive")
	ErrTruncated   = errors.New("truncated archive")
	ErrCorrupt     = errors.New("corrupt archive")
	ErrTooLarge    = errors.New("over the size limit")
	ErrUnsafePath  = errors.New("unsafe member path")
	ErrNotRegular  = errors.New("not a regular file")
	ErrDuplicate   = errors.New("duplicate member")
	ErrMissing     = errors.New("missing member")
	ErrBadLoader   = errors.New("not a syslinux 3.x loader")
	ErrMismatch    = errors.New("ldlinux.bss and ldlinux.sys come from different builds")
	ErrBadSectors  = errors.New("bad sector list")
	ErrBadBootSect = errors.New("bad filesystem boot sector")
)

// commas formats n with thousands separators: 33280 -> "33,280".
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := false
	if n < 0 {
		neg, s = true, s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
