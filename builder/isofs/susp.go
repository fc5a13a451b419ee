package isofs

import (
	"fmt"
	"io/fs"

	"github.com/kdomanski/iso9660"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

const (
	maxCE      = 16      // continuation areas followed per System Use area
	maxCEArea  = 8192    // largest continuation area read
	maxNMBytes = 255     // longest Rock Ridge name (NAME_MAX; RRIP has no other bound)
	maxCETotal = 4 << 20 // continuation bytes read per image, all records together
)

// Rock Ridge extension identifiers (ER entries) we accept.
var rockRidgeIDs = map[string]bool{"RRIP_1991A": true, "IEEE_P1282": true, "IEEE_1282": true}

// systemUse splits a record's System Use area into SUSP entries (SUSP-112 4),
// skipping the SP LEN_SKP bytes and following continuation areas (CE).
// Malformed framing ends the area (as SUSP says for a short remainder);
// entries the decoders would index out of range are dropped.
func (w *walker) systemUse(su []byte) (iso9660.SystemUseEntrySlice, error) {
	if w.skip >= len(su) {
		return nil, nil
	}
	return w.splitSUSP(su[w.skip:])
}

// splitSUSP splits one System Use area (with its continuations).
func (w *walker) splitSUSP(area []byte) (iso9660.SystemUseEntrySlice, error) {
	var out iso9660.SystemUseEntrySlice
	nm := 0 // name bytes in NM entries: the library concatenates them
	for hops := 0; area != nil; hops++ {
		if hops > maxCE {
			return nil, fmt.Errorf("%w: more than %d SUSP continuation areas", ErrCorrupt, maxCE)
		}
		var next []byte
		for len(area) >= 4 {
			n := int(area[2])
			if n < 4 || n > len(area) {
				break
			}
			e := iso9660.SystemUseEntry(area[:n:n])
			area = area[n:]
			switch e.Type() {
			case "ST": // terminator
				area = nil
			case "CE":
				ce, err := w.continuation(e)
				if err != nil {
					return nil, err
				}
				next = ce
			case "NM":
				if n >= 5 { // flags byte
					if nm += n - 5; nm > maxNMBytes {
						return nil, fmt.Errorf("%w: a Rock Ridge name longer than %d bytes", ErrCorrupt, maxNMBytes)
					}
					out = append(out, e)
				}
			case "PX":
				if n >= 12 { // mode, both byte orders
					out = append(out, e)
				}
			default:
				out = append(out, e)
			}
		}
		area = next
	}
	return out, nil
}

// continuation reads the area a CE entry points at (SUSP-112 5.1).
func (w *walker) continuation(e iso9660.SystemUseEntry) ([]byte, error) {
	if len(e) != 28 {
		return nil, fmt.Errorf("%w: CE entry of %d bytes (want 28)", ErrCorrupt, len(e))
	}
	block, err1 := iso9660.UnmarshalUint32LSBMSB(e[4:12])
	offset, err2 := iso9660.UnmarshalUint32LSBMSB(e[12:20])
	length, err3 := iso9660.UnmarshalUint32LSBMSB(e[20:28])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, fmt.Errorf("%w: CE entry fields disagree between byte orders", ErrCorrupt)
	}
	at := int64(block)*sectorSize + int64(offset)
	if length > maxCEArea || at+int64(length) > w.size {
		return nil, fmt.Errorf("%w: CE area of %d bytes at byte %s is out of bounds", ErrCorrupt, length, human.Commas(at))
	}
	// Many records may share one chain of areas: what is read is bounded
	// for the whole image, so the work stays linear in its size.
	if w.ceRead += int64(length); w.ceRead > maxCETotal {
		return nil, fmt.Errorf("%w: SUSP continuation areas total more than %s bytes", ErrCorrupt, human.Commas(maxCETotal))
	}
	buf := make([]byte, length)
	if _, err := w.ra.ReadAt(buf, at); err != nil {
		return nil, fmt.Errorf("reading CE area at byte %s: %w", human.Commas(at), err)
	}
	return buf, nil
}

// rrInfo is what a record's Rock Ridge entries say about it.
type rrInfo struct {
	name      string // NM name ("" if none)
	relocated bool   // RE: a relocated folder, listed through its CL entry
	childLink bool   // CL: stands for a relocated folder
	symlink   bool   // PX mode says symbolic link
}

func rockRidge(su iso9660.SystemUseEntrySlice) (rrInfo, error) {
	var r rrInfo
	r.name = su.GetRockRidgeName()
	for _, e := range su {
		switch e.Type() {
		case "RE":
			r.relocated = true
		case "CL":
			r.childLink = true
		}
	}
	if mode, err := su.GetPosixAttr(); err == nil && mode&fs.ModeSymlink != 0 {
		r.symlink = true
	}
	return r, nil
}

// rootSUSP looks at the root folder's "." record: an SP entry there means
// every record carries SUSP entries (after LEN_SKP bytes); an ER entry
// naming Rock Ridge means names come from NM entries.
func (w *walker) rootSUSP(root iso9660.DirectoryEntry) (susp bool, skip int, rr bool, err error) {
	buf, _, err := w.readFolder(&root)
	if err != nil {
		return false, 0, false, err
	}
	if buf[0] == 0 {
		return false, 0, false, fmt.Errorf("%w: no \".\" record", ErrCorrupt)
	}
	dot, _, err := record(buf, 0)
	if err != nil {
		return false, 0, false, err
	}
	su := dot.SystemUse
	if len(su) < 7 || string(su[:2]) != "SP" {
		return false, 0, false, nil
	}
	sp, err := iso9660.SPRecordDecode(iso9660.SystemUseEntry(su[:7:7]))
	if err != nil {
		return false, 0, false, nil // not SUSP after all
	}
	entries, err := w.splitSUSP(su)
	if err != nil {
		return false, 0, false, err
	}
	ers, err := entries.GetExtensionRecords()
	if err != nil {
		return false, 0, false, fmt.Errorf("%w: ER entry: %w", ErrCorrupt, err)
	}
	for _, er := range ers {
		rr = rr || rockRidgeIDs[er.Identifier]
	}
	return true, int(sp.BytesSkipped), rr, nil
}
