package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"runtime"
	"sort"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
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

// chunk is a checked piece of the image waiting to be hashed.
type chunk struct {
	buf []byte
	n   int
}

// readBack is one read-back pass. It may follow a writer: upTo checks the
// image up to a given offset and can be called again with a larger one.
// finish ends it (deferred by whoever made it); sum gives the image's hash
// once everything is checked.
type readBack struct {
	p      *Plan
	r      io.ReaderAt
	exts   []extent // sorted by offset
	e      int      // first extent not wholly below off
	off    int64    // bytes checked so far
	arena  []byte   // every buffer below
	src    []byte   // sources are read here
	free   chan []byte
	full   chan chunk
	hashed chan struct{} // closed when the hasher has stopped
	h      hash.Hash
	serial bool // hash on the caller's goroutine
	done   bool
}

// newReadBack starts a read-back pass of r. With serial, or when Go runs
// on one CPU, the caller's goroutine also hashes (no hasher goroutine):
// handing chunks to another core costs ~15% more CPU time, which only pays
// when that core would otherwise be idle.
func (p *Plan) newReadBack(r io.ReaderAt, serial bool) *readBack {
	rb := &readBack{p: p, r: r, h: sha256.New(), arena: fileio.GetArena(),
		free: make(chan []byte, hashQueue), full: make(chan chunk, hashQueue), hashed: make(chan struct{}),
		serial: serial || runtime.GOMAXPROCS(0) < 2}
	for i := range hashQueue {
		rb.free <- rb.arena[i*readBackChunk : (i+1)*readBackChunk : (i+1)*readBackChunk]
	}
	rb.src = rb.arena[hashQueue*readBackChunk : (hashQueue+1)*readBackChunk]
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
		rb.h.Write(c.buf[:c.n])
		rb.free <- c.buf
	}
}

// finish stops the hasher once it has hashed what was queued, and returns
// the buffers. It may be called more than once.
func (rb *readBack) finish() {
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
	rb.finish()
	return hex.EncodeToString(rb.h.Sum(nil))
}

// upTo checks the image from where it stopped up to end (at most the
// image's size).
func (rb *readBack) upTo(ctx context.Context, end int64) error {
	end = min(end, rb.p.ImageBytes)
	for rb.off < end && rb.serial {
		// One buffer, hot in the cache from the read to the hash.
		n := min(int64(readBackChunk), end-rb.off)
		b := rb.arena[:n]
		if err := rb.check(b); err != nil {
			return err
		}
		rb.h.Write(b)
		rb.off += n
	}
	for rb.off < end {
		var bp []byte
		select {
		case bp = <-rb.free:
		case <-ctx.Done():
			return ctx.Err()
		}
		n := min(int64(len(bp)), end-rb.off)
		if err := rb.check(bp[:n]); err != nil {
			rb.free <- bp
			return err
		}
		rb.full <- chunk{bp, int(n)}
		rb.off += n
	}
	return nil
}

// check reads len(b) bytes of the image at rb.off into b and compares the
// files' bytes in them with their sources.
func (rb *readBack) check(b []byte) error {
	off, n := rb.off, int64(len(b))
	if _, err := rb.r.ReadAt(b, off); err != nil {
		return fmt.Errorf("reading back at byte %d: %w", off, err)
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
