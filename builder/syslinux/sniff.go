package syslinux

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"

	"github.com/ulikunitz/xz"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/xzframe"
)

// Decompression limits.
const (
	MaxTotal   = 256 << 20 // stop after this many decompressed bytes
	maxXZDict  = 64 << 20  // largest LZMA2 dictionary accepted (xz -9 uses 64 MiB)
	sniffBytes = 4096
	// maxXZInput bounds an xz-compressed tarball, which is read whole so
	// that its every block is checked before decoding starts (syslinux
	// release tarballs are a few MiB).
	maxXZInput = 64 << 20
)

// maxTotal is MaxTotal, lowered by tests.
var maxTotal int64 = MaxTotal

var (
	magicGzip  = []byte{0x1F, 0x8B}
	magicBzip2 = []byte("BZh")
	magicXZ    = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	magicUstar = []byte("ustar")
)

// decompress sniffs r and returns the decompressed tar stream, bounded to
// MaxTotal bytes.
func decompress(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out io.Reader
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, decompErr(err))
		}
		out = zr
	case bytes.HasPrefix(head, magicBzip2):
		out = bzip2.NewReader(br)
	case bytes.HasPrefix(head, magicXZ):
		data, err := io.ReadAll(io.LimitReader(br, maxXZInput+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(data) > maxXZInput {
			return nil, fmt.Errorf("%s: xz: more than %s compressed bytes: %w", name, human.Commas(maxXZInput), ErrTooLarge)
		}
		if err := xzframe.Check(bytes.NewReader(data), maxXZDict); err != nil {
			return nil, fmt.Errorf("%s: xz: %w", name, classify(err))
		}
		// The smallest DictCap makes the decoder size each block's
		// dictionary from its header (checked above) instead of 8 MiB.
		zr, err := xz.ReaderConfig{DictCap: 4096}.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: xz: %w", name, decompErr(err))
		}
		out = zr
	case len(head) >= 262 && bytes.Equal(head[257:262], magicUstar):
		out = br
	case len(head) == 0:
		return nil, fmt.Errorf("%s: empty file: %w", name, ErrNotTarball)
	default:
		return nil, fmt.Errorf("%s: starts % X: %w", name, head[:min(len(head), 6)], ErrNotTarball)
	}
	return &limitReader{r: out, left: maxTotal, name: name}, nil
}

// limitReader fails once more than left bytes have been read.
type limitReader struct {
	r    io.Reader
	left int64
	name string
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("%s: more than %s bytes once decompressed: %w", l.name, human.Commas(maxTotal), ErrTooLarge)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if err != nil && err != io.EOF {
		err = decompErr(err)
	}
	return n, err
}

// classify gives an xz framing error this package's class too.
func classify(err error) error {
	class := ErrCorrupt
	switch {
	case errors.Is(err, xzframe.ErrDict):
		class = ErrTooLarge
	case errors.Is(err, xzframe.ErrTruncated):
		class = ErrTruncated
	}
	return classed{err, class}
}

// classed is an error that is also of a class.
type classed struct{ err, class error }

func (c classed) Error() string   { return c.err.Error() }
func (c classed) Unwrap() []error { return []error{c.err, c.class} }

// decompErr classifies a decompressor error: a premature end is truncation,
// anything else corruption.
func decompErr(err error) error {
	if errors.Is(err, ErrTruncated) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTooLarge) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%w)", ErrTruncated, err)
	}
	return fmt.Errorf("%w (%w)", ErrCorrupt, err)
}
