package disk

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// ChunkSize is the size of every write and read-back (a multiple of any
// logical sector size).
const ChunkSize = 4 << 20

// Range is bytes [Off, Off+Len) of the target, taken from From at At.
// Off and Len are whole 512-byte sectors.
type Range struct {
	Off  int64       `json:"offset"`
	Len  int64       `json:"bytes"`
	What string      `json:"what"`
	From io.ReaderAt `json:"-"`
	At   int64       `json:"-"`
}

// Progress is told how many bytes of all ranges are done.
type Progress func(done int64)

// Total is the number of bytes in rs.
func Total(rs []Range) int64 {
	var n int64
	for _, r := range rs {
		n += r.Len
	}
	return n
}

// check refuses ranges that are not whole sectors or lie past the target.
func (t *Target) check(rs []Range) error {
	for _, r := range rs {
		if r.Off%SectorSize != 0 || r.Len%SectorSize != 0 || r.Len <= 0 {
			return fmt.Errorf("%s: %s at byte %s (%s bytes) is not whole sectors", t.Name, r.What, human.Commas(r.Off), human.Commas(r.Len))
		}
		if r.Off+r.Len > t.Size {
			return fmt.Errorf("%s: %s ends at byte %s, past the target's %s bytes", t.Name, r.What, human.Commas(r.Off+r.Len), human.Commas(t.Size))
		}
	}
	return nil
}

// chunk is one buffer of a range on its way to the target.
type chunk struct {
	buf []byte
	off int64
}

// Write writes the ranges in order, through O_DIRECT where the target has
// it (else through the page cache), and returns each range's SHA-256 of
// the bytes written. Reading the source and hashing run on one goroutine,
// writing on another. ctx is checked between chunks: an interrupted Write
// returns ctx's error wrapped with how many bytes reached the target.
func (t *Target) Write(ctx context.Context, rs []Range, progress Progress) ([][32]byte, error) {
	if err := t.check(rs); err != nil {
		return nil, err
	}
	var dst *os.File = t.File
	if d := t.directFile(); d != nil {
		dst = d
	}
	free := make(chan []byte, 3)
	for range 3 {
		free <- alignedBuffer(ChunkSize)
	}
	full := make(chan chunk, 2)
	sums := make([][32]byte, len(rs))
	readErr := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(full)
		readErr <- func() error {
			for i, r := range rs {
				h := sha256.New()
				for done := int64(0); done < r.Len; {
					if err := ctx.Err(); err != nil {
						return err
					}
					var buf []byte
					select {
					case buf = <-free:
					case <-ctx.Done():
						return ctx.Err()
					}
					n := min(int64(len(buf)), r.Len-done)
					if _, err := r.From.ReadAt(buf[:n], r.At+done); err != nil && !(errors.Is(err, io.EOF)) {
						return fmt.Errorf("reading %s: %w", r.What, err)
					}
					h.Write(buf[:n])
					select {
					case full <- chunk{buf[:n], r.Off + done}:
					case <-ctx.Done():
						return ctx.Err()
					}
					done += n
				}
				h.Sum(sums[i][:0])
			}
			return nil
		}()
	}()
	var written int64
	var werr error
	for c := range full {
		if werr == nil && ctx.Err() != nil {
			werr = ctx.Err() // stop at once: queued chunks (sector 0 among them) stay unwritten
		}
		if werr == nil {
			_, err := dst.WriteAt(c.buf, c.off)
			if errors.Is(err, syscall.EINVAL) && dst != t.File {
				dst = t.File // O_DIRECT refused this write: go through the page cache (Sync flushes it)
				_, err = dst.WriteAt(c.buf, c.off)
			}
			if err != nil {
				werr = fmt.Errorf("%s: writing %s bytes at byte %s: %w", t.Name, human.Commas(len(c.buf)), human.Commas(c.off), err)
				cancel()
			} else {
				written += int64(len(c.buf))
				if progress != nil {
					progress(written)
				}
			}
		}
		free <- c.buf[:cap(c.buf)]
	}
	if err := <-readErr; werr == nil && err != nil {
		werr = err
	}
	if werr != nil {
		return nil, &WriteError{Written: written, Err: werr}
	}
	return sums, nil
}

// WriteError is a Write that stopped: Written bytes of the ranges reached
// the target (in order) before Err.
type WriteError struct {
	Written int64
	Err     error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("%v (after %s bytes were written)", e.Err, human.Commas(e.Written))
}

func (e *WriteError) Unwrap() error { return e.Err }

// Verify reads the ranges back from the disk, not from the page cache
// (O_DIRECT where the target has it; else after Sync dropped the cached
// pages), and compares each range's SHA-256 with sums. A mismatch names
// the range and its offset.
func (t *Target) Verify(ctx context.Context, rs []Range, sums [][32]byte, progress Progress) error {
	if len(sums) != len(rs) {
		return fmt.Errorf("%s: %d sums for %d ranges", t.Name, len(sums), len(rs))
	}
	var src *os.File = t.File
	if d := t.directFile(); d != nil {
		src = d
	}
	buf := alignedBuffer(ChunkSize)
	var done int64
	for i, r := range rs {
		h := sha256.New()
		for at := int64(0); at < r.Len; {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(int64(len(buf)), r.Len-at)
			_, err := src.ReadAt(buf[:n], r.Off+at)
			if errors.Is(err, syscall.EINVAL) && src != t.File {
				src = t.File // O_DIRECT refused: Sync dropped the cached pages
				_, err = src.ReadAt(buf[:n], r.Off+at)
			}
			if err != nil {
				return fmt.Errorf("%s: reading back %s at byte %s: %w", t.Name, r.What, human.Commas(r.Off+at), err)
			}
			h.Write(buf[:n])
			at += n
			done += n
			if progress != nil {
				progress(done)
			}
		}
		var got [32]byte
		h.Sum(got[:0])
		if got != sums[i] {
			return fmt.Errorf("%s: read back, %s (bytes %s to %s) has SHA-256 %x, but %x was written", t.Name, r.What,
				human.Commas(r.Off), human.Commas(r.Off+r.Len), got[:8], sums[i][:8])
		}
	}
	return nil
}
