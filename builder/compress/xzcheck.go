package compress

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The xz reader sizes each block's LZMA2 dictionary from the block's
// header (xz.ReaderConfig.DictCap is a least, not a most): a file of a
// few bytes can ask for 4 GiB. checkXZ walks the streams' structure (every
// size is in a header) and refuses a dictionary over maxXZDict before the
// reader sees it. It reads r to the end; the caller reads the file again
// to decompress it.
func checkXZ(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var off int64
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		k, err := io.ReadFull(br, b)
		off += int64(k)
		if err != nil {
			return nil, fmt.Errorf("cut short at byte %d: %w", off, io.ErrUnexpectedEOF)
		}
		return b, nil
	}
	skip := func(n int64) error {
		k, err := br.Discard(int(n))
		off += int64(k)
		if err != nil {
			return fmt.Errorf("cut short at byte %d: %w", off, io.ErrUnexpectedEOF)
		}
		return nil
	}
	for stream := 1; ; stream++ {
		if stream > 1 { // stream padding, then another stream or the end
			for {
				b, err := br.Peek(4)
				if len(b) == 0 && errors.Is(err, io.EOF) {
					return nil
				}
				if len(b) < 4 || binary.LittleEndian.Uint32(b) != 0 {
					break
				}
				skip(4)
			}
		}
		h, err := read(12)
		if err != nil {
			return err
		}
		if string(h[:6]) != "\xFD7zXZ\x00" {
			return fmt.Errorf("no xz stream header at byte %d", off-12)
		}
		check := xzCheckSize[h[7]&0x0F]
		for {
			c, err := read(1)
			if err != nil {
				return err
			}
			if c[0] == 0 { // the index
				if err := skipXZIndex(read); err != nil {
					return err
				}
				break
			}
			bh, err := read(int(c[0])*4 + 3)
			if err != nil {
				return err
			}
			if err := blockDict(append(c, bh...)); err != nil {
				return fmt.Errorf("stream %d, byte %d: %w", stream, off, err)
			}
			n, err := skipLZMA2(br, &off)
			if err != nil {
				return err
			}
			n += int64(len(bh) + 1)
			if err := skip((4-n%4)%4 + int64(check)); err != nil {
				return err
			}
		}
		if f, err := read(12); err != nil {
			return err
		} else if f[10] != 'Y' || f[11] != 'Z' {
			return fmt.Errorf("no xz stream footer at byte %d", off-2)
		}
	}
}

// xzCheckSize is the size of a block's check by the stream's check type.
var xzCheckSize = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

// blockDict parses a block header and refuses an LZMA2 dictionary over
// maxXZDict.
func blockDict(bh []byte) error {
	bad := errors.New("bad xz block header")
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
		if id == 0x21 && n == 1 {
			code := bh[p]
			if code > 40 {
				return errors.New("bad LZMA2 dictionary size")
			}
			dict := uint64(1)<<32 - 1
			if code < 40 {
				dict = uint64(2|code&1) << (code/2 + 11)
			}
			if dict > maxXZDict {
				return fmt.Errorf("an LZMA2 dictionary of %d bytes, more than the %d allowed", dict, maxXZDict)
			}
		}
		p += int(n)
	}
	return nil
}

// skipLZMA2 reads over LZMA2 chunks up to and including the end marker and
// returns how many bytes they took. Chunk headers give every size: 0x00
// end; 0x01/0x02 uncompressed, u16be size-1; 0x80..0xFF LZMA, u16be
// unpacked size-1, u16be packed size-1, a properties byte from 0xC0.
func skipLZMA2(br *bufio.Reader, off *int64) (int64, error) {
	var n int64
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("LZMA2 data cut short at byte %d: %w", *off, io.ErrUnexpectedEOF)
		}
		*off++
		n++
		var h, size int
		switch {
		case c == 0x00:
			return n, nil
		case c == 0x01 || c == 0x02:
			h = 2
		case c >= 0x80:
			h = 4
			if c >= 0xC0 {
				h = 5
			}
		default:
			return 0, fmt.Errorf("LZMA2 control byte 0x%02X at byte %d", c, *off-1)
		}
		b := make([]byte, h)
		if _, err := io.ReadFull(br, b); err != nil {
			return 0, fmt.Errorf("LZMA2 chunk header cut short at byte %d: %w", *off, io.ErrUnexpectedEOF)
		}
		if h == 2 {
			size = int(binary.BigEndian.Uint16(b)) + 1
		} else {
			size = int(binary.BigEndian.Uint16(b[2:])) + 1
		}
		k, err := br.Discard(size)
		*off += int64(h + k)
		n += int64(h + k)
		if err != nil {
			return 0, fmt.Errorf("LZMA2 chunk cut short at byte %d: %w", *off, io.ErrUnexpectedEOF)
		}
	}
}

// skipXZIndex reads an index after its indicator byte: the record count,
// two numbers per record, padding to 4 bytes, CRC32.
func skipXZIndex(read func(int) ([]byte, error)) error {
	p := 1
	varint := func() (uint64, error) {
		var v uint64
		for i := 0; i < 9; i++ {
			b, err := read(1)
			if err != nil {
				return 0, err
			}
			p++
			v |= uint64(b[0]&0x7F) << (7 * i)
			if b[0]&0x80 == 0 {
				return v, nil
			}
		}
		return 0, errors.New("bad number in xz index")
	}
	n, err := varint()
	if err != nil {
		return err
	}
	for i := uint64(0); i < 2*n; i++ {
		if _, err := varint(); err != nil {
			return err
		}
	}
	_, err = read((4-p%4)%4 + 4)
	return err
}
