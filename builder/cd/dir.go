package cd

import (
	"encoding/binary"
	"fmt"
	"io"
)

// The directory hierarchies of an image, with where each record lies, so
// that a plan can rewrite records in place. Every hierarchy is walked: the
// primary volume's and each supplementary volume's (Joliet), because a
// reader may take its names from either.

const (
	firstVD    = 16      // first volume descriptor sector
	maxVDs     = 64      // descriptors read before a terminator
	maxDepth   = 16      // nested folders
	maxRecords = 200_000 // records in all hierarchies
	maxFolder  = 32 << 20
)

// Directory record flags (ECMA-119 9.1.6).
const flagDir = 0x02

// Record is one directory record as it lies in the image.
type record struct {
	off   int64   // byte offset of the record in the image
	raw   []byte  // the record's bytes (length raw[0])
	sub   *folder // the folder it describes (folders other than . and ..)
	isDot bool    // "." or ".."
}

func (r *record) ext() uint32    { return binary.LittleEndian.Uint32(r.raw[2:6]) }
func (r *record) size() uint32   { return binary.LittleEndian.Uint32(r.raw[10:14]) }
func (r *record) flags() byte    { return r.raw[25] }
func (r *record) id() []byte     { return r.raw[33 : 33+int(r.raw[32])] }
func (r *record) isFile() bool   { return r.flags()&flagDir == 0 }
func (r *record) sysUse() []byte { return r.raw[33+int(r.raw[32])+1-int(r.raw[32])%2:] }

// folder is one folder's extent and records.
type folder struct {
	ext    uint32    // first sector
	size   uint32    // bytes (a multiple of 2048)
	recs   []*record // in extent order, "." and ".." first
	parent *folder   // nil for a root
}

// hierarchy is one volume descriptor's tree.
type hierarchy struct {
	vd     int64   // byte offset of its volume descriptor
	joliet bool    // identifiers are UCS-2 (an SVD with a Joliet escape)
	susp   bool    // SUSP (Rock Ridge) in the records: the root "." starts with SP
	skip   int     // SP LEN_SKP
	root   *folder // the root folder
	dirs   []*folder
}

// readHierarchies reads every primary and supplementary volume's tree.
func readHierarchies(r io.ReaderAt, size int64) ([]*hierarchy, error) {
	var out []*hierarchy
	buf := make([]byte, Sector)
	total := 0
	for i := 0; ; i++ {
		if i == maxVDs {
			return nil, fmt.Errorf("no volume descriptor terminator in sectors %d..%d", firstVD, firstVD+maxVDs-1)
		}
		off := int64(firstVD+i) * Sector
		if _, err := r.ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("volume descriptor at sector %d: %w", firstVD+i, err)
		}
		if string(buf[1:6]) != "CD001" {
			return nil, fmt.Errorf("volume descriptor at sector %d lacks CD001", firstVD+i)
		}
		if buf[0] == 255 {
			break
		}
		if buf[0] != 1 && buf[0] != 2 {
			continue
		}
		rootRec := append([]byte(nil), buf[156:190]...)
		h := &hierarchy{vd: off, joliet: buf[0] == 2 && buf[88] == '%' && buf[89] == '/'}
		if buf[0] == 2 && !h.joliet {
			return nil, fmt.Errorf("supplementary volume descriptor at sector %d is not Joliet: not supported", firstVD+i)
		}
		root := &record{off: off + 156, raw: rootRec}
		if err := h.walk(r, size, root, nil, 0, &total); err != nil {
			return nil, err
		}
		h.root = root.sub
		if dot := h.root.recs[0]; !h.joliet {
			su := dot.sysUse()
			if len(su) >= 7 && su[0] == 'S' && su[1] == 'P' && su[4] == 0xBE && su[5] == 0xEF {
				h.susp, h.skip = true, int(su[6])
			}
		}
		out = append(out, h)
	}
	if len(out) == 0 || out[0].vd != firstVD*Sector {
		return nil, fmt.Errorf("no primary volume descriptor at sector %d", firstVD)
	}
	return out, nil
}

// walk reads the folder rec describes and its subfolders.
func (h *hierarchy) walk(r io.ReaderAt, size int64, rec *record, parent *folder, depth int, total *int) error {
	if depth > maxDepth {
		return fmt.Errorf("folders nested deeper than %d", maxDepth)
	}
	f := &folder{ext: rec.ext(), size: rec.size(), parent: parent}
	if f.size == 0 || f.size > maxFolder || f.size%Sector != 0 || int64(f.ext)*Sector+int64(f.size) > size {
		return fmt.Errorf("folder at sector %d: %d bytes: not a whole number of sectors inside the image", f.ext, f.size)
	}
	for d := parent; d != nil; d = d.parent {
		if d.ext == f.ext {
			return fmt.Errorf("folder at sector %d loops back to a folder above it", f.ext)
		}
	}
	rec.sub = f
	h.dirs = append(h.dirs, f)
	buf := make([]byte, f.size)
	base := int64(f.ext) * Sector
	if _, err := r.ReadAt(buf, base); err != nil {
		return fmt.Errorf("folder at sector %d: %w", f.ext, err)
	}
	for off := 0; off < len(buf); {
		n := int(buf[off])
		if n == 0 {
			off = (off/Sector + 1) * Sector
			continue
		}
		if n < 34 || off%Sector+n > Sector || int(buf[off+32]) == 0 || 33+int(buf[off+32]) > n {
			return fmt.Errorf("folder at sector %d: bad directory record at offset %d", f.ext, off)
		}
		if *total++; *total > maxRecords {
			return fmt.Errorf("more than %d directory records", maxRecords)
		}
		c := &record{off: base + int64(off), raw: append([]byte(nil), buf[off:off+n]...)}
		id := c.id()
		c.isDot = len(id) == 1 && id[0] <= 1
		f.recs = append(f.recs, c)
		off += n
	}
	if len(f.recs) < 2 || !f.recs[0].isDot || !f.recs[1].isDot {
		return fmt.Errorf("folder at sector %d lacks its \".\" and \"..\" records", f.ext)
	}
	for _, c := range f.recs[2:] {
		if c.flags()&flagDir != 0 {
			if err := h.walk(r, size, c, f, depth+1, total); err != nil {
				return err
			}
		}
	}
	return nil
}
