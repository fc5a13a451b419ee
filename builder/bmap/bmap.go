// Package bmap writes block maps in bmaptool's format (version 2.0): the
// image's size, its mapped block ranges and the SHA-256 of each, so that
// `bmaptool copy image.img /dev/sdX` writes only the data and verifies it.
//
// It must not know FAT or ESXi: it maps the byte ranges it is given.
package bmap

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/fat"
)

// BlockSize is the map's block size.
const BlockSize = 4096

// blockRange is blocks [first, last] of the map.
type blockRange struct{ first, last int64 }

// blocks turns byte extents into the block ranges that hold them.
func blocks(mapped []fat.Extent) []blockRange {
	var out []blockRange
	for _, e := range mapped {
		if e.Len <= 0 {
			continue
		}
		r := blockRange{e.Off / BlockSize, (e.Off + e.Len - 1) / BlockSize}
		if k := len(out) - 1; k >= 0 && out[k].last+1 >= r.first {
			out[k].last = max(out[k].last, r.last)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Write writes the bmap of the image img (size bytes) whose data lies in
// mapped (byte extents, ascending); each range's SHA-256 is of img's bytes.
func Write(w io.Writer, img io.ReaderAt, size int64, mapped []fat.Extent) error {
	ranges := blocks(mapped)
	count := (size + BlockSize - 1) / BlockSize
	var body bytes.Buffer
	var nmapped int64
	buf := make([]byte, 1<<20)
	for _, r := range ranges {
		if r.last >= count {
			return fmt.Errorf("bmap: blocks %d-%d lie past the image's %d blocks", r.first, r.last, count)
		}
		h := sha256.New()
		start, end := r.first*BlockSize, min((r.last+1)*BlockSize, size)
		if _, err := io.CopyBuffer(h, io.NewSectionReader(img, start, end-start), buf); err != nil {
			return fmt.Errorf("bmap: reading blocks %d-%d: %w", r.first, r.last, err)
		}
		span := fmt.Sprint(r.first)
		if r.last != r.first {
			span = fmt.Sprintf("%d-%d", r.first, r.last)
		}
		fmt.Fprintf(&body, "        <Range chksum=\"%s\"> %s </Range>\n", hex.EncodeToString(h.Sum(nil)), span)
		nmapped += r.last - r.first + 1
	}
	zeros := string(bytes.Repeat([]byte("0"), sha256.Size*2))
	doc := fmt.Sprintf(`<?xml version="1.0" ?>
<!-- Made by esxi-autopart from its build plan: the blocks the plan writes; the rest of the image is zeros. -->
<bmap version="2.0">
    <ImageSize> %d </ImageSize>
    <BlockSize> %d </BlockSize>
    <BlocksCount> %d </BlocksCount>
    <MappedBlocksCount> %d </MappedBlocksCount>
    <ChecksumType> sha256 </ChecksumType>
    <BmapFileChecksum> %s </BmapFileChecksum>
    <BlockMap>
%s    </BlockMap>
</bmap>
`, size, BlockSize, count, nmapped, zeros, body.String())
	// The file's own checksum is of the file with that field's digits zero.
	sum := sha256.Sum256([]byte(doc))
	doc = string(bytes.Replace([]byte(doc), []byte(zeros), []byte(hex.EncodeToString(sum[:])), 1))
	_, err := io.WriteString(w, doc)
	return err
}
