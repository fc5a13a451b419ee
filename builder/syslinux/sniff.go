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
)

// Decompression limits.
const (
	MaxTotal   = 256 << 20 // stop after this many decompressed bytes
	maxXZDict  = 64 << 20  // largest LZMA2 dictionary accepted (xz -9 uses 64 MiB)
	sniffBytes = 4096
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
		if err := scanXZ(data); err != nil {
			return nil, fmt.Errorf("%s: xz: %w", name, err)
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

// checkBlockHeader parses an xz block header (its size byte through its
// CRC32) and refuses an LZMA2 dictionary over maxXZDict.
func checkBlockHeader(bh []byte) error {
	flags := bh[1]
	p := 2
	varint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && p < len(bh); i++ {
			c := bh[p]
			p++
			v |= uint64(c&0x7F) << (7 * i)
			if c&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	if flags&0x40 != 0 {
		if _, ok := varint(); !ok {
			return errBadBlockHeader
		}
	}
	if flags&0x80 != 0 {
		if _, ok := varint(); !ok {
			return errBadBlockHeader
		}
	}
	for range int(flags&3) + 1 {
		id, ok1 := varint()
		n, ok2 := varint()
		if !ok1 || !ok2 || n > uint64(len(bh)-p) {
			return errBadBlockHeader
		}
		if id == 0x21 && n == 1 {
			code := bh[p]
			if code > 40 {
				return fmt.Errorf("%w: bad LZMA2 dictionary size", ErrCorrupt)
			}
			dict := uint64(1)<<32 - 1
			if code < 40 {
				dict = uint64(2|code&1) << (code/2 + 11)
			}
			if dict > maxXZDict {
				return fmt.Errorf("LZMA2 dictionary of %s bytes, more than %s: %w", human.Commas(int64(dict)), human.Commas(maxXZDict), ErrTooLarge)
			}
		}
		p += int(n)
	}
	return nil
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
