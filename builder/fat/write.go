package fat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// BufferSize is the size of every buffered write (and read) of file data.
const BufferSize = 4 << 20

// WriteOptions say how Write reports its progress.
type WriteOptions struct {
	// Progress, when set, is called after each write (at most BufferSize
	// or CopyChunk bytes of file data) with a volume-relative byte offset
	// below which the volume holds its final bytes: Write goes in
	// ascending offsets, so everything below it is either written or a
	// zero that stays; the last call, after the last write, passes the
	// volume's size. A reader may check the volume behind the writer.
	// It runs on the writing goroutine.
	Progress func(end int64)
}

// Write writes the whole volume at byte offset base of dst, which must be
// zero-filled there (e.g. a freshly truncated file): reserved sectors with
// boot (FAT32: FSInfo, backup boot sector and FSInfo copy), both FATs, the
// folders, then file data in ascending offset order, checking ctx between
// chunks. boot is the boot sector to write: BootSector() or an overlay of
// it (bytes 0x03 up to BPBEnd and 55 AA must be BootSector()'s).
// content[path] supplies each file's bytes for every non-empty file (Path
// exactly as in the Spec).
func (p *Plan) Write(ctx context.Context, dst io.WriterAt, base int64, boot [SectorSize]byte, content map[string]io.ReaderAt, o WriteOptions) error {
	if err := p.Check(); err != nil {
		return err
	}
	if err := p.checkBoot(boot); err != nil {
		return err
	}
	for _, f := range p.Files {
		if f.Size == 0 {
			continue
		}
		src, ok := content[f.Path]
		if !ok || src == nil {
			return fmt.Errorf("fat: %s: no content given", f.Path)
		}
		if sr, ok := src.(*io.SectionReader); ok && sr.Size() != f.Size {
			return fmt.Errorf("fat: %s: content has %s bytes, the plan %s", f.Path, human.Commas(sr.Size()), human.Commas(f.Size))
		}
	}
	w := newWriter(ctx, dst, base)
	w.written = o.Progress
	if err := w.meta(p, boot); err != nil {
		return err
	}
	for _, f := range p.Files {
		if f.Size == 0 {
			continue
		}
		off := int64(p.ClusterSector(f.FirstCluster)) * SectorSize
		if err := w.copyFile(f, content[f.Path], off); err != nil {
			return err
		}
	}
	w.progress(int64(p.TotalSectors) * SectorSize)
	return nil
}

// checkBoot makes sure the boot sector's BPB is this plan's.
func (p *Plan) checkBoot(boot [SectorSize]byte) error {
	want := p.BootSector()
	if boot[0x1FE] != 0x55 || boot[0x1FF] != 0xAA {
		return fmt.Errorf("fat: boot sector does not end in 55 AA")
	}
	for i := 3; i < p.BPBEnd(); i++ {
		if boot[i] != want[i] {
			return fmt.Errorf("fat: boot sector byte %#x is %#02x, the plan's BPB has %#02x", i, boot[i], want[i])
		}
	}
	return nil
}

type writer struct {
	ctx     context.Context
	dst     io.WriterAt
	file    *os.File // dst, when it is a file (copy_file_range)
	base    int64
	buf     []byte          // grown up to BufferSize as needed (not at all for copy_file_range)
	written func(end int64) // progress callback; nil: none
	mark    int64           // last offset passed to written
}

func newWriter(ctx context.Context, dst io.WriterAt, base int64) *writer {
	w := &writer{ctx: ctx, dst: dst, base: base}
	w.file, _ = dst.(*os.File)
	return w
}

// meta writes everything before the file data: the reserved sectors, the
// FATs and the folders, each region whole.
func (w *writer) meta(p *Plan, boot [SectorSize]byte) error {
	for _, step := range []func(*Plan) error{
		func(p *Plan) error { return w.reserved(p, boot) },
		w.fats,
		w.folders,
	} {
		if err := step(p); err != nil {
			return err
		}
	}
	return nil
}

// progress reports that the volume is final below end.
func (w *writer) progress(end int64) {
	if w.written != nil && end > w.mark {
		w.mark = end
		w.written(end)
	}
}

// buffer returns min(n, BufferSize) bytes of buffer.
func (w *writer) buffer(n int64) []byte {
	n = min(n, BufferSize)
	if int64(len(w.buf)) < n {
		w.buf = make([]byte, n)
	}
	return w.buf[:n]
}

func (w *writer) writeAt(b []byte, off int64, what string) error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("fat: %s: %w", what, err)
	}
	if _, err := w.dst.WriteAt(b, w.base+off); err != nil {
		return fmt.Errorf("fat: write %s: %w", what, err)
	}
	w.progress(off + int64(len(b)))
	return nil
}

// reserved writes the reserved sectors whole.
func (w *writer) reserved(p *Plan, boot [SectorSize]byte) error {
	b := make([]byte, int(p.ReservedSectors)*SectorSize)
	copy(b, boot[:])
	if p.Type == 32 {
		fsi := p.fsInfo()
		copy(b[int(p.FSInfoSector)*SectorSize:], fsi[:])
		copy(b[int(p.BackupBootSector)*SectorSize:], boot[:])
		copy(b[(int(p.BackupBootSector)+1)*SectorSize:], fsi[:])
	}
	return w.writeAt(b, 0, "reserved sectors")
}

// fats writes the used part of every FAT copy (fatUsed), in chunks of at
// most BufferSize; the rest of each copy stays zero (free clusters).
func (w *writer) fats(p *Plan) error {
	ext := p.chains()
	size := p.fatUsed()
	for copyN := int64(0); copyN < int64(p.NumFATs); copyN++ {
		start := (int64(p.ReservedSectors) + copyN*int64(p.FATSectors)) * SectorSize
		for off := int64(0); off < size; off += BufferSize {
			chunk := w.buffer(size - off)
			p.fatBytes(chunk, off, ext)
			if err := w.writeAt(chunk, start+off, fmt.Sprintf("FAT %d", copyN+1)); err != nil {
				return err
			}
		}
	}
	return nil
}

// folders writes the FAT12/16 root region, then every folder cluster.
func (w *writer) folders(p *Plan) error {
	if p.Type != 32 {
		b := make([]byte, int64(p.RootDirSectors)*SectorSize)
		p.dirBytes(-1, b)
		start := int64(p.ReservedSectors) + int64(p.NumFATs)*int64(p.FATSectors)
		if err := w.writeAt(b, start*SectorSize, "root folder"); err != nil {
			return err
		}
	}
	cb := p.ClusterBytes()
	n := int64(p.RootClusters)
	for _, d := range p.Folders {
		n += int64(d.Clusters)
	}
	if n == 0 {
		return nil
	}
	b := make([]byte, n*cb)
	at := int64(0)
	if p.Type == 32 {
		at = int64(p.RootClusters) * cb
		p.dirBytes(-1, b[:at])
	}
	for i, d := range p.Folders {
		end := at + int64(d.Clusters)*cb
		p.dirBytes(i, b[at:end])
		at = end
	}
	return w.writeAt(b, int64(p.FirstDataSector)*SectorSize, "folders")
}

// dirBytes fills b with the entries of folder dir (-1 = root).
func (p *Plan) dirBytes(dir int, b []byte) {
	ft := toFATTime(p.ModTime)
	off := 0
	add := func(e dirEntry) {
		e.put(b[off:])
		off += dirEntrySize
	}
	if dir >= 0 {
		d := p.Folders[dir]
		parent := uint32(0) // ".." of a top-level folder is 0, also on FAT32
		if d.Parent >= 0 {
			parent = p.Folders[d.Parent].FirstCluster
		}
		add(shortEntry(".          ", Directory, d.FirstCluster, 0, ft))
		add(shortEntry("..         ", Directory, parent, 0, ft))
	} else if p.LabelEntry {
		add(shortEntry(p.Label, VolumeID, 0, 0, ft))
	}
	for _, e := range p.children(dir) {
		if e.LongName != "" {
			off += putLongName(b[off:], e.LongName, e.ShortName)
		}
		add(shortEntry(e.ShortName, e.Attr, e.FirstCluster, uint32(e.Size), ft))
	}
}

// CopyChunk bounds one copy_file_range call, so that ctx is checked and
// progress is reported often enough for a reader to follow the writer
// closely (the builder's read-back pass hashes behind it on another core,
// and starves while a long call runs: 2 MiB builds ~25% faster than 8).
const CopyChunk = 2 << 20

// copyFile copies one file's bytes to volume offset off: copy_file_range
// when both ends are files, else (or on EXDEV, ENOSYS, ...) buffered.
func (w *writer) copyFile(f PlannedFile, src io.ReaderAt, off int64) error {
	done := int64(0)
	if sf, soff, ok := osFile(src); ok && w.file != nil {
		n, err := fileio.CopyRange(w.ctx, w.file, w.base+off, sf, soff, f.Size, CopyChunk, func(done int64) { w.progress(off + done) })
		done = n
		switch {
		case err == nil && n == f.Size:
			return nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("fat: %s: content ends after %s of %s bytes", f.Path, human.Commas(n), human.Commas(f.Size))
		case err != nil && !errors.Is(err, fileio.ErrFallback):
			return fmt.Errorf("fat: write %s: %w", f.Path, err)
		}
	}
	for done < f.Size {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("fat: %s: %w", f.Path, err)
		}
		chunk := w.buffer(f.Size - done)
		n, err := src.ReadAt(chunk, done)
		if n < len(chunk) {
			if err == nil || errors.Is(err, io.EOF) {
				return fmt.Errorf("fat: %s: content ends after %s of %s bytes", f.Path, human.Commas(done+int64(n)), human.Commas(f.Size))
			}
			return fmt.Errorf("fat: read %s: %w", f.Path, err)
		}
		if err := w.writeAt(chunk, off+done, f.Path); err != nil {
			return err
		}
		done += int64(n)
	}
	return nil
}

// osFile finds the file and offset behind src: an *os.File itself or an
// *io.SectionReader over one.
func osFile(src io.ReaderAt) (*os.File, int64, bool) {
	switch s := src.(type) {
	case *os.File:
		return s, 0, true
	case *io.SectionReader:
		outer, off, _ := s.Outer()
		if f, ok := outer.(*os.File); ok {
			return f, off, true
		}
	}
	return nil, 0, false
}

// Extent is a byte range of the volume (or image): [Off, Off+Len).
type Extent struct {
	Off, Len int64
}

// Extents are the byte ranges of the volume that Write writes (reserved
// sectors, the used part of each FAT, folders, file data rounded up to
// whole clusters), in ascending order, adjacent ranges joined. Everything
// else stays zero: in a file, where it reads as zeros.
func (p *Plan) Extents() []Extent { return p.extents(p.fatUsed()) }

// DiskExtents are the byte ranges a used disk must receive for the volume
// to be what the plan says: Extents with every FAT copy whole (its free
// tail must read as zeros, and a disk's old bytes are not zeros). Only
// free data clusters are left out.
func (p *Plan) DiskExtents() []Extent { return p.extents(int64(p.FATSectors) * SectorSize) }

// extents are the volume's written ranges with fatBytes bytes of each FAT.
func (p *Plan) extents(fatBytes int64) []Extent {
	var out []Extent
	add := func(off, n int64) {
		if n <= 0 {
			return
		}
		if k := len(out) - 1; k >= 0 && out[k].Off+out[k].Len >= off {
			out[k].Len = max(out[k].Len, off+n-out[k].Off)
			return
		}
		out = append(out, Extent{off, n})
	}
	add(0, int64(p.ReservedSectors)*SectorSize)
	for copyN := int64(0); copyN < int64(p.NumFATs); copyN++ {
		add((int64(p.ReservedSectors)+copyN*int64(p.FATSectors))*SectorSize, fatBytes)
	}
	add((int64(p.ReservedSectors)+int64(p.NumFATs)*int64(p.FATSectors))*SectorSize, int64(p.RootDirSectors)*SectorSize)
	cb := p.ClusterBytes()
	n := int64(p.RootClusters)
	for _, d := range p.Folders {
		n += int64(d.Clusters)
	}
	add(int64(p.FirstDataSector)*SectorSize, n*cb)
	files := make([]PlannedFile, 0, len(p.Files))
	for _, f := range p.Files {
		if f.Size > 0 {
			files = append(files, f)
		}
	}
	slices.SortFunc(files, func(a, b PlannedFile) int { return int(a.FirstCluster) - int(b.FirstCluster) })
	for _, f := range files {
		add(int64(p.ClusterSector(f.FirstCluster))*SectorSize, int64(f.Clusters)*cb)
	}
	return out
}
