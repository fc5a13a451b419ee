package syslinux

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// maxXZInput bounds an xz-compressed tarball, which is read whole so that
// scanXZ can check every block before decoding starts (syslinux release
// tarballs are a few MiB).
const maxXZInput = 64 << 20

// xzCheckSize is the size of a block's check field by check type (stream
// flags, low nibble).
var xzCheckSize = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

// scanXZ walks the xz container in data without decompressing anything:
// stream header, each block header and its LZMA2 chunk framing, block
// padding and check, index, stream footer, stream padding, next stream. It
// refuses any block whose LZMA2 dictionary exceeds maxXZDict: the decoder
// allocates each block's dictionary up front, so a second block or a
// concatenated stream could otherwise make it allocate 4 GiB. Checksums are
// left to the decoder. Every loop advances through data, so it is bounded
// by len(data).
func scanXZ(data []byte) error {
	p := 0
	for stream := 0; ; stream++ {
		if stream > 0 {
			for len(data)-p >= 4 && binary.LittleEndian.Uint32(data[p:]) == 0 {
				p += 4 // stream padding
			}
			if p == len(data) {
				return nil
			}
		}
		rest := data[p:]
		if !bytes.HasPrefix(rest, magicXZ) && !bytes.HasPrefix(magicXZ, rest) {
			return fmt.Errorf("%w: no xz stream header at byte %s", ErrCorrupt, human.Commas(int64(p)))
		}
		if len(rest) < 12 {
			return fmt.Errorf("stream %d: %w: header cut short", stream+1, ErrTruncated)
		}
		check := xzCheckSize[data[p+7]&0x0F]
		p += 12
		for block := 1; ; block++ {
			if p >= len(data) {
				return fmt.Errorf("stream %d: %w: cut short after %d blocks", stream+1, ErrTruncated, block-1)
			}
			if data[p] == 0 { // index indicator: the blocks are done
				n, err := xzIndexLen(data[p:])
				if err != nil {
					return fmt.Errorf("stream %d index at byte %s: %w", stream+1, human.Commas(int64(p)), err)
				}
				p += n
				break
			}
			start := p
			size := (int(data[p]) + 1) * 4
			if size > len(data)-p {
				return fmt.Errorf("stream %d block %d: %w: header cut short", stream+1, block, ErrTruncated)
			}
			if err := checkBlockHeader(data[p : p+size]); err != nil {
				return fmt.Errorf("stream %d block %d: %w", stream+1, block, err)
			}
			end, err := skipLZMA2(data, p+size)
			if err != nil {
				return fmt.Errorf("stream %d block %d: %w", stream+1, block, err)
			}
			p = end + (4-(end-start)%4)%4 + check
			if p > len(data) {
				return fmt.Errorf("stream %d block %d: %w: check cut short", stream+1, block, ErrTruncated)
			}
		}
		if len(data)-p < 12 {
			return fmt.Errorf("stream %d: %w: footer cut short", stream+1, ErrTruncated)
		}
		if data[p+10] != 'Y' || data[p+11] != 'Z' {
			return fmt.Errorf("stream %d: %w: no footer magic at byte %s", stream+1, ErrCorrupt, human.Commas(int64(p+10)))
		}
		p += 12
	}
}

// skipLZMA2 steps over LZMA2 chunks from p up to and including the end
// marker and returns the offset after it. Chunk headers give every size:
// 0x00 end; 0x01/0x02 uncompressed, u16be size-1; 0x80..0xFF LZMA, u16be
// unpacked size-1 (low 16 bits), u16be packed size-1, and a properties byte
// when the control byte is 0xC0 or more.
func skipLZMA2(data []byte, p int) (int, error) {
	for {
		if p >= len(data) {
			return 0, fmt.Errorf("%w: LZMA2 data cut short", ErrTruncated)
		}
		c := data[p]
		var n int
		switch {
		case c == 0x00:
			return p + 1, nil
		case c == 0x01 || c == 0x02:
			if len(data)-p < 3 {
				return 0, fmt.Errorf("%w: LZMA2 chunk header cut short", ErrTruncated)
			}
			n = 3 + int(binary.BigEndian.Uint16(data[p+1:])) + 1
		case c >= 0x80:
			h := 5
			if c >= 0xC0 {
				h = 6
			}
			if len(data)-p < h {
				return 0, fmt.Errorf("%w: LZMA2 chunk header cut short", ErrTruncated)
			}
			n = h + int(binary.BigEndian.Uint16(data[p+3:])) + 1
		default:
			return 0, fmt.Errorf("%w: LZMA2 control byte 0x%02X at byte %s", ErrCorrupt, c, human.Commas(int64(p)))
		}
		p += n
	}
}

// xzIndexLen returns the length of the index at the start of b: indicator
// 0x00, record count, (unpadded size, uncompressed size) per record,
// padding to 4 bytes, CRC32.
func xzIndexLen(b []byte) (int, error) {
	p := 1
	varint := func() (uint64, error) {
		var v uint64
		for i := 0; i < 9; i++ {
			if p >= len(b) {
				return 0, fmt.Errorf("%w: index cut short", ErrTruncated)
			}
			c := b[p]
			p++
			v |= uint64(c&0x7F) << (7 * i)
			if c&0x80 == 0 {
				return v, nil
			}
		}
		return 0, fmt.Errorf("%w: bad number in index", ErrCorrupt)
	}
	n, err := varint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(b)) { // each record takes at least 2 bytes
		return 0, fmt.Errorf("%w: index claims %d records", ErrCorrupt, n)
	}
	for range 2 * n {
		if _, err := varint(); err != nil {
			return 0, err
		}
	}
	p += (4 - p%4) % 4
	p += 4
	if p > len(b) {
		return 0, fmt.Errorf("%w: index cut short", ErrTruncated)
	}
	return p, nil
}

// errBadBlockHeader is a block header that cannot be parsed.
var errBadBlockHeader = fmt.Errorf("%w: bad block header", ErrCorrupt)
