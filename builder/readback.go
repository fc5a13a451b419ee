package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"sort"
	"sync/atomic"

	"github.com/esxi-autopart/esxi-autopart/builder/fat"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/zerorun"
)

// The read-back pass reads the image in ascending order, compares every
// file's bytes with its source, and hashes the image. Two goroutines share
// the work: the caller's reads a chunk of the image, reads the sources of
// the files in it and compares (and, when following a writer, writes); a
// hasher goroutine hashes the chunks in order behind it. SHA-256 is the
// slowest part and cannot be split, so everything else runs beside it.

// readBackChunk is the size of one read of the image (and of a source).
// Small chunks stay in the CPU's caches between the read, the comparison
// and the hash.
const readBackChunk = 512 << 10

// hashQueue is how many chunk buffers a read-back pass has: chunks read
// and compared but not hashed yet, plus the one being read. With the
// sources' buffer they fill one arena.
const hashQueue = fileio.ArenaSize/readBackChunk - 1

// extent is a planned file's bytes in the image.
type extent struct {
	name string
	off  int64
	src  io.ReaderAt
	size int64
}

// chunk is a checked piece of the image waiting to be hashed: buf[:n], or
// (buf nil) zeros zero bytes.
type chunk struct {
	buf   []byte
	n     int
	zeros int64
}

// readBack is one read-back pass. It may follow a writer: upTo checks the
// image up to a given offset and can be called again with a larger one.
// finish ends it (deferred by whoever made it); sum gives the image's hash
// once everything is checked.
type readBack struct {
	p      *Plan
	r      io.ReaderAt
	file   *os.File     // r, when it is a file (SEEK_DATA)
	mapped []fat.Extent // the ranges the plan writes, ascending
	m      int          // first of mapped not wholly below off
	exts   []extent     // sorted by offset
	e      int          // first extent not wholly below off
	off    int64        // bytes checked so far
	arena  []byte       // every buffer below
	src    []byte       // sources are read here
	free   chan []byte
	full   chan chunk
	hashed chan struct{} // closed when the hasher has stopped
	h      hash.Hash
	serial bool          // hash on the caller's goroutine
	memo   *zerorun.Memo // long runs of zeros hashed before (nil: none)
	stop   atomic.Bool   // the hasher may skip what is queued: the pass failed
	done   bool
	// progress, when set, is told the bytes hashed so far (WriteOptions).
	progress func(int64)
	nHashed  int64 // bytes hashed so far, on the hashing goroutine
}

// count counts n more bytes hashed and tells progress.
func (rb *readBack) count(n int64) {
	rb.nHashed += n
	if rb.progress != nil {
		rb.progress(rb.nHashed)
	}
}

// writeZeros hashes a run of n zeros through the memo, telling progress
// as the run is hashed (or at once, when the memo had it).
func (rb *readBack) writeZeros(n int64) {
	if rb.progress == nil {
		rb.memo.Write(rb.h, n, &rb.stop)
		rb.nHashed += n
		return
	}
	start := rb.nHashed
	rb.memo.Write(countedHash{Hash: rb.h, add: func(k int) {
		if rb.nHashed += int64(k); rb.nHashed%(progressStep) < int64(k) { // every progressStep bytes
			rb.progress(rb.nHashed)
		}
	}}, n, &rb.stop)
	rb.nHashed = start
	rb.count(n)
}

// progressStep is how often a long run of zeros reports progress.
const progressStep = 64 << 20

// countedHash is a hash that counts what is written into it; it keeps the
// hash's state marshalling, so that the zero-run memo still works.
type countedHash struct {
	hash.Hash
	add func(int)
}

func (c countedHash) Write(b []byte) (int, error) {
	n, err := c.Hash.Write(b)
	c.add(n)
	return n, err
}

func (c countedHash) MarshalBinary() ([]byte, error) {
	m, ok := c.Hash.(encoding.BinaryMarshaler)
	if !ok {
		return nil, errors.New("not a marshalable hash")
	}
	return m.MarshalBinary()
}

func (c countedHash) UnmarshalBinary(b []byte) error {
	u, ok := c.Hash.(encoding.BinaryUnmarshaler)
	if !ok {
		return errors.New("not a marshalable hash")
	}
	return u.UnmarshalBinary(b)
}

// newReadBack starts a read-back pass of r. With serial, or when Go runs
// on one CPU, the caller's goroutine also hashes (no hasher goroutine):
// handing chunks to another core costs ~15% more CPU time, which only pays
// when that core would otherwise be idle.
func (p *Plan) newReadBack(r io.ReaderAt, serial bool, memo *zerorun.Memo) *readBack {
	rb := &readBack{p: p, r: r, h: sha256.New(), arena: fileio.GetArena(), memo: memo,
		free: make(chan []byte, hashQueue), full: make(chan chunk, hashQueue), hashed: make(chan struct{}),
		serial: serial || runtime.GOMAXPROCS(0) < 2}
	for i := range hashQueue {
		rb.free <- rb.arena[i*readBackChunk : (i+1)*readBackChunk : (i+1)*readBackChunk]
	}
	rb.src = rb.arena[hashQueue*readBackChunk : (hashQueue+1)*readBackChunk]
	rb.file, _ = r.(*os.File)
	rb.mapped = p.Mapped()
	base := p.fsBase()
	g := p.FAT.Geometry
	for _, f := range p.FAT.Files {
		if f.Size == 0 {
			continue
		}
		off := base + (int64(g.FirstDataSector)+int64(f.FirstCluster-2)*int64(g.SectorsPerCluster))*512
		rb.exts = append(rb.exts, extent{f.Path, off, p.content[f.Path], f.Size})
	}
	sort.Slice(rb.exts, func(i, j int) bool { return rb.exts[i].off < rb.exts[j].off })
	if rb.serial {
		close(rb.hashed)
	} else {
		go rb.hash()
	}
	return rb
}

// hash hashes the checked chunks in order and hands their buffers back.
// Neither channel operation blocks: both hold every buffer there is.
func (rb *readBack) hash() {
	defer close(rb.hashed)
	for c := range rb.full {
		if c.buf == nil {
			rb.writeZeros(c.zeros)
			continue
		}
		rb.h.Write(c.buf[:c.n])
		rb.count(int64(c.n))
		rb.free <- c.buf
	}
}

// finish stops the hasher, skipping what is queued, and returns the
// buffers: the pass is over (sum has been taken, or it failed). It may be
// called more than once.
func (rb *readBack) finish() {
	rb.stop.Store(true)
	rb.drain()
}

// drain stops the hasher once it has hashed what was queued.
func (rb *readBack) drain() {
	if rb.done {
		return
	}
	rb.done = true
	close(rb.full)
	<-rb.hashed
	fileio.PutArena(rb.arena)
}

// sum finishes the pass and returns the SHA-256 of everything checked.
func (rb *readBack) sum() string {
	rb.drain()
	return hex.EncodeToString(rb.h.Sum(nil))
}

// upTo checks the image from where it stopped up to end (at most the
// image's size). The ranges the plan writes (Plan.Mapped) are read and their
// files compared with the sources; the rest must be zero: where the file
// system says it is a hole (SEEK_DATA), it is hashed as zeros without being
// read, and whatever data the file holds there is read and must be zero.
func (rb *readBack) upTo(ctx context.Context, end int64) error {
	end = min(end, rb.p.ImageBytes)
	for rb.off < end {
		hi, mapped := rb.segment(rb.off, end)
		if mapped {
			if err := rb.read(ctx, min(hi, rb.off+readBackChunk), false); err != nil {
				return err
			}
			continue
		}
		data, hole := rb.off, hi // without a file, every byte is read
		if rb.file != nil {
			data, hole = fileio.DataSegment(rb.file, rb.off, hi)
		}
		if data > rb.off {
			if err := rb.zeros(ctx, data-rb.off); err != nil {
				return err
			}
			continue
		}
		if err := rb.read(ctx, min(hole, rb.off+readBackChunk), true); err != nil {
			return err
		}
	}
	return nil
}

// segment returns where the range at off stops being mapped or unmapped
// (at most end), and whether the plan writes it.
func (rb *readBack) segment(off, end int64) (int64, bool) {
	for rb.m < len(rb.mapped) && rb.mapped[rb.m].Off+rb.mapped[rb.m].Len <= off {
		rb.m++
	}
	if rb.m == len(rb.mapped) {
		return end, false
	}
	if x := rb.mapped[rb.m]; x.Off <= off {
		return min(x.Off+x.Len, end), true
	}
	return min(rb.mapped[rb.m].Off, end), false
}

// read checks the image from rb.off up to hi (at most one chunk) and queues
// it for the hasher. zero: the plan leaves this range zero.
func (rb *readBack) read(ctx context.Context, hi int64, zero bool) error {
	n := hi - rb.off
	if rb.serial { // one buffer, hot in the cache from the read to the hash
		b := rb.arena[:n]
		if err := rb.check(b, zero); err != nil {
			return err
		}
		rb.h.Write(b)
		rb.count(n)
		rb.off = hi
		return nil
	}
	var bp []byte
	select {
	case bp = <-rb.free:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := rb.check(bp[:n], zero); err != nil {
		rb.free <- bp
		return err
	}
	rb.full <- chunk{buf: bp, n: int(n)}
	rb.off = hi
	return nil
}

// zeros hashes n zero bytes at rb.off that the file holds as a hole.
func (rb *readBack) zeros(ctx context.Context, n int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if rb.serial {
		rb.writeZeros(n)
	} else {
		rb.full <- chunk{zeros: n}
	}
	rb.off += n
	return nil
}

// zeroBuf is read, never written: its pages stay the kernel's zero page.
var zeroBuf [readBackChunk]byte

// check reads len(b) bytes of the image at rb.off into b and compares the
// files' bytes in them with their sources; with zero, b must be all zero.
func (rb *readBack) check(b []byte, zero bool) error {
	off, n := rb.off, int64(len(b))
	if _, err := rb.r.ReadAt(b, off); err != nil {
		return fmt.Errorf("reading back at byte %d: %w", off, err)
	}
	if zero {
		if i := firstDiff(b, zeroBuf[:len(b)]); i >= 0 {
			return fmt.Errorf("image byte %d is 0x%02X; the plan leaves it zero", off+int64(i), b[i])
		}
		return nil
	}
	for ; rb.e < len(rb.exts) && rb.exts[rb.e].off+rb.exts[rb.e].size <= off; rb.e++ {
	}
	src := rb.src
	for i := rb.e; i < len(rb.exts) && rb.exts[i].off < off+n; i++ {
		x := rb.exts[i]
		lo, hi := max(x.off, off), min(x.off+x.size, off+n)
		s := src[:hi-lo]
		if _, err := x.src.ReadAt(s, lo-x.off); err != nil && !(err == io.EOF && lo-x.off+int64(len(s)) == x.size) {
			return fmt.Errorf("%s: reading the source again: %w", x.name, err)
		}
		if got := b[lo-off : hi-off]; !bytes.Equal(s, got) {
			i := int64(firstDiff(got, s))
			return fmt.Errorf("%s: byte %d read back (image byte %d) is 0x%02X, the source has 0x%02X",
				x.name, lo-x.off+i, lo+i, got[i], s[i])
		}
	}
	return nil
}
