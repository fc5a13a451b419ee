package cd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
)

const chunk = 4 << 20 // read-back unit

// Verify says how much of the copy Fill reads back.
type Verify int

const (
	// VerifyWritten reads back every sector Fill writes (the rewrites
	// before Plan.Prefix and the whole part after it) and the structure;
	// the input's bytes are the kernel's copy (a reflink or
	// copy_file_range), trusted as cp trusts it, and hashed from the input.
	VerifyWritten Verify = iota
	// VerifyFull reads back every byte of the copy, compares it with the
	// input and the plan and hashes what it read.
	VerifyFull
)

// afterWrite, when set (tests), runs once the copy is written, before it
// is verified.
var afterWrite func()

// Fill writes the copy into the empty file f and verifies it. Where the
// file system shares extents (Btrfs, XFS) the input is cloned whole and
// the plan's sectors written over and after it; elsewhere the input is
// copied in the kernel (copy_file_range) and the plan's sectors written.
// With VerifyWritten the SHA-256 of the prefix comes from the input,
// hashed on another goroutine beside the copy, once per Source and
// prefix; what Fill wrote is read back and compared (VerifyWritten on the
// Plan), then the trees, the El Torito catalog and the size. With
// VerifyFull a second goroutine reads back every byte behind the writer.
// The input must keep its size and times from Open to the end
// (ErrInputChanged). It returns the SHA-256 and whether extents are shared.
func (p *Plan) Fill(ctx context.Context, f *os.File, v Verify) (sum string, reflink bool, err error) {
	if err := p.src.unchanged(); err != nil {
		return "", false, err
	}
	if v == VerifyFull {
		sum, reflink, err = p.fillFull(ctx, f)
	} else {
		sum, reflink, err = p.fillWritten(ctx, f)
	}
	if err != nil {
		return "", reflink, err
	}
	if err := p.src.unchanged(); err != nil {
		return "", reflink, err
	}
	return sum, reflink, nil
}

// fillWritten writes the copy while the prefix is hashed from the input,
// then reads back what it wrote.
func (p *Plan) fillWritten(ctx context.Context, f *os.File) (string, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pre := p.src.startPrefix(ctx, p)
	reflink := fileio.Reflink(f, p.src.file) == nil
	var err error
	if reflink {
		err = p.patchAll(f)
	} else {
		err = p.copyAll(ctx, f)
	}
	if err != nil {
		return "", reflink, fmt.Errorf("writing: %w", err)
	}
	if afterWrite != nil {
		afterWrite()
	}
	sum, err := p.verifyWritten(ctx, f, pre)
	if err != nil {
		return "", reflink, fmt.Errorf("verifying: %w", err)
	}
	return sum, reflink, nil
}

// copyAll copies the input in the kernel, then writes the plan's sectors.
func (p *Plan) copyAll(ctx context.Context, f *os.File) error {
	if err := f.Truncate(p.ImageBytes); err != nil {
		return err
	}
	n, err := fileio.CopyRange(ctx, f, 0, p.src.file, 0, p.ISOBytes, 64<<20, nil)
	if errors.Is(err, fileio.ErrFallback) {
		err = fileio.CopyBuffered(ctx, f, n, p.src.file, n, p.ISOBytes-n)
	}
	if err != nil {
		return err
	}
	for _, pt := range p.Patches {
		if err := p.writePatch(f, pt); err != nil {
			return err
		}
	}
	return nil
}

// VerifyWritten checks a finished copy r as Fill does by default: every
// sector the plan writes before Plan.Prefix and every byte after it read
// back and compared with the plan, the part after the prefix hashed on
// from the prefix's state (hashed from the input, once per Source); then
// the structure (checkStructure) and, for a file, its size. The bytes
// before the prefix that the plan does not write are not read.
func (p *Plan) VerifyWritten(ctx context.Context, r io.ReaderAt) (string, error) {
	return p.verifyWritten(ctx, r, p.src.startPrefix(ctx, p))
}

// writtenChunk is VerifyWritten's read unit: what it reads is a few
// sectors and the part after the prefix (KiB to a few granules), and a
// batch runs one per CPU.
const writtenChunk = 256 << 10

func (p *Plan) verifyWritten(ctx context.Context, r io.ReaderAt, pre *prefixHash) (string, error) {
	got, want := make([]byte, writtenChunk), make([]byte, writtenChunk)
	check := func(off, end int64, h io.Writer) error {
		for ; off < end; off += writtenChunk {
			n := min(writtenChunk, end-off)
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := r.ReadAt(got[:n], off); err != nil {
				return fmt.Errorf("reading back byte %d: %w", off, err)
			}
			if err := p.ov.readAt(want[:n], off); err != nil {
				return err
			}
			if err := sameBytes(got[:n], want[:n], off); err != nil {
				return err
			}
			if h != nil {
				h.Write(want[:n])
			}
		}
		return nil
	}
	for _, pt := range p.Patches {
		if pt.Offset < p.Prefix {
			if err := check(pt.Offset, min(pt.Offset+pt.Bytes, p.Prefix), nil); err != nil {
				return "", err
			}
		}
	}
	h, err := p.src.prefixState(ctx, p, pre)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", p.ISO, err)
	}
	if err := check(p.Prefix, p.ImageBytes, h); err != nil {
		return "", err
	}
	if size, ok := statSize(r); ok && size != p.ImageBytes {
		return "", fmt.Errorf("the copy has %d bytes, the plan %d", size, p.ImageBytes)
	}
	if err := p.checkStructure(r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sameBytes says where got first differs from want (the copy's bytes at off).
func sameBytes(got, want []byte, off int64) error {
	if bytes.Equal(got, want) {
		return nil
	}
	i := 0
	for got[i] == want[i] {
		i++
	}
	return fmt.Errorf("byte %d (sector %d) reads %#02x, the plan says %#02x", off+int64(i), (off+int64(i))/Sector, got[i], want[i])
}

// fillFull writes the copy while a second goroutine reads back every byte
// behind the writer (VerifyFull).
func (p *Plan) fillFull(ctx context.Context, f *os.File) (sum string, reflink bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rb := newReadBack(p, f)
	go rb.run(ctx, cancel)
	if fileio.Reflink(f, p.src.file) == nil {
		reflink = true
		err = p.patchAll(f)
		rb.advance(p.ImageBytes)
	} else {
		err = p.stream(ctx, f, rb.advance)
	}
	rb.advance(p.ImageBytes) // let the reader finish (or fail) either way
	sum, rerr := rb.wait()
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		return "", reflink, fmt.Errorf("writing: %w", err)
	case rerr != nil:
		return "", reflink, fmt.Errorf("verifying: %w", rerr)
	case err != nil:
		return "", reflink, fmt.Errorf("writing: %w", err)
	}
	if afterWrite != nil {
		afterWrite()
	}
	if size, ok := statSize(f); ok && size != p.ImageBytes {
		return "", reflink, fmt.Errorf("verifying: the copy has %d bytes, the plan %d", size, p.ImageBytes)
	}
	if err := p.checkStructure(f); err != nil {
		return "", reflink, fmt.Errorf("verifying: %w", err)
	}
	return sum, reflink, nil
}

// patchAll writes the plan's sectors over a clone of the input.
func (p *Plan) patchAll(f *os.File) error {
	if err := f.Truncate(p.ImageBytes); err != nil {
		return err
	}
	for _, pt := range p.Patches {
		if err := p.writePatch(f, pt); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plan) writePatch(f *os.File, pt Patch) error {
	b := make([]byte, pt.Bytes)
	if err := p.ov.readAt(b, pt.Offset); err != nil {
		return err
	}
	if _, err := f.WriteAt(b, pt.Offset); err != nil {
		return fmt.Errorf("%s at byte %d: %w", pt.What, pt.Offset, err)
	}
	return nil
}

// stream writes the copy in offset order: input ranges copied in the
// kernel, the plan's sectors written; done hears each new high-water mark.
func (p *Plan) stream(ctx context.Context, f *os.File, done func(int64)) error {
	if err := f.Truncate(p.ImageBytes); err != nil {
		return err
	}
	at := int64(0)
	copyTo := func(end int64) error {
		end = min(end, p.ISOBytes)
		if at >= end {
			return nil
		}
		n, err := fileio.CopyRange(ctx, f, at, p.src.file, at, end-at, 64<<20, func(d int64) { done(at + d) })
		if errors.Is(err, fileio.ErrFallback) {
			err = fileio.CopyBuffered(ctx, f, at+n, p.src.file, at+n, end-at-n)
		}
		at = end
		return err
	}
	for _, pt := range p.Patches {
		if err := copyTo(pt.Offset); err != nil {
			return err
		}
		if err := p.writePatch(f, pt); err != nil {
			return err
		}
		at = max(at, pt.Offset+pt.Bytes)
		done(at)
	}
	if err := copyTo(p.ImageBytes); err != nil {
		return err
	}
	done(p.ImageBytes)
	return nil
}

// readBack trails the writer: it reads what is written, compares it with
// the plan's bytes and hashes them.
type readBack struct {
	p    *Plan
	r    io.ReaderAt
	mu   sync.Mutex
	cond *sync.Cond
	hw   int64 // bytes written so far (in order)
	sum  string
	err  error
	end  chan struct{}
}

func newReadBack(p *Plan, r io.ReaderAt) *readBack {
	rb := &readBack{p: p, r: r, end: make(chan struct{})}
	rb.cond = sync.NewCond(&rb.mu)
	return rb
}

// advance says the first n bytes are written.
func (rb *readBack) advance(n int64) {
	rb.mu.Lock()
	if n > rb.hw {
		rb.hw = n
		rb.cond.Broadcast()
	}
	rb.mu.Unlock()
}

func (rb *readBack) wait() (string, error) {
	<-rb.end
	return rb.sum, rb.err
}

func (rb *readBack) run(ctx context.Context, cancel context.CancelCauseFunc) {
	defer close(rb.end)
	h := sha256.New()
	got, want := make([]byte, chunk), make([]byte, chunk)
	size := rb.p.ImageBytes
	for off := int64(0); off < size; off += chunk {
		n := min(chunk, size-off)
		rb.mu.Lock()
		for rb.hw < off+n {
			rb.cond.Wait()
		}
		rb.mu.Unlock()
		if err := ctx.Err(); err != nil {
			rb.err = err
			return
		}
		if _, err := rb.r.ReadAt(got[:n], off); err != nil {
			rb.fail(cancel, fmt.Errorf("reading back byte %d: %w", off, err))
			return
		}
		if err := rb.p.ov.readAt(want[:n], off); err != nil {
			rb.fail(cancel, err)
			return
		}
		if err := sameBytes(got[:n], want[:n], off); err != nil {
			rb.fail(cancel, err)
			return
		}
		h.Write(want[:n])
	}
	rb.sum = hex.EncodeToString(h.Sum(nil))
}

func (rb *readBack) fail(cancel context.CancelCauseFunc, err error) {
	rb.err = err
	cancel(err)
}

// Verify reads a finished copy r back as VerifyFull does: every byte
// compared with the plan, hashed; then its structure (checkStructure).
func (p *Plan) Verify(ctx context.Context, r io.ReaderAt) (string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rb := newReadBack(p, r)
	rb.advance(p.ImageBytes)
	rb.run(ctx, cancel)
	if rb.err != nil {
		return "", rb.err
	}
	return rb.sum, p.checkStructure(r)
}

// checkStructure reads the copy's trees and boot catalog as a reader would.
func (p *Plan) checkStructure(r io.ReaderAt) error {
	trees, err := readHierarchies(r, p.ImageBytes)
	if err != nil {
		return err
	}
	for _, f := range p.Files {
		for ti, h := range trees {
			n := 0
			for _, d := range h.dirs {
				for _, rec := range d.recs[2:] {
					if rec.isFile() && rec.ext() == f.Sector && int64(rec.size()) == f.Bytes {
						n++
					}
				}
			}
			if n == 0 {
				return fmt.Errorf("%s: no record of directory hierarchy %d points at its new data (sector %d)", f.Path, ti+1, f.Sector)
			}
		}
		got := make([]byte, f.Bytes)
		if _, err := r.ReadAt(got, int64(f.Sector)*Sector); err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		if !bytes.Equal(got, f.data) {
			return fmt.Errorf("%s: its bytes at sector %d differ from the plan", f.Path, f.Sector)
		}
	}
	cat, err := ReadCatalog(r)
	if err != nil {
		return err
	}
	if (cat == nil) != (p.Catalog == nil) || cat != nil && !sameImages(cat, p.Catalog) {
		return fmt.Errorf("the El Torito catalog differs from the input's")
	}
	if cat != nil {
		for _, im := range p.Catalog.Images {
			if im.Platform != "BIOS" || im.Media != "no emulation" || im.Size == 0 || im.Size > 1<<20 {
				continue
			}
			bin := make([]byte, im.Size)
			if _, err := r.ReadAt(bin, int64(im.LBA)*Sector); err != nil {
				return fmt.Errorf("BIOS boot image %s: %w", im.Path, err)
			}
			if msg := CheckBootInfoTable(bin, im.LBA); msg != "" && p.src.bootInfoOK(im) {
				return fmt.Errorf("BIOS boot image %s: %s", im.Path, msg)
			}
		}
	}
	return nil
}

func sameImages(a, b *Catalog) bool {
	if a.Sector != b.Sector || len(a.Images) != len(b.Images) {
		return false
	}
	for i := range a.Images {
		x, y := a.Images[i], b.Images[i]
		x.Path, x.Size, y.Path, y.Size = "", 0, "", 0
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// bootInfoOK says whether the input's copy of a boot image had a right
// boot info table (one without cannot be faulted in the copy).
func (s *Source) bootInfoOK(im BootImage) bool {
	bin := make([]byte, im.Size)
	if _, err := s.file.ReadAt(bin, int64(im.LBA)*Sector); err != nil {
		return false
	}
	return CheckBootInfoTable(bin, im.LBA) == ""
}
