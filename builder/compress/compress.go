// Package compress streams images through zstd, xz or gzip, and recognises
// compressed images by their magic bytes, so that a pipeline can move
// esx01.img.zst and inspect or boot it as it is.
//
// It must not know what the image holds.
package compress

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Kind is a compression format; None is a raw image.
type Kind string

// The formats, by their usual names.
const (
	None Kind = ""
	Zstd Kind = "zstd"
	XZ   Kind = "xz"
	Gzip Kind = "gzip"
)

// Ext is the file name extension of k (".zst", ".xz", ".gz").
func (k Kind) Ext() string {
	switch k {
	case Zstd:
		return ".zst"
	case XZ:
		return ".xz"
	case Gzip:
		return ".gz"
	}
	return ""
}

// Parse reads a --compress value.
func Parse(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(s)); k {
	case None, Zstd, XZ, Gzip:
		return k, nil
	case "zst":
		return Zstd, nil
	case "gz":
		return Gzip, nil
	}
	return None, fmt.Errorf("--compress %q: want zstd, xz or gzip", s)
}

// FromName is the format a file name's extension asks for.
func FromName(path string) Kind {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".zst":
		return Zstd
	case ".xz":
		return XZ
	case ".gz":
		return Gzip
	}
	return None
}

// Detect recognises a compressed stream by its first bytes.
func Detect(head []byte) Kind {
	switch {
	case bytes.HasPrefix(head, []byte{0x28, 0xB5, 0x2F, 0xFD}):
		return Zstd
	case bytes.HasPrefix(head, []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}):
		return XZ
	case bytes.HasPrefix(head, []byte{0x1F, 0x8B}):
		return Gzip
	}
	return None
}

// NewWriter compresses into w. The stream holds no timestamp or name, so
// the same image compresses to the same bytes.
func NewWriter(k Kind, w io.Writer) (io.WriteCloser, error) {
	switch k {
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	case XZ:
		return xz.NewWriter(w)
	case Gzip:
		return kgzip.NewWriterLevel(w, kgzip.DefaultCompression)
	}
	return nil, fmt.Errorf("compress: no format %q", k)
}

// maxXZDict bounds the dictionary an xz stream may ask for (a hostile
// header cannot make the reader allocate gigabytes).
const maxXZDict = 64 << 20

// NewReader decompresses r.
func NewReader(k Kind, r io.Reader) (io.ReadCloser, error) {
	switch k {
	case Zstd:
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	case XZ:
		c := xz.ReaderConfig{DictCap: maxXZDict}
		x, err := c.NewReader(r)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(x), nil
	case Gzip:
		return kgzip.NewReader(r)
	}
	return nil, fmt.Errorf("compress: no format %q", k)
}
