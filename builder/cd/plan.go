package cd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
)

// Source is an opened input image, read and checked once, planned from
// many times (one plan per host).
type Source struct {
	Path    string
	ISO     *isofs.Image
	Catalog *Catalog // nil when the image has no El Torito boot record
	file    *os.File
	size    int64 // bytes
	end     uint32
	trees   []*hierarchy
	offsets map[int64][]string // data offset -> the non-empty ISO files stored there
	id      string             // the input's identity when opened (identity)

	mu         sync.Mutex
	prefixes   map[string]*prefixHash // by Plan.prefixKey
	prefixRuns atomic.Int64           // prefixes hashed (tests)
}

// Open reads the image at path: its files (isofs), every directory
// hierarchy with each record's place, and the El Torito catalog.
func Open(path string) (*Source, error) { return OpenContext(context.Background(), path) }

// OpenContext is Open, stopping the walk of the ISO's tree when ctx ends.
func OpenContext(ctx context.Context, path string) (*Source, error) {
	iso, err := isofs.OpenContext(ctx, path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		iso.Close()
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		iso.Close()
		f.Close()
		return nil, err
	}
	s := &Source{Path: path, ISO: iso, file: f, size: iso.Size(), offsets: map[int64][]string{}, id: identity(fi), prefixes: map[string]*prefixHash{}}
	if fi.Size() != s.size {
		s.Close()
		return nil, fmt.Errorf("%s: %w (%d bytes when its tree was read, %d now)", path, ErrInputChanged, s.size, fi.Size())
	}
	if err := s.load(); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func (s *Source) load() error {
	if s.size%Sector != 0 {
		return fmt.Errorf("%d bytes: not a whole number of 2048-byte sectors", s.size)
	}
	s.end = uint32(s.size / Sector)
	if err := noUDF(s.file); err != nil {
		return err
	}
	var err error
	if s.trees, err = readHierarchies(s.file, s.size); err != nil {
		return err
	}
	if s.Catalog, err = ReadCatalog(s.file); err != nil {
		return err
	}
	for _, f := range s.ISO.Files() {
		if f.Size == 0 {
			continue // an empty file shares no bytes, whatever sector its record names
		}
		sr, err := s.ISO.Section(f.Path)
		if err != nil {
			return err
		}
		_, off, _ := sr.Outer()
		s.offsets[off] = append(s.offsets[off], f.Path)
	}
	if s.Catalog != nil {
		for i := range s.Catalog.Images {
			im := &s.Catalog.Images[i]
			if paths := s.offsets[int64(im.LBA)*Sector]; len(paths) > 0 {
				im.Path = paths[0]
				f, _ := s.ISO.Lookup(paths[0])
				im.Size = f.Size
			}
		}
	}
	return nil
}

// noUDF refuses an ISO/UDF bridge image: its UDF tree would not see the
// edits.
func noUDF(f *os.File) error {
	buf := make([]byte, Sector)
	for i := firstVD; i < firstVD+maxVDs; i++ {
		if _, err := f.ReadAt(buf, int64(i)*Sector); err != nil {
			return nil
		}
		if id := string(buf[1:6]); id == "NSR02" || id == "NSR03" {
			return fmt.Errorf("sector %d: a UDF volume (%s) beside ISO 9660: its tree would not carry the edits; not supported", i, id)
		}
	}
	return nil
}

// Size returns the input's size in bytes.
func (s *Source) Size() int64 { return s.size }

// Close closes the input.
func (s *Source) Close() error {
	s.ISO.Close()
	return s.file.Close()
}

// Edit is one file of the copy that differs from the input: an existing
// file's new bytes, or a new file in the root folder.
type Edit struct {
	Path string // as isofs names it, case-insensitive ("BOOT.CFG", "EFI/BOOT/BOOT.CFG"); a new file: "KS.CFG"
	Data []byte
}

// Plan says every byte the copy changes. Print it, compare it, write it.
type Plan struct {
	ISO        string `json:"iso"`
	ISOBytes   int64  `json:"iso_bytes"`
	ImageBytes int64  `json:"image_bytes"`
	// Prefix is how many first bytes are the input's with host-independent
	// rewrites (the input's size): every per-host byte lies after it.
	Prefix   int64      `json:"prefix_bytes"`
	VolumeID string     `json:"volume_id"`
	Names    string     `json:"names"`
	ModTime  time.Time  `json:"mtime"`
	Catalog  *Catalog   `json:"el_torito,omitempty"`
	Files    []FilePlan `json:"files"`
	Patches  []Patch    `json:"patches"`

	src *Source
	ov  *overlay
}

// FilePlan is a changed or added file.
type FilePlan struct {
	Path    string `json:"path"`
	Bytes   int64  `json:"bytes"`
	Sector  uint32 `json:"sector"`  // where its data now starts
	Added   bool   `json:"added"`   // new in the root folder
	Records int    `json:"records"` // directory records that point at it (one per hierarchy)

	data []byte
}

// Patch is a run of sectors the copy writes over (or after) the input.
type Patch struct {
	Offset int64  `json:"offset"`
	Bytes  int64  `json:"bytes"`
	What   string `json:"what"`
}

// Granule is what the copy's part after the input is padded to: the
// volume's size, which the volume descriptors before that part state, is
// the same for every host whose moved folders and changed files fit in
// the same number of granules (a host's own content decides it, so a host
// built alone and in a batch gets the same bytes).
const Granule = 64 << 10

// Plan decides the copy with edits; modTime stamps every record and
// descriptor it rewrites.
//
// Every byte that differs between hosts lies after the input's end
// (Plan.Prefix): each folder that holds a changed or new record is moved
// there (hierarchy by hierarchy, in walk order; a folder's size follows
// from its records' lengths, not from where its files lie), then each
// changed file's data, then zeros up to a multiple of Granule. What is
// rewritten before it (the volume descriptors' size, date and root record,
// the path tables' entries and the records and ".." entries that point at
// moved folders) depends on the input, the paths edited, modTime and the
// padded size alone: hosts that share them share the bytes [0, Prefix).
func (s *Source) Plan(edits []Edit, modTime time.Time) (*Plan, error) {
	p := &Plan{ISO: s.Path, ISOBytes: s.size, Prefix: s.size, VolumeID: s.ISO.VolumeID(), Names: s.ISO.Names(),
		ModTime: modTime.UTC(), Catalog: s.Catalog, src: s, ov: newOverlay(s.file, s.end)}
	sorted := append([]Edit(nil), edits...)
	sort.Slice(sorted, func(i, j int) bool { return strings.ToLower(sorted[i].Path) < strings.ToLower(sorted[j].Path) })
	byKey := map[string]Edit{}
	for i, e := range sorted {
		k := strings.ToLower(strings.TrimPrefix(e.Path, "/"))
		if i > 0 && k == strings.ToLower(strings.TrimPrefix(sorted[i-1].Path, "/")) {
			return nil, fmt.Errorf("%s: %s edited twice", s.Path, e.Path)
		}
		byKey[k] = e
	}
	l := &layout{p: p, move: map[*folder]*moved{}, fileOf: map[*record]int{}}
	var added []Edit
	for _, e := range sorted {
		f, ok := s.ISO.Lookup(e.Path)
		if !ok {
			added = append(added, e)
			continue
		}
		if err := l.replace(f, e, byKey); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.Path, f.Path, err)
		}
	}
	for _, e := range added {
		name := strings.TrimPrefix(e.Path, "/")
		if !plainName(name) {
			return nil, fmt.Errorf("%s: adding %s: a new file needs an upper-case 8.3 name in the root folder (A-Z, 0-9, _), not %q", s.Path, e.Path, e.Path)
		}
		p.Files = append(p.Files, FilePlan{Path: name, Bytes: int64(len(e.Data)), Added: true, Records: len(s.trees), data: e.Data})
		for _, h := range s.trees {
			l.want(h.root)
		}
	}
	l.collect()
	for i, f := range p.Files {
		if !f.Added {
			continue
		}
		for _, h := range s.trees {
			rec := h.newRecord(f.Path, 0, uint32(f.Bytes), recordDate(p.ModTime))
			if err := l.move[h.root].insert(rec, i); err != nil {
				return nil, fmt.Errorf("%s: adding %s: %w", s.Path, f.Path, err)
			}
		}
	}
	if err := l.place(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	if err := p.descriptors(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	if p.ov.err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, p.ov.err)
	}
	p.ImageBytes = int64(p.ov.end) * Sector
	p.Patches = p.ov.runs()
	return p, nil
}

// layout moves the folders that hold changed or new records after the
// input and puts the changed files' data after them.
type layout struct {
	p      *Plan
	move   map[*folder]*moved
	order  []*moved        // hierarchy by hierarchy, in walk order
	fileOf map[*record]int // a changed file's records: its index in Plan.Files
}

// moved is a folder that moves after the input.
type moved struct {
	h    *hierarchy
	f    *folder
	recs [][]byte  // its records, copies to rewrite; "." and ".." first
	src  []*record // the input's record of each (nil: a new one)
	file []int     // the Plan.Files index a record points at (-1: none)
	ext  uint32    // its new first sector
	size uint32    // its new size in bytes
}

func (l *layout) want(f *folder) {
	if l.move[f] == nil {
		l.move[f] = &moved{f: f}
	}
}

// replace notes e's new data for f and the records (and so the folders)
// that point at it.
func (l *layout) replace(f isofs.File, e Edit, byKey map[string]Edit) error {
	p := l.p
	sr, err := p.src.ISO.Section(f.Path)
	if err != nil {
		return err
	}
	_, off, _ := sr.Outer()
	if p.src.Catalog != nil {
		for _, im := range p.src.Catalog.Images {
			if int64(im.LBA)*Sector == off {
				return errors.New("an El Torito boot image: not edited")
			}
		}
		if int64(p.src.Catalog.Sector)*Sector == off {
			return errors.New("the El Torito boot catalog: not edited")
		}
	}
	if f.Size == 0 {
		return errors.New("an empty file's records share no data to find them by: not edited")
	}
	for _, other := range p.src.offsets[off] {
		o, ok := byKey[strings.ToLower(other)]
		if !ok || !bytes.Equal(o.Data, e.Data) {
			return fmt.Errorf("shares its data with %s, which would not get the same bytes", other)
		}
	}
	if len(p.src.offsets[off]) > 1 && !strings.EqualFold(p.src.offsets[off][0], f.Path) {
		return nil // done with the first of the files that share the data
	}
	i, n := len(p.Files), 0
	for _, h := range p.src.trees {
		for _, d := range h.dirs {
			for _, r := range d.recs[2:] {
				if r.isFile() && int64(r.ext())*Sector == off && int64(r.size()) == f.Size {
					l.fileOf[r] = i
					l.want(d)
					n++
				}
			}
		}
	}
	if n == 0 {
		return errors.New("no directory record points at its data")
	}
	p.Files = append(p.Files, FilePlan{Path: f.Path, Bytes: int64(len(e.Data)), Records: n, data: e.Data})
	return nil
}

// collect orders the folders to move and copies their records.
func (l *layout) collect() {
	for _, h := range l.p.src.trees {
		for _, d := range h.dirs {
			m := l.move[d]
			if m == nil {
				continue
			}
			m.h = h
			for _, r := range d.recs {
				fi, ok := l.fileOf[r]
				if !ok {
					fi = -1
				}
				m.recs, m.src, m.file = append(m.recs, append([]byte(nil), r.raw...)), append(m.src, r), append(m.file, fi)
			}
			l.order = append(l.order, m)
		}
	}
}

// insert puts a new record for Plan.Files[file] in identifier order.
func (m *moved) insert(rec []byte, file int) error {
	newID := rec[33 : 33+int(rec[32])]
	at := len(m.recs)
	for i := 2; i < len(m.recs); i++ {
		r := m.recs[i]
		c := bytes.Compare(r[33:33+int(r[32])], newID)
		if c == 0 {
			return errors.New("already in the root folder under that identifier")
		}
		if c > 0 {
			at = i
			break
		}
	}
	m.recs = append(m.recs[:at], append([][]byte{rec}, m.recs[at:]...)...)
	m.src = append(m.src[:at], append([]*record{nil}, m.src[at:]...)...)
	m.file = append(m.file[:at], append([]int{file}, m.file[at:]...)...)
	return nil
}

// place gives the moved folders and the changed files their sectors after
// the input, rewrites every record that points at them, and pads the part
// after the input to a multiple of Granule.
func (l *layout) place() error {
	p, ov := l.p, l.p.ov
	at := ov.end
	for _, m := range l.order {
		m.ext, m.size = at, uint32(len(pack(m.recs)))
		at += m.size / Sector
	}
	for i := range p.Files {
		p.Files[i].Sector = at
		at += uint32((p.Files[i].Bytes + Sector - 1) / Sector)
	}
	date := recordDate(p.ModTime)
	to := func(f *folder) *moved { return l.move[f] }
	for _, m := range l.order {
		for i, b := range m.recs {
			r := m.src[i]
			switch {
			case m.file[i] >= 0:
				f := p.Files[m.file[i]]
				both32(b[2:10], f.Sector)
				both32(b[10:18], uint32(f.Bytes))
				copy(b[18:25], date)
			case i == 0:
				setFolder(b, m)
			case i == 1:
				if d := to(parentOf(m.f)); d != nil {
					setFolder(b, d)
				}
			case r != nil && r.sub != nil && to(r.sub) != nil:
				setFolder(b, to(r.sub))
			}
		}
	}
	moves := map[*hierarchy]map[uint32]uint32{}
	for _, h := range p.src.trees {
		for _, d := range h.dirs {
			if m := to(d); m != nil {
				if moves[h] == nil {
					moves[h] = map[uint32]uint32{}
				}
				moves[h][d.ext] = m.ext
				continue
			}
			if m := to(parentOf(d)); m != nil { // ".." of a folder that stays
				setFolder(ov.bytes(d.recs[1].off, len(d.recs[1].raw)), m)
			}
			for _, r := range d.recs[2:] {
				if m := to(r.sub); r.sub != nil && m != nil {
					setFolder(ov.bytes(r.off, len(r.raw)), m)
				}
			}
		}
		if m := to(h.root); m != nil {
			vd := ov.bytes(h.vd, Sector)
			both32(vd[158:166], m.ext) // the root record's extent and length
			both32(vd[166:174], m.size)
		}
	}
	for _, h := range p.src.trees {
		if moves[h] != nil {
			if err := l.pathTables(h, moves[h]); err != nil {
				return err
			}
		}
	}
	for _, m := range l.order {
		what := "folder"
		if m.f.parent == nil {
			what = "root folder"
		}
		if m.h.joliet {
			what = "Joliet " + what
		}
		ov.appendData(pack(m.recs), what)
	}
	for _, f := range p.Files {
		if got := ov.appendData(f.data, f.Path); got != f.Sector {
			return fmt.Errorf("%s: placed at sector %d, planned at %d", f.Path, got, f.Sector)
		}
	}
	const g = Granule / Sector
	ov.end = ov.inEnd + (ov.end-ov.inEnd+g-1)/g*g
	return nil
}

// parentOf is the folder f's ".." names: its parent, or itself for a root.
func parentOf(f *folder) *folder {
	if f.parent == nil {
		return f
	}
	return f.parent
}

// setFolder points a folder's record at m's new extent and length.
func setFolder(b []byte, m *moved) {
	both32(b[2:10], m.ext)
	both32(b[10:18], m.size)
}

// pathTables points each path table entry of a moved folder of h at its
// new extent (every table the descriptor names: L, M and their copies).
func (l *layout) pathTables(h *hierarchy, moves map[uint32]uint32) error {
	p := l.p
	vd := p.ov.bytes(h.vd, Sector)
	size := int64(binary.LittleEndian.Uint32(vd[132:136]))
	for _, pt := range []struct {
		loc   int
		order binary.ByteOrder
	}{{140, binary.LittleEndian}, {144, binary.LittleEndian}, {148, binary.BigEndian}, {152, binary.BigEndian}} {
		sec := pt.order.Uint32(vd[pt.loc:])
		if sec == 0 {
			continue // no optional table
		}
		base := int64(sec) * Sector
		if base+size > p.src.size {
			return fmt.Errorf("path table at sector %d (%d bytes) reaches past the image's end", sec, size)
		}
		buf := make([]byte, size)
		if _, err := p.src.file.ReadAt(buf, base); err != nil {
			return fmt.Errorf("path table at sector %d: %w", sec, err)
		}
		found := 0
		for off := 0; off+8 <= len(buf) && buf[off] != 0; off += 8 + int(buf[off]) + int(buf[off])%2 {
			if to, ok := moves[pt.order.Uint32(buf[off+2:])]; ok {
				var b [4]byte
				pt.order.PutUint32(b[:], to)
				p.ov.put(base+int64(off)+2, b[:], "path table")
				found++
			}
		}
		if found != len(moves) {
			return fmt.Errorf("path table at sector %d names %d of the %d folders that move", sec, found, len(moves))
		}
	}
	return nil
}

// plainName: NAME.EXT, d-characters, 8.3.
func plainName(n string) bool {
	base, ext, ok := strings.Cut(n, ".")
	if !ok || len(base) == 0 || len(base) > 8 || len(ext) == 0 || len(ext) > 3 || strings.Contains(ext, ".") {
		return false
	}
	for _, c := range base + ext {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// newRecord makes a file record for hierarchy h: "NAME.EXT;1" (UCS-2 in
// Joliet), with Rock Ridge PX and NM entries where h uses SUSP.
func (h *hierarchy) newRecord(name string, sector, size uint32, date []byte) []byte {
	if h.versions() {
		name += ";1"
	}
	id := []byte(name)
	if h.joliet {
		u := utf16.Encode([]rune(name))
		id = make([]byte, 2*len(u))
		for i, c := range u {
			binary.BigEndian.PutUint16(id[2*i:], c)
		}
	}
	var su []byte
	if h.susp {
		su = make([]byte, h.skip)
		px := make([]byte, 36)
		copy(px, "PX")
		px[2], px[3] = 36, 1       // length, version
		both32(px[4:12], 0o100444) // mode: regular, r--r--r--
		both32(px[12:20], 1)       // links; uid, gid 0
		alt := strings.TrimSuffix(name, ";1")
		nm := append([]byte{'N', 'M', byte(5 + len(alt)), 1, 0}, alt...)
		su = append(append(su, px...), nm...)
	}
	n := 33 + len(id) + (len(id)+1)%2 + len(su)
	b := make([]byte, n)
	b[0] = byte(n)          // [0] record length; [1] extended attribute length 0
	both32(b[2:10], sector) // [2:10] extent
	both32(b[10:18], size)  // [10:18] data length
	copy(b[18:25], date)    // [18:25] recording date
	both16(b[28:32], 1)     // [28:32] volume sequence number; [25] flags 0, [26:28] unit size, gap 0
	b[32] = byte(len(id))   // [32] identifier length
	copy(b[33:], id)        // [33:] identifier (+ pad byte when even)
	copy(b[n-len(su):], su) // System Use
	return b
}

// versions says whether h's file identifiers end in ";1", as the first
// file record of its root folder does (the writer's convention is kept).
func (h *hierarchy) versions() bool {
	for _, r := range h.root.recs[2:] {
		if r.isFile() {
			id := r.id()
			if h.joliet {
				return bytes.HasSuffix(id, []byte{0, ';', 0, '1'})
			}
			return bytes.HasSuffix(id, []byte(";1"))
		}
	}
	return true
}

// pack lays records into sectors; no record crosses a sector boundary.
func pack(recs [][]byte) []byte {
	var out []byte
	for _, r := range recs {
		if len(out)%Sector+len(r) > Sector {
			out = append(out, make([]byte, Sector-len(out)%Sector)...)
		}
		out = append(out, r...)
	}
	if r := len(out) % Sector; r != 0 {
		out = append(out, make([]byte, Sector-r)...)
	}
	return out
}

// descriptors sets each volume's space size and modification date.
func (p *Plan) descriptors() error {
	for _, h := range p.src.trees {
		vd := p.ov.bytes(h.vd, Sector)
		both32(vd[80:88], p.ov.end)          // [80:88] volume space size
		copy(vd[830:847], vdDate(p.ModTime)) // [830:847] modification date
	}
	return nil
}

// recordDate is a directory record's 7-byte date (ECMA-119 9.1.5), UTC.
func recordDate(t time.Time) []byte {
	t = t.UTC()
	return []byte{byte(t.Year() - 1900), byte(t.Month()), byte(t.Day()), byte(t.Hour()), byte(t.Minute()), byte(t.Second()), 0}
}

// vdDate is a volume descriptor's 17-byte date (ECMA-119 8.4.26.1), UTC.
func vdDate(t time.Time) []byte {
	t = t.UTC()
	return append([]byte(fmt.Sprintf("%04d%02d%02d%02d%02d%02d00", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())), 0)
}

// both32 writes v in both byte orders (ECMA-119 7.3.3).
func both32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

// both16 writes v in both byte orders (ECMA-119 7.2.3).
func both16(b []byte, v uint16) {
	binary.LittleEndian.PutUint16(b, v)
	binary.BigEndian.PutUint16(b[2:], v)
}
