package syslinux

import (
	"errors"
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
