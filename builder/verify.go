package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
)

// Verify reads the written image back. Sector 0, the boot sector and
// LDLINUX.SYS must hold the planned bytes; inspect must judge the image
// bootable with the planned sector list; and every file's bytes, read back in
// one sequential pass, must equal its source. It returns the image's SHA-256.
// The structure check and the read-back pass run side by side; when both
// fail, the structure's error is returned.
func (p *Plan) Verify(ctx context.Context, r io.ReaderAt) (string, error) {
	rb := p.newReadBack(r)
	defer rb.release()
	var rbErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		rbErr = rb.upTo(ctx, p.ImageBytes)
	}()
	serr := p.checkStructure(r)
	<-done
	if serr != nil {
		return "", serr
	}
	if rbErr != nil {
		return "", rbErr
	}
	return rb.sum(), nil
}

// checkStructure checks sector 0, the boot sector and what inspect reads:
// the filesystem, the boot path and the planned LDLINUX.SYS sector list.
func (p *Plan) checkStructure(r io.ReaderAt) error {
	if !p.PartitionOnly {
		if err := expect(r, 0, p.mbr[:], "sector 0 (MBR)"); err != nil {
			return err
		}
	}
	if err := expect(r, p.fsBase(), p.boot[:], "the partition's boot sector"); err != nil {
		return err
	}
	rep, err := inspect.Inspect(r, p.ImageBytes, inspectOptions)
	if err != nil {
		return err
	}
	if !rep.Bootable || len(rep.Faults) > 0 {
		return fmt.Errorf("inspect: the image would not boot: %s", strings.Join(rep.Faults, "; "))
	}
	want := p.Loader.Sectors[1:]
	if rep.Loader.FirstSector != p.Loader.Sectors[0] || !slices.Equal(rep.Loader.SectorPtrs, want) {
		return fmt.Errorf("inspect reads LDLINUX.SYS sectors %d %v, planned %v", rep.Loader.FirstSector, rep.Loader.SectorPtrs, p.Loader.Sectors)
	}
	return nil
}

// inspectOptions are the options of the structure check. Every file's
// bytes are compared with their source by the read-back pass, so inspect's
// own per-file hashes are not needed (inspect.Options has no switch to
// skip them yet; see the report of the speed work).
var inspectOptions = inspect.Options{SkipHashes: true}

// fsBase is the byte offset of the FAT volume in the image.
func (p *Plan) fsBase() int64 {
	if p.PartitionOnly {
		return 0
	}
	return int64(p.Partition.StartLBA) * 512
}

// extent is a planned file's bytes in the image.
type extent struct {
	name string
	off  int64
	src  io.ReaderAt
	size int64
}

// readBackChunk is the size of one read of the image (and of a source).
const readBackChunk = 4 << 20

// bufPool holds readBackChunk-sized buffers, shared by concurrent builds.
var bufPool = sync.Pool{New: func() any { b := make([]byte, readBackChunk); return &b }}

// readBack hashes the image in ascending order and compares every file's
// bytes with its source on the way. It may follow a writer: upTo checks
// the image up to a given offset and can be called again with a larger one.
type readBack struct {
	p        *Plan
	r        io.ReaderAt
	exts     []extent // sorted by offset
	e        int      // first extent not wholly below off
	off      int64    // bytes checked so far
	h        hash.Hash
	buf, src *[]byte
}

func (p *Plan) newReadBack(r io.ReaderAt) *readBack {
	rb := &readBack{p: p, r: r, h: sha256.New(), buf: bufPool.Get().(*[]byte), src: bufPool.Get().(*[]byte)}
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
	return rb
}

// release returns the buffers; rb is unusable afterwards.
func (rb *readBack) release() {
	if rb.buf != nil {
		bufPool.Put(rb.buf)
		bufPool.Put(rb.src)
		rb.buf, rb.src = nil, nil
	}
}

func (rb *readBack) sum() string { return hex.EncodeToString(rb.h.Sum(nil)) }

// upTo checks the image from where it stopped up to end (at most the
// image's size).
func (rb *readBack) upTo(ctx context.Context, end int64) error {
	end = min(end, rb.p.ImageBytes)
	buf, src := *rb.buf, *rb.src
	for rb.off < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		off := rb.off
		n := min(int64(len(buf)), end-off)
		b := buf[:n]
		if _, err := rb.r.ReadAt(b, off); err != nil {
			return fmt.Errorf("reading back at byte %d: %w", off, err)
		}
		rb.h.Write(b)
		for ; rb.e < len(rb.exts) && rb.exts[rb.e].off+rb.exts[rb.e].size <= off; rb.e++ {
		}
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
		rb.off += n
	}
	return nil
}

// follow checks the image behind a writer that stores, in mark, the
// offset below which the image is final and signals wake after each store.
// It checks whole chunks as they become final and returns once the whole
// image is checked (or ctx ends: the writer failed or was cancelled).
func (rb *readBack) follow(ctx context.Context, mark *atomic.Int64, wake <-chan struct{}) error {
	size := rb.p.ImageBytes
	for rb.off < size {
		m := min(mark.Load(), size)
		if m < size {
			m = rb.off + (m-rb.off)/readBackChunk*readBackChunk
		}
		if m > rb.off {
			if err := rb.upTo(ctx, m); err != nil {
				return err
			}
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func expect(r io.ReaderAt, off int64, want []byte, what string) error {
	got := make([]byte, len(want))
	if _, err := r.ReadAt(got, off); err != nil {
		return fmt.Errorf("reading %s: %w", what, err)
	}
	if i := firstDiff(got, want); i >= 0 {
		return fmt.Errorf("%s differs from the plan at byte %d (0x%02X, planned 0x%02X)", what, i, got[i], want[i])
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
