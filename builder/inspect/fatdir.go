package inspect

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// Directory entry layout (32 bytes, FAT specification).
const (
	deName     = 0x00 // [11]byte 8.3 name, space padded; 0x00 end, 0xE5 deleted, 0x05 = 0xE5
	deAttr     = 0x0B // attributes
	deNTRes    = 0x0C // bit 3: base in lower case, bit 4: extension in lower case
	deClusHi   = 0x14 // u16 high half of the first cluster (FAT32)
	deClusLo   = 0x1A // u16 low half of the first cluster
	deSize     = 0x1C // u32 file size
	lfnOrd     = 0x00 // LFN: sequence number, 0x40 = last (first stored)
	lfnChk     = 0x0D // LFN: checksum of the 8.3 name
	attrRO     = 0x01
	attrHidden = 0x02
	attrSystem = 0x04
	attrVolume = 0x08
	attrDir    = 0x10
	attrLFN    = 0x0F
)

// Bounds on the walk over untrusted folders.
const (
	maxDepth   = 32
	maxEntries = 1 << 16
)

// node is one file or folder found on the volume.
type node struct {
	path      string // "/EFI/BOOT/BOOTX64.EFI"
	name      string // long name if present, else the 8.3 name
	short     string // "BOOTX64.EFI" as stored (upper case as on disk)
	raw83     string // "BOOTX64 EFI"
	attr      uint8
	size      int64
	first     uint32
	dir       bool
	clusters  []uint32 // chain (possibly partial)
	chainErr  error    // why the chain is broken, if it is
	children  []*node
	parentDir *node
}

// tree is the walked volume: nodes in directory order plus faults found.
type tree struct {
	root   *node
	all    []*node // every node except the root, in walk order
	faults []string
	warns  []string
}

// walk reads the whole folder tree, bounded in depth, entries and size.
func (v *volume) walk() *tree {
	t := &tree{root: &node{path: "/", dir: true}}
	var data []byte
	var err error
	if v.g.fatType == 32 {
		t.root.first = v.g.rootCluster
		data, err = v.dirData(t.root)
	} else {
		data, err = v.readSectors(v.g.rootStart, int(v.g.rootSectors))
	}
	if err != nil {
		t.faults = append(t.faults, fmt.Sprintf("root folder: %v", err))
		return t
	}
	visited := map[uint32]bool{t.root.first: true}
	v.walkDir(t, t.root, data, 0, visited)
	return t
}

// dirData reads a sub-folder's (or the FAT32 root's) cluster chain.
func (v *volume) dirData(n *node) ([]byte, error) {
	max := maxDirBytes / (int(v.g.spc) * 512)
	n.clusters, n.chainErr = v.chain(n.first, max+1)
	if n.chainErr != nil {
		return nil, n.chainErr
	}
	out := make([]byte, 0, len(n.clusters)*int(v.g.spc)*512)
	err := v.readChain(n.clusters, int64(len(n.clusters))*int64(v.g.spc)*512, func(b []byte) error {
		out = append(out, b...)
		return nil
	})
	return out, err
}

func (v *volume) walkDir(t *tree, dir *node, data []byte, depth int, visited map[uint32]bool) {
	for _, n := range parseDir(data, v.g.fatType) {
		if len(t.all) >= maxEntries {
			t.faults = append(t.faults, fmt.Sprintf("more than %s entries; the rest were not read", human.Commas(maxEntries)))
			return
		}
		n.parentDir = dir
		n.path = strings.TrimSuffix(dir.path, "/") + "/" + n.name
		dir.children = append(dir.children, n)
		t.all = append(t.all, n)
		if !n.dir {
			if n.size > 0 {
				need := v.clustersFor(n.size)
				n.clusters, n.chainErr = v.chain(n.first, int(min(need, 1<<31)))
				if n.chainErr == nil && int64(len(n.clusters)) < need {
					n.chainErr = fmt.Errorf("%w: %s clusters for %s bytes, which need %s", errChain, human.Commas(len(n.clusters)), human.Commas(n.size), human.Commas(need))
				}
			}
			continue
		}
		if depth+1 >= maxDepth {
			t.faults = append(t.faults, fmt.Sprintf("%s: folders nested deeper than %d; not read", n.path, maxDepth))
			continue
		}
		if visited[n.first] {
			t.faults = append(t.faults, fmt.Sprintf("%s: folder cluster %s is already used by another folder (a loop)", n.path, human.Commas(n.first)))
			continue
		}
		visited[n.first] = true
		sub, err := v.dirData(n)
		if err != nil {
			t.faults = append(t.faults, fmt.Sprintf("%s: %v", n.path, err))
			continue
		}
		v.walkDir(t, n, sub, depth+1, visited)
	}
}

// lfn collects long-name slots until their 8.3 entry.
type lfn struct {
	parts [20][13]uint16
	next  int  // sequence number expected next; 0 = complete
	count int  // number of slots
	sum   byte // checksum the slots carry
	ok    bool // a run of slots is in progress and consistent
}

func (l *lfn) add(e []byte) {
	ord := int(e[lfnOrd])
	if ord&0x40 != 0 {
		n := ord & 0x1F
		*l = lfn{next: n, count: n, sum: e[lfnChk], ok: n >= 1 && n <= 20}
	} else if !l.ok || ord&0x1F != l.next || e[lfnChk] != l.sum {
		l.ok = false
		return
	}
	if !l.ok {
		return
	}
	p := &l.parts[l.next-1]
	for i, off := range [13]int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
		p[i] = binary.LittleEndian.Uint16(e[off:])
	}
	l.next--
}

// name returns the long name if a complete run matches the 8.3 name.
func (l *lfn) name(raw83 []byte) (string, bool) {
	if !l.ok || l.next != 0 || l.sum != shortChecksum(raw83) {
		return "", false
	}
	var u []uint16
	for i := range l.count {
		for _, c := range l.parts[i] {
			if c == 0 {
				return string(utf16.Decode(u)), len(u) > 0
			}
			u = append(u, c)
		}
	}
	return string(utf16.Decode(u)), len(u) > 0
}

func shortChecksum(n []byte) byte {
	var s byte
	for _, c := range n[:11] {
		s = (s>>1 | s<<7) + c
	}
	return s
}

// parseDir decodes one folder's entries (skipping ".", "..", deleted
// entries and the volume label).
func parseDir(data []byte, fatType int) []*node {
	var out []*node
	var l lfn
	for off := 0; off+32 <= len(data); off += 32 {
		e := data[off : off+32]
		if e[deName] == 0x00 {
			break
		}
		if e[deName] == 0xE5 {
			l = lfn{}
			continue
		}
		attr := e[deAttr]
		if attr&0x3F == attrLFN {
			l.add(e)
			continue
		}
		long, hasLong := l.name(e[deName : deName+11])
		l = lfn{}
		if attr&attrVolume != 0 || e[deName] == '.' {
			continue
		}
		n := &node{attr: attr, dir: attr&attrDir != 0, raw83: printable(e[deName : deName+11])}
		n.short = shortName(e)
		n.name = n.short
		if e[deNTRes]&0x18 != 0 {
			n.name = caseShort(e)
		}
		if hasLong {
			n.name = long
		}
		n.name = strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r < 0x20 {
				return '?'
			}
			return r
		}, n.name)
		n.first = uint32(binary.LittleEndian.Uint16(e[deClusLo:]))
		if fatType == 32 {
			n.first |= uint32(binary.LittleEndian.Uint16(e[deClusHi:])) << 16
		}
		if !n.dir {
			n.size = int64(binary.LittleEndian.Uint32(e[deSize:]))
		}
		out = append(out, n)
	}
	return out
}

// shortName renders an 8.3 entry as "BASE.EXT" (upper case, as stored).
func shortName(e []byte) string {
	name := []byte(printable(e[deName : deName+11]))
	if e[deName] == 0x05 {
		name[0] = '?' // 0xE5 in the OEM code page
	}
	base := strings.TrimRight(string(name[:8]), " ")
	ext := strings.TrimRight(string(name[8:11]), " ")
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// caseShort applies the NT lower-case flags to the 8.3 name.
func caseShort(e []byte) string {
	name := []byte(printable(e[deName : deName+11]))
	base := strings.TrimRight(string(name[:8]), " ")
	ext := strings.TrimRight(string(name[8:11]), " ")
	if e[deNTRes]&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if e[deNTRes]&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// lookup finds path (absolute, "/"-separated) case-insensitively by long or
// 8.3 name; "." and ".." components are honoured.
func (t *tree) lookup(path string) *node {
	cur := t.root
	for _, part := range strings.Split(path, "/") {
		switch part {
		case "", ".":
			continue
		case "..":
			if cur.parentDir != nil {
				cur = cur.parentDir
			}
			continue
		}
		var found *node
		for _, c := range cur.children {
			if strings.EqualFold(c.name, part) || strings.EqualFold(c.short, part) {
				found = c
				break
			}
		}
		if found == nil {
			return nil
		}
		cur = found
	}
	return cur
}
