// Package isofs reads the file tree of an ISO9660 image (as ESXi install media
// are) straight from the image file: no mounting, no extraction.
//
// Open walks the whole tree once, bounded (MaxDepth, MaxEntries), and keeps
// each file's original name: the Rock Ridge name when the image has Rock
// Ridge, else the Joliet name when it has a Joliet volume, else the ISO9660
// identifier with its ";1" version and a trailing "." removed. Lookups are
// case-insensitive. Each file's bytes are read through an *io.SectionReader
// over the image's *os.File, so a writer can use copy_file_range through
// SectionReader.Outer.
//
// Record decoding uses github.com/kdomanski/iso9660 (volume descriptors,
// directory records, SUSP/Rock Ridge entries), always on bytes whose bounds
// were checked here first: the library's own tree walker (File.GetChildren)
// panics or loops forever on some corrupt images and reports unreadable
// folders as empty, so it is not used.
//
// It must not know FAT, syslinux or which ESXi files matter.
package isofs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// Bounds on what Open walks.
const (
	MaxDepth   = 16      // folders nested deeper than this are refused
	MaxEntries = 100_000 // files and folders in the whole image
)

// Naming schemes an image's names come from (Image.Names).
const (
	NamesRockRidge = "Rock Ridge"
	NamesJoliet    = "Joliet"
	NamesISO9660   = "ISO 9660"
)

// File is one regular file of the image.
type File struct {
	Path string // "EFI/BOOT/BOOTX64.EFI": original case, no leading "/", no ";1"
	Size int64  // bytes
}

// Image is an opened ISO9660 image. Its methods are safe for concurrent use
// once Open has returned (Close excepted).
type Image struct {
	name   string      // the image's path, for messages
	ra     io.ReaderAt // the image bytes (the *os.File for Open)
	closer io.Closer   // nil when not opened by Open
	size   int64       // image size in bytes
	volID  string      // primary volume identifier, trailing blanks trimmed
	names  string      // NamesRockRidge, NamesJoliet or NamesISO9660
	files  []File      // sorted by Path
	offset []int64     // byte offset in the image of files[i]'s data
	index  map[string]int
}

// Open opens the ISO image at path and walks its tree. Errors name path.
func Open(path string) (*Image, error) {
	return OpenContext(context.Background(), path)
}

// OpenContext is Open that stops walking the tree, with ctx's error, once
// ctx ends: every read of a folder or of a continuation area checks it (a
// crafted image can hold MaxEntries records). The Image's later reads
// (Section, ReadFile) do not take ctx.
func OpenContext(ctx context.Context, path string) (*Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := regular.Open(path, false)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() && st.Mode()&fs.ModeDevice == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := st.Size()
	if st.Mode()&fs.ModeDevice != 0 {
		if size, err = f.Seek(0, io.SeekEnd); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: size: %w", path, err)
		}
	}
	im, err := read(ctxReaderAt{ctx, f}, size, path)
	if err != nil {
		f.Close()
		if ctx.Err() != nil { // a read refused because ctx ended: not a fault of the image
			return nil, fmt.Errorf("%s: %w", path, ctx.Err())
		}
		return nil, err
	}
	im.ra, im.closer = f, f
	return im, nil
}

// ctxReaderAt refuses every read once ctx has ended.
type ctxReaderAt struct {
	ctx context.Context
	ra  io.ReaderAt
}

func (r ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.ra.ReadAt(p, off)
}

// read builds an Image over ra (size bytes); name is used in messages.
func read(ra io.ReaderAt, size int64, name string) (*Image, error) {
	vols, err := readVolumes(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w := &walker{ra: ra, size: size, seen: map[int64]bool{}}
	root := vols.primary.root
	names := NamesISO9660
	susp, skip, rr, err := w.rootSUSP(root)
	if err != nil {
		return nil, fmt.Errorf("%s: root folder: %w", name, err)
	}
	switch {
	case susp && (rr || vols.joliet == nil): // Rock Ridge (or SUSP that may carry NM names)
		w.susp, w.skip = true, skip
		if rr {
			names = NamesRockRidge
		}
	case vols.joliet != nil:
		w.joliet = true
		root = vols.joliet.root
		names = NamesJoliet
	}
	if err := w.walk("", &root, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if w.nmNames > 0 {
		names = NamesRockRidge
	}
	im := &Image{name: name, ra: ra, size: size, volID: vols.primary.id, names: names}
	sort.Slice(w.files, func(i, j int) bool { return w.files[i].Path < w.files[j].Path })
	im.index = make(map[string]int, len(w.files))
	for i, e := range w.files {
		im.files = append(im.files, File{Path: e.Path, Size: e.Size})
		im.offset = append(im.offset, e.offset)
		im.index[key(e.Path)] = i // names that differ only in case were refused by the walk
	}
	return im, nil
}

// Name returns the image's path as given to Open.
func (im *Image) Name() string { return im.name }

// VolumeID returns the primary volume identifier ("ESXi-4.1.0-260247").
func (im *Image) VolumeID() string { return im.volID }

// Names says where the file names come from: NamesRockRidge, NamesJoliet or NamesISO9660.
func (im *Image) Names() string { return im.names }

// Size returns the image size in bytes.
func (im *Image) Size() int64 { return im.size }

// Files returns every regular file, sorted by Path. The slice is a copy.
func (im *Image) Files() []File { return append([]File(nil), im.files...) }

// Lookup finds a file by path, ignoring case and a leading "/":
// "/ISOLINUX.CFG" finds "isolinux.cfg". Folders are not files.
func (im *Image) Lookup(p string) (File, bool) {
	i, ok := im.index[key(p)]
	if !ok {
		return File{}, false
	}
	return im.files[i], true
}

// Section returns a reader of the file's bytes, reading the image directly;
// for Open'ed images Outer() returns the image's *os.File.
func (im *Image) Section(p string) (*io.SectionReader, error) {
	i, ok := im.index[key(p)]
	if !ok {
		return nil, fmt.Errorf("%s: %s: %w", im.name, strings.TrimPrefix(p, "/"), fs.ErrNotExist)
	}
	return io.NewSectionReader(im.ra, im.offset[i], im.files[i].Size), nil
}

// ReadFile returns the file's bytes; files over max bytes are refused.
func (im *Image) ReadFile(p string, max int64) ([]byte, error) {
	sr, err := im.Section(p)
	if err != nil {
		return nil, err
	}
	f := im.files[im.index[key(p)]]
	if f.Size > max {
		return nil, fmt.Errorf("%s: %s: %s bytes, more than the %s allowed", im.name, f.Path, human.Commas(f.Size), human.Commas(max))
	}
	b := make([]byte, f.Size)
	if _, err := io.ReadFull(sr, b); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", im.name, f.Path, err)
	}
	return b, nil
}

// Close closes the image file.
func (im *Image) Close() error {
	if im.closer == nil {
		return nil
	}
	err := im.closer.Close()
	im.closer = nil
	return err
}

// key is the index key of path p.
func key(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	return lowerASCII(strings.TrimPrefix(path.Clean("/"+p), "/"))
}

// lowerASCII folds A-Z only: strings.ToLower would fold "K" (U+212A,
// KELVIN SIGN) to "k" and let a name match a file it is not.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// ErrCorrupt is wrapped by errors about malformed on-disk structures.
var ErrCorrupt = errors.New("corrupt ISO9660 image")
