package isofs

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/kdomanski/iso9660"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// Directory record file flags (ECMA-119 9.1.6).
const (
	flagDir         = 0x02 // a folder
	flagAssociated  = 0x04 // an associated file (e.g. a Mac resource fork): skipped
	flagMultiExtent = 0x80 // not the final extent of a file over 4 GiB
)

const (
	minRecord   = 34       // shortest directory record: 33 fixed bytes + 1 identifier byte
	maxDirBytes = 32 << 20 // largest folder extent read
	maxDirTotal = 64 << 20 // all folder extents read together
)

// entry is a file found by the walker.
type entry struct {
	Path   string // full path, original case
	Size   int64  // bytes
	offset int64  // byte offset of the data in the image
}

// walker walks one directory hierarchy (primary or Joliet) of an image.
type walker struct {
	ra      io.ReaderAt
	size    int64          // image bytes
	joliet  bool           // identifiers are UCS-2 big-endian (Joliet tree)
	susp    bool           // records carry SUSP entries (root "." has SP)
	skip    int            // SP LEN_SKP: bytes skipped at the start of each System Use area
	entries int            // records counted against MaxEntries
	nmNames int            // names taken from Rock Ridge NM entries
	seen    map[int64]bool // folder extents walked (loop guard)
	dirRead int64          // folder bytes read so far (bounded by maxDirTotal)
	ceRead  int64          // SUSP continuation bytes read so far (bounded by maxCETotal)
	files   []entry
}

// extent returns the byte offset and length of a record's data, checked
// against the image size.
func (w *walker) extent(de *iso9660.DirectoryEntry) (int64, int64, error) {
	if de.ExtentLocation < 0 {
		return 0, 0, fmt.Errorf("%w: extent at sector %d", ErrCorrupt, de.ExtentLocation)
	}
	off := (int64(de.ExtentLocation) + int64(de.ExtendedAtributeRecordLength)) * sectorSize
	n := int64(de.ExtentLength)
	if n > 0 && off+n > w.size {
		return 0, 0, fmt.Errorf("%w: data at bytes %s..%s lies beyond the end of the image (%s bytes; truncated?)",
			ErrCorrupt, human.Commas(off), human.Commas(off+n), human.Commas(w.size))
	}
	return off, n, nil
}

// readFolder reads a folder's extent.
func (w *walker) readFolder(de *iso9660.DirectoryEntry) ([]byte, int64, error) {
	off, n, err := w.extent(de)
	if err != nil {
		return nil, 0, err
	}
	if n > maxDirBytes {
		return nil, 0, fmt.Errorf("%w: folder extent of %s bytes (limit %s)", ErrCorrupt, human.Commas(n), human.Commas(maxDirBytes))
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("%w: folder extent is empty (unreadable folder)", ErrCorrupt)
	}
	if w.dirRead += n; w.dirRead > maxDirTotal {
		return nil, 0, fmt.Errorf("%w: folders total more than %s bytes", ErrCorrupt, human.Commas(maxDirTotal))
	}
	buf := make([]byte, n)
	if _, err := w.ra.ReadAt(buf, off); err != nil {
		return nil, 0, fmt.Errorf("reading folder at byte %s: %w", human.Commas(off), err)
	}
	return buf, off, nil
}

// record returns the directory record at buf[off:], decoded after checking
// every bound the decoder relies on. Records never cross a sector boundary.
func record(buf []byte, off int) (*iso9660.DirectoryEntry, int, error) {
	n := int(buf[off])
	idLen := 0
	if off+33 <= len(buf) {
		idLen = int(buf[off+32])
	}
	switch {
	case n < minRecord:
		return nil, 0, fmt.Errorf("%w: directory record of %d bytes at offset %d", ErrCorrupt, n, off)
	case off%sectorSize+n > sectorSize || off+n > len(buf):
		return nil, 0, fmt.Errorf("%w: directory record at offset %d crosses a sector boundary", ErrCorrupt, off)
	case idLen == 0 || 33+idLen+(idLen+1)%2 > n:
		return nil, 0, fmt.Errorf("%w: directory record at offset %d: identifier of %d bytes in a %d-byte record", ErrCorrupt, off, idLen, n)
	}
	var de iso9660.DirectoryEntry
	if err := de.UnmarshalBinary(buf[off : off+n : off+n]); err != nil {
		return nil, 0, fmt.Errorf("%w: directory record at offset %d: %w", ErrCorrupt, off, err)
	}
	return &de, n, nil
}

// walk lists the folder described by d (path prefix, "" for the root).
func (w *walker) walk(prefix string, d *iso9660.DirectoryEntry, depth int) error {
	where := "/" + prefix
	buf, start, err := w.readFolder(d)
	if err != nil {
		return fmt.Errorf("folder %s: %w", where, err)
	}
	if w.seen[start] {
		return fmt.Errorf("folder %s: %w: it loops back to a folder already listed", where, ErrCorrupt)
	}
	w.seen[start] = true
	names := map[string]string{} // lower-case name -> name, for duplicates
	for off := 0; off < len(buf); {
		if buf[off] == 0 { // no more records in this sector
			off = (off/sectorSize + 1) * sectorSize
			continue
		}
		de, n, err := record(buf, off)
		if err != nil {
			return fmt.Errorf("folder %s: %w", where, err)
		}
		off += n
		if de.Identifier == "\x00" || de.Identifier == "\x01" { // "." and ".."
			continue
		}
		if w.entries++; w.entries > MaxEntries {
			return fmt.Errorf("folder %s: more than %d files and folders in the image", where, MaxEntries)
		}
		name, skip, err := w.name(de)
		if err != nil {
			return fmt.Errorf("folder %s: %w", where, err)
		}
		if skip || de.FileFlags&flagAssociated != 0 {
			continue
		}
		full := prefix + name
		if de.FileFlags&flagMultiExtent != 0 {
			return fmt.Errorf("%s: stored as several extents (a file over 4 GiB): not supported", full)
		}
		if de.FileUnitSize != 0 || de.InterleaveGap != 0 {
			return fmt.Errorf("%s: interleaved file: not supported", full)
		}
		if prev, dup := names[strings.ToLower(name)]; dup {
			if prev == name {
				return fmt.Errorf("folder %s: %q appears twice (a file over 4 GiB has one entry per extent; not supported)", where, name)
			}
			return fmt.Errorf("folder %s: %q and %q differ only in case", where, prev, name)
		}
		names[strings.ToLower(name)] = name
		if de.FileFlags&flagDir != 0 {
			if depth+1 > MaxDepth {
				return fmt.Errorf("folder /%s: nested deeper than %d folders", full, MaxDepth)
			}
			if err := w.walk(full+"/", de, depth+1); err != nil {
				return err
			}
			continue
		}
		dataOff, size, err := w.extent(de)
		if err != nil {
			return fmt.Errorf("%s: %w", full, err)
		}
		w.files = append(w.files, entry{Path: full, Size: size, offset: dataOff})
	}
	return nil
}

// name returns a record's original name; skip is set for entries that are
// no file or folder of their own (Rock Ridge relocated folders, symlinks).
func (w *walker) name(de *iso9660.DirectoryEntry) (name string, skip bool, err error) {
	id := de.Identifier
	if w.joliet {
		id, err = ucs2(id)
		if err != nil {
			return "", false, err
		}
	}
	if de.FileFlags&flagDir == 0 {
		if i := strings.LastIndexByte(id, ';'); i >= 0 {
			id = id[:i]
		}
		id = strings.TrimSuffix(id, ".")
	}
	name = id
	if w.susp {
		su, err := w.systemUse(de.SystemUse)
		if err != nil {
			return "", false, fmt.Errorf("%q: %w", id, err)
		}
		rr, err := rockRidge(su)
		if err != nil {
			return "", false, fmt.Errorf("%q: %w", id, err)
		}
		if rr.relocated || rr.symlink {
			return "", true, nil
		}
		if rr.childLink {
			return "", false, fmt.Errorf("%q: Rock Ridge relocated folder (nested deeper than 8): not supported", id)
		}
		if rr.name != "" {
			name = rr.name
			w.nmNames++
		}
	}
	// A backslash is refused too: lookups take it for a folder separator.
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return "", false, fmt.Errorf("%w: bad file name %q", ErrCorrupt, name)
	}
	return name, false, nil
}

// ucs2 decodes a Joliet identifier (UCS-2 big-endian).
func ucs2(id string) (string, error) {
	if len(id)%2 != 0 {
		return "", fmt.Errorf("%w: Joliet identifier of odd length %d", ErrCorrupt, len(id))
	}
	u := make([]uint16, len(id)/2)
	for i := range u {
		u[i] = uint16(id[2*i])<<8 | uint16(id[2*i+1])
	}
	return string(utf16.Decode(u)), nil
}
