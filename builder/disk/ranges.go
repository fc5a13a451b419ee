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
	off int64 // target offset
}

// buffers is how many ChunkSize buffers Write keeps going round.
const buffers = 3

// Write writes the ranges in order, through O_DIRECT where the target has
// it (else through the page cache); reading the source runs on one
// goroutine, writing on another. It hashes nothing: Verify compares the
// SHA-256 of what the disk holds with the source's, off the write's path
// (SHA-256 of every byte costs more CPU than the copy). ctx is checked
// between chunks: an interrupted Write returns a *WriteError wrapping
// ctx's error with how many bytes reached the target.
func (t *Target) Write(ctx context.Context, rs []Range, progress Progress) error {
	if err := t.check(rs); err != nil {
		return err
	}
	var dst *os.File = t.File
	if d := t.directFile(); d != nil {
		dst = d
	}
	free := make(chan []byte, buffers)
	for range buffers {
		free <- alignedBuffer(ChunkSize)
	}
	full := make(chan chunk, buffers)
	readErr := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(full)
		readErr <- func() error {
			for _, r := range rs {
				for done := int64(0); done < r.Len; {
					var buf []byte
					select {
					case buf = <-free:
					case <-ctx.Done():
						return ctx.Err()
					}
					n := min(int64(len(buf)), r.Len-done)
					if _, err := r.From.ReadAt(buf[:n], r.At+done); err != nil && !errors.Is(err, io.EOF) {
						return fmt.Errorf("reading %s: %w", r.What, err)
					}
					select {
					case full <- chunk{buf[:n], r.Off + done}:
					case <-ctx.Done():
						return ctx.Err()
					}
					done += n
				}
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
		return &WriteError{Written: written, Err: werr}
	}
	return nil
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
// pages), and compares each range's SHA-256 with that of its source. The
// disk is read on one goroutine, its bytes hashed on another, the source
// hashed on a third. A mismatch names the range and its offsets.
func (t *Target) Verify(ctx context.Context, rs []Range, progress Progress) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type sourceSum struct {
		sum [32]byte
		err error
	}
	sources := make(chan sourceSum, len(rs))
	go func() {
		buf := make([]byte, ChunkSize)
		for _, r := range rs {
			if ctx.Err() != nil {
				return
			}
			h := sha256.New()
			_, err := io.CopyBuffer(hashOnly{h}, io.NewSectionReader(r.From, r.At, r.Len), buf)
			var s sourceSum
			h.Sum(s.sum[:0])
			s.err = err
			sources <- s
		}
	}()
	type readChunk struct {
		buf  []byte
		last bool
		err  error
	}
	free := make(chan []byte, buffers)
	for range buffers {
		free <- alignedBuffer(ChunkSize)
	}
	chunks := make(chan readChunk, buffers)
	go func() {
		defer close(chunks)
		send := func(c readChunk) bool {
			select {
			case chunks <- c:
				return true
			case <-ctx.Done(): // Verify returned
				return false
			}
		}
		var src *os.File = t.File
		if d := t.directFile(); d != nil {
			src = d
		}
		for _, r := range rs {
			for at := int64(0); at < r.Len; {
				var buf []byte
				select {
				case buf = <-free:
				case <-ctx.Done():
					send(readChunk{err: ctx.Err()})
					return
				}
				n := min(int64(len(buf)), r.Len-at)
				_, err := src.ReadAt(buf[:n], r.Off+at)
				if errors.Is(err, syscall.EINVAL) && src != t.File {
					src = t.File // O_DIRECT refused: Sync dropped the cached pages
					_, err = src.ReadAt(buf[:n], r.Off+at)
				}
				if err != nil {
					send(readChunk{err: fmt.Errorf("%s: reading back %s at byte %s: %w", t.Name, r.What, human.Commas(r.Off+at), err)})
					return
				}
				at += n
				if !send(readChunk{buf: buf[:n], last: at == r.Len}) {
					return
				}
			}
		}
	}()
	var done int64
	h := sha256.New()
	i := 0
	for c := range chunks {
		if c.err != nil {
			return c.err
		}
		h.Write(c.buf)
		done += int64(len(c.buf))
		free <- c.buf[:cap(c.buf)]
		if progress != nil {
			progress(done)
		}
		if !c.last {
			continue
		}
		r := rs[i]
		var got [32]byte
		h.Sum(got[:0])
		h.Reset()
		s := <-sources
		if s.err != nil {
			return fmt.Errorf("reading %s again to compare: %w", r.What, s.err)
		}
		if got != s.sum {
			return fmt.Errorf("%s: read back, %s (bytes %s to %s) has SHA-256 %x, but its source has %x", t.Name, r.What,
				human.Commas(r.Off), human.Commas(r.Off+r.Len), got[:8], s.sum[:8])
		}
		i++
	}
	if i != len(rs) {
		return fmt.Errorf("%s: read back %d of %d ranges", t.Name, i, len(rs))
	}
	return nil
}

// hashOnly hides a hash's other methods from io.CopyBuffer.
type hashOnly struct{ w io.Writer }

func (h hashOnly) Write(p []byte) (int, error) { return h.w.Write(p) }
