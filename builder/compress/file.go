package compress

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder/regular"
	"github.com/esxi-autopart/esxi-autopart/builder/xzframe"
)

// Written is a compressed file CompressFile made.
type Written struct {
	Path   string `json:"path"`
	Kind   Kind   `json:"compression"`
	Bytes  int64  `json:"bytes"`  // compressed size
	SHA256 string `json:"sha256"` // of the compressed bytes
}

// CompressFile streams the file src through k into a temporary file beside
// dst and renames it to dst (with mode, the raw image's: a compressed
// image holds what the image holds) once complete. The caller checks dst
// first.
func CompressFile(ctx context.Context, k Kind, src, dst string, mode os.FileMode) (*Written, error) {
	return CompressFileProgress(ctx, k, src, dst, mode, nil)
}

// CompressFileProgress is CompressFile telling progress (when not nil) how
// many bytes of src it has read so far, every MiB.
func CompressFileProgress(ctx context.Context, k Kind, src, dst string, mode os.FileMode, progress func(read int64)) (*Written, error) {
	f0, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer f0.Close()
	var in io.Reader = f0
	if progress != nil {
		in = &ProgressReader{R: f0, Progress: progress}
	}
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", dst, err)
	}
	tmp := f.Name()
	n, sum, err := CompressTo(ctx, k, in, f)
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("compressing %s: %w", dst, err)
	}
	return &Written{Path: dst, Kind: k, Bytes: n, SHA256: sum}, nil
}

// CompressTo streams src through k into dst and returns the compressed
// bytes written and their SHA-256. It stops with ctx's error soon after
// ctx ends (xz takes minutes over an image).
func CompressTo(ctx context.Context, k Kind, src io.Reader, dst io.Writer) (int64, string, error) {
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(dst, h)}
	bw := bufio.NewWriterSize(cw, 1<<20)
	zw, err := NewWriter(k, bw)
	if err == nil {
		_, err = io.CopyBuffer(zw, &ctxReader{ctx: ctx, r: src}, make([]byte, 1<<20))
		err = errors.Join(err, zw.Close(), bw.Flush())
	}
	return cw.n, hex.EncodeToString(h.Sum(nil)), err
}

// ProgressReader tells Progress the bytes read from R so far, at each Read.
type ProgressReader struct {
	R        io.Reader
	Progress func(read int64)
	n        int64
}

func (p *ProgressReader) Read(b []byte) (int, error) {
	n, err := p.R.Read(b)
	if n > 0 {
		p.n += int64(n)
		p.Progress(p.n)
	}
	return n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Sniff reports the format of the file at path (None for a raw image).
func Sniff(path string) (Kind, error) {
	f, err := regular.Open(path, true) // never blocks on a FIFO; a disk is fine
	if err != nil {
		return None, err
	}
	defer f.Close()
	head := make([]byte, 6)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return None, err
	}
	return Detect(head[:n]), nil
}

// MaxImage bounds what Decompress writes (an image is at most 2 TiB).
const MaxImage = 2 << 40

// Decompress unpacks the compressed file src into a new temporary file in
// dir (sparse: runs of zeros are left as holes) and returns its path; the
// caller removes it. It stops with ctx's error soon after ctx ends.
func Decompress(ctx context.Context, k Kind, src, dir string) (string, error) {
	in, err := regular.Open(src, false)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if k == XZ { // the reader would take its dictionary size from the file
		if err := xzframe.Check(&ctxReader{ctx: ctx, r: in}, maxXZDict); err != nil {
			return "", fmt.Errorf("%s: %s: %w", src, k, err)
		}
		if _, err := in.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("%s: %w", src, err)
		}
	}
	zr, err := NewReader(k, bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", src, k, err)
	}
	defer zr.Close()
	f, err := os.CreateTemp(dir, "esxi-autopart-"+filepath.Base(src)+"-*.img")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	off, err := copySparse(f, io.LimitReader(&ctxReader{ctx: ctx, r: zr}, MaxImage+1))
	if err == nil && off > MaxImage {
		err = fmt.Errorf("unpacks to more than %d bytes", int64(MaxImage))
	}
	if err == nil {
		err = f.Truncate(off)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: %s: %w", src, k, err)
	}
	return tmp, nil
}

// copySparse copies r into f, seeking over all-zero 64 KiB blocks.
func copySparse(f *os.File, r io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var off int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if !allZero(buf[:n]) {
				if _, werr := f.WriteAt(buf[:n], off); werr != nil {
					return off, werr
				}
			}
			off += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return off, nil
		}
		if err != nil {
			return off, err
		}
	}
}

// ctxReader reads from r, at most ctxChunk bytes a call, until ctx ends:
// a compressor works on what one Read gave it before the next check, so
// small reads keep the slowest (xz, ~0.5 MB/s) within a tenth of a second
// of a signal.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

const ctxChunk = 32 << 10

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) > ctxChunk {
		p = p[:ctxChunk]
	}
	return c.r.Read(p)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
