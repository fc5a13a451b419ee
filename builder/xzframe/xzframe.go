// Package xzframe walks the framing of an xz file (streams, block headers,
// LZMA2 chunk headers, indexes, footers, stream padding) without
// decompressing anything, and refuses a block whose LZMA2 dictionary is
// over a limit. An xz decoder sizes each block's dictionary from the
// block's header, so a file of a few bytes could otherwise make it
// allocate 4 GiB; every size the walk needs is in a header, so it reads
// the file once, in order, in constant memory. Checksums are left to the
// decoder.
//
// It must not know what the xz file holds (an image, a tarball) or decode
// it.
package xzframe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// Error classes, usable with errors.Is.
var (
	ErrCorrupt   = errors.New("not a well-formed xz file")
	ErrTruncated = errors.New("cut short")
	ErrDict      = errors.New("LZMA2 dictionary over the limit")
)

// checkSize is the size of a block's check by the stream's check type
// (stream flags, low nibble).
var checkSize = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

// walker reads r in order and counts the bytes it has taken.
type walker struct {
	br  *bufio.Reader
	off int64
}

// Check reads r to its end and returns nil if it is one or more xz
// streams (with stream padding between them) whose every block asks for
// an LZMA2 dictionary of at most maxDict bytes.
func Check(r io.Reader, maxDict uint64) error {
	w := &walker{br: bufio.NewReaderSize(r, 64<<10)}
	for stream := 1; ; stream++ {
		if stream > 1 {
			end, err := w.padding()
			if err != nil || end {
				return err
			}
		}
		if err := w.stream(stream, maxDict); err != nil {
			return err
		}
	}
}

// padding skips stream padding (zero words) and says whether the file
// ends there.
func (w *walker) padding() (bool, error) {
	for {
		b, err := w.br.Peek(4)
		if len(b) == 0 && errors.Is(err, io.EOF) {
			return true, nil
		}
		if len(b) < 4 || binary.LittleEndian.Uint32(b) != 0 {
			return false, nil
		}
		w.br.Discard(4)
		w.off += 4
	}
}

// stream walks one stream: header, blocks, index, footer.
func (w *walker) stream(stream int, maxDict uint64) error {
	at := w.off
	h, err := w.read(12)
	if err != nil {
		if len(h) > 0 && string(h) != "\xFD7zXZ\x00"[:min(len(h), 6)] {
			return fmt.Errorf("%w: no xz stream header at byte %s", ErrCorrupt, human.Commas(at))
		}
		return fmt.Errorf("stream %d: header %w", stream, err)
	}
	if string(h[:6]) != "\xFD7zXZ\x00" {
		return fmt.Errorf("%w: no xz stream header at byte %s", ErrCorrupt, human.Commas(at))
	}
	check := checkSize[h[7]&0x0F]
	for block := 1; ; block++ {
		c, err := w.read(1)
		if err != nil {
			return fmt.Errorf("stream %d: %w after %d blocks", stream, err, block-1)
		}
		if c[0] == 0 { // the index indicator: the blocks are done
			if err := w.index(); err != nil {
				return fmt.Errorf("stream %d index: %w", stream, err)
			}
			break
		}
		if err := w.block(int(c[0]), check, maxDict); err != nil {
			return fmt.Errorf("stream %d block %d: %w", stream, block, err)
		}
	}
	f, err := w.read(12)
	if err != nil {
		return fmt.Errorf("stream %d: footer %w", stream, err)
	}
	if f[10] != 'Y' || f[11] != 'Z' {
		return fmt.Errorf("stream %d: %w: no footer magic at byte %s", stream, ErrCorrupt, human.Commas(w.off-2))
	}
	return nil
}

// block walks one block after its header-size byte c: the header, the
// LZMA2 chunks, padding to 4 bytes and the check.
func (w *walker) block(c, check int, maxDict uint64) error {
	start := w.off - 1
	rest, err := w.read(c*4 + 3)
	if err != nil {
		return fmt.Errorf("header %w", err)
	}
	if err := checkHeader(append([]byte{byte(c)}, rest...), maxDict); err != nil {
		return err
	}
	if err := w.chunks(); err != nil {
		return err
	}
	if err := w.skip((4-(w.off-start)%4)%4 + int64(check)); err != nil {
		return fmt.Errorf("check %w", err)
	}
	return nil
}

// chunks steps over LZMA2 chunks up to and including the end marker.
// Chunk headers give every size: 0x00 end; 0x01/0x02 uncompressed, u16be
// size-1; 0x80..0xFF LZMA, u16be unpacked size-1 (low 16 bits), u16be
// packed size-1, and a properties byte when the control byte is 0xC0 or
// more.
func (w *walker) chunks() error {
	for {
		c, err := w.read(1)
		if err != nil {
			return fmt.Errorf("LZMA2 data %w", err)
		}
		var h int
		switch {
		case c[0] == 0x00:
			return nil
		case c[0] == 0x01 || c[0] == 0x02:
			h = 2
		case c[0] >= 0x80:
			h = 4
			if c[0] >= 0xC0 {
				h = 5
			}
		default:
			return fmt.Errorf("%w: LZMA2 control byte 0x%02X at byte %s", ErrCorrupt, c[0], human.Commas(w.off-1))
		}
		b, err := w.read(h)
		if err != nil {
			return fmt.Errorf("LZMA2 chunk header %w", err)
		}
		size := binary.BigEndian.Uint16(b) // uncompressed chunk: its size-1
		if h > 2 {
			size = binary.BigEndian.Uint16(b[2:]) // LZMA chunk: packed size-1, after the unpacked size
		}
		if err := w.skip(int64(size) + 1); err != nil {
			return fmt.Errorf("LZMA2 chunk %w", err)
		}
	}
}

// index walks an index after its indicator byte: the record count, two
// numbers per record, padding to 4 bytes, CRC32.
func (w *walker) index() error {
	start := w.off - 1
	varint := func() (uint64, error) {
		var v uint64
		for i := range 9 {
			b, err := w.read(1)
			if err != nil {
				return 0, err
			}
			v |= uint64(b[0]&0x7F) << (7 * i)
			if b[0]&0x80 == 0 {
				return v, nil
			}
		}
		return 0, fmt.Errorf("%w: bad number in index at byte %s", ErrCorrupt, human.Commas(w.off))
	}
	n, err := varint()
	if err != nil {
		return err
	}
	for range 2 * n { // each varint reads at least a byte, so a false count ends at EOF
		if _, err := varint(); err != nil {
			return err
		}
	}
	return w.skip((4-(w.off-start)%4)%4 + 4)
}

// checkHeader parses a block header (its size byte through its CRC32) and
// refuses an LZMA2 dictionary over maxDict.
func checkHeader(bh []byte, maxDict uint64) error {
	bad := fmt.Errorf("%w: bad block header", ErrCorrupt)
	flags, p := bh[1], 2
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
	for _, bit := range []byte{0x40, 0x80} { // compressed size, uncompressed size
		if flags&bit != 0 {
			if _, ok := varint(); !ok {
				return bad
			}
		}
	}
	for range int(flags&3) + 1 {
		id, ok1 := varint()
		n, ok2 := varint()
		if !ok1 || !ok2 || n > uint64(len(bh)-p) {
			return bad
		}
		if id == 0x21 && n == 1 { // LZMA2: one properties byte, the dictionary code
			code := bh[p]
			if code > 40 {
				return fmt.Errorf("%w: bad LZMA2 dictionary size", ErrCorrupt)
			}
			dict := uint64(1)<<32 - 1
			if code < 40 {
				dict = uint64(2|code&1) << (code/2 + 11)
			}
			if dict > maxDict {
				return dictError{dict, maxDict}
			}
		}
		p += int(n)
	}
	return nil
}

// dictError is a block's dictionary over the limit; it is ErrDict.
type dictError struct{ dict, max uint64 }

func (e dictError) Error() string {
	return fmt.Sprintf("LZMA2 dictionary of %s bytes, more than the %s allowed", human.Commas(int64(e.dict)), human.Commas(int64(e.max)))
}

func (e dictError) Is(target error) bool { return target == ErrDict }

// read takes the next n bytes; at the end of r it returns what there was
// and an error wrapping ErrTruncated and io.ErrUnexpectedEOF.
func (w *walker) read(n int) ([]byte, error) {
	b := make([]byte, n)
	k, err := io.ReadFull(w.br, b)
	w.off += int64(k)
	if err != nil {
		return b[:k], w.short(err)
	}
	return b, nil
}

// skip steps over the next n bytes.
func (w *walker) skip(n int64) error {
	for n > 0 {
		k, err := w.br.Discard(int(min(n, 1<<20)))
		w.off += int64(k)
		n -= int64(k)
		if err != nil {
			return w.short(err)
		}
	}
	return nil
}

// short is the error for a read that ended early: the end of the file
// (truncation) or the reader's own error.
func (w *walker) short(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w at byte %s (%w)", ErrTruncated, human.Commas(w.off), io.ErrUnexpectedEOF)
	}
	return err
}
