// Package fat plans and writes FAT12/16/32 volumes in one pass.
//
// NewPlan turns a Spec (file paths and sizes) into a Plan: the whole
// geometry, every folder's and file's names and contiguous cluster chain.
// The Plan is a plain value (printable, JSON-friendly, deterministic).
// BootSector gives the volume's boot sector, which a caller may overlay
// with boot code; Write then lays down the boot sector, FATs, folders and
// file data in ascending offset order.
//
// It must not know ESXi or syslinux: callers hand it paths, sizes and bytes.
package fat

import (
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// File is one file to place on the volume.
type File struct {
	Path string // '/'-separated, e.g. "LDLINUX.SYS" or "EFI/BOOT/BOOTX64.EFI"; folders implied
	Size int64  // bytes, at most 4 GiB - 1
	Attr Attr   // any of ReadOnly, Hidden, System, Archive
}

// Spec is what NewPlan plans.
type Spec struct {
	Files         []File    // cluster order = this order; folders implied and placed first
	TotalSectors  uint32    // 0 = smallest fitting size (payload + headroom), a multiple of 63
	Type          int       // 0 auto (FAT16 up to 1 GiB, FAT32 above), 12, 16, 32
	HiddenSectors uint32    // BPB hidden sectors = partition start LBA
	VolumeID      uint32    // 0 = derived from the Spec
	Label         string    // <= 11 characters, upper-cased; "" = "NO NAME" and no label entry
	ModTime       time.Time // every entry's time (2-second resolution, 1980..2107, UTC)
}

// PlannedFile is a file or folder with its names and cluster chain.
type PlannedFile struct {
	Path         string // as in the Spec; folders "EFI", "EFI/BOOT" (case as first mentioned)
	ShortName    string // the 11-byte 8.3 name as stored, e.g. "MBOOT   C32"
	LongName     string // VFAT long name; "" when the 8.3 name says it all
	Size         int64  // bytes; 0 for folders
	Attr         Attr   // attribute byte; Directory for folders
	FirstCluster uint32 // first cluster; 0 for empty files
	Clusters     uint32 // chain length: FirstCluster .. FirstCluster+Clusters-1
	Parent       int    // index of the containing folder in Plan.Folders; -1 = root
	Entries      int    // folders: 32-byte entries used (".", "..", long names included)
}

// Plan is a fully decided volume.
type Plan struct {
	Geometry
	ModTime         time.Time     // timestamp of every entry
	LabelEntry      bool          // the root folder holds a volume-label entry
	RootEntriesUsed int           // 32-byte entries used in the root folder
	RootClusters    uint32        // FAT32: length of the root chain from RootCluster; else 0
	Folders         []PlannedFile // sub-folders, parents first, in order of first mention
	Files           []PlannedFile // in Spec order
	UsedClusters    uint32        // allocated clusters: 2 .. 1+UsedClusters
	FreeClusters    uint32        // FSInfo free count
	NextFree        uint32        // FSInfo next-free hint; 0xFFFFFFFF when full
}

const maxDirEntries = 65536 // fatgen103: a folder holds at most 65,536 entries

// MinAutoSectors is the smallest volume NewPlan sizes automatically (16 MiB).
const MinAutoSectors = 16 << 20 / SectorSize

// NewPlan decides the volume for s.
func NewPlan(s Spec) (*Plan, error) {
	if s.Type != 0 && s.Type != 12 && s.Type != 16 && s.Type != 32 {
		return nil, fmt.Errorf("fat: type %d: want 0 (auto), 12, 16 or 32", s.Type)
	}
	label, err := normLabel(s.Label)
	if err != nil {
		return nil, err
	}
	p := &Plan{ModTime: s.ModTime, LabelEntry: s.Label != ""}
	if err := p.addFiles(s.Files); err != nil {
		return nil, err
	}
	if err := p.assignNames(); err != nil {
		return nil, err
	}
	var g Geometry
	if s.TotalSectors == 0 {
		g, err = p.autoSize(s.Type)
	} else {
		g, err = p.checkFit(s.TotalSectors, s.Type)
	}
	if err != nil {
		return nil, err
	}
	g.HiddenSectors = s.HiddenSectors
	g.Label = label
	g.VolumeID = s.VolumeID
	if g.VolumeID == 0 {
		g.VolumeID = deriveVolumeID(s)
	}
	p.Geometry = g
	p.allocate()
	return p, nil
}

// normLabel upper-cases and pads a volume label to 11 characters.
func normLabel(l string) (string, error) {
	if l == "" {
		return "NO NAME    ", nil
	}
	up := strings.ToUpper(l)
	if len(up) > 11 {
		return "", fmt.Errorf("fat: label %q is longer than 11 characters", l)
	}
	for i := 0; i < len(up); i++ {
		if up[i] != ' ' && !isShortChar(up[i]) {
			return "", fmt.Errorf("fat: label %q: character %q is not allowed", l, up[i])
		}
	}
	return pad(up, 11), nil
}

// deriveVolumeID hashes the Spec, so that equal inputs give equal images.
func deriveVolumeID(s Spec) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d|%d|%d|%q|%d|", s.TotalSectors, s.Type, s.HiddenSectors, s.Label, s.ModTime.UTC().UnixNano())
	for _, f := range s.Files {
		fmt.Fprintf(h, "%q|%d|%d|", f.Path, f.Size, f.Attr)
	}
	if v := h.Sum32(); v != 0 {
		return v
	}
	return 1
}

// PathError is a planning error about one file of the Spec, so that a
// caller can say where the file came from.
type PathError struct {
	Path string // as in the Spec
	Err  error  // says it all, "fat: PATH: ..." included
}

func (e *PathError) Error() string { return e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }

// addFiles builds the folder tree, rejecting bad and duplicate paths.
func (p *Plan) addFiles(files []File) error {
	seen := map[string]int{} // "parent/UPPER" -> folder index, or -2 for a file
	for _, f := range files {
		if err := p.addFile(f, seen); err != nil {
			return &PathError{Path: f.Path, Err: err}
		}
	}
	return nil
}

// addFile adds one file and the folders of its path to the tree.
func (p *Plan) addFile(f File, seen map[string]int) error {
	if f.Size < 0 || f.Size > 0xFFFFFFFF {
		return fmt.Errorf("fat: %s: size %s is outside 0 .. 4,294,967,295 bytes", f.Path, human.Commas(f.Size))
	}
	if f.Attr&^(ReadOnly|Hidden|System|Archive) != 0 {
		return fmt.Errorf("fat: %s: attributes %#02x: only read-only, hidden, system and archive may be set", f.Path, uint8(f.Attr))
	}
	parts := strings.Split(f.Path, "/")
	for _, c := range parts {
		if err := checkLongName(c); err != nil {
			return fmt.Errorf("fat: path %q: %w", f.Path, err)
		}
	}
	parent := -1
	for i, c := range parts[:len(parts)-1] {
		key := fmt.Sprintf("%d/%s", parent, strings.ToUpper(c))
		idx, ok := seen[key]
		switch {
		case ok && idx == -2:
			return fmt.Errorf("fat: %s: %s is a file, not a folder", f.Path, strings.Join(parts[:i+1], "/"))
		case !ok:
			idx = len(p.Folders)
			seen[key] = idx
			p.Folders = append(p.Folders, PlannedFile{
				Path: strings.Join(parts[:i+1], "/"), Attr: Directory, Parent: parent,
			})
		}
		parent = idx
	}
	key := fmt.Sprintf("%d/%s", parent, strings.ToUpper(parts[len(parts)-1]))
	if idx, ok := seen[key]; ok {
		what := "file"
		if idx >= 0 {
			what = "folder"
		}
		return fmt.Errorf("fat: %s: duplicate name (case-insensitive) of a %s", f.Path, what)
	}
	seen[key] = -2
	p.Files = append(p.Files, PlannedFile{Path: f.Path, Size: f.Size, Attr: f.Attr, Parent: parent})
	return nil
}

// baseName is the last path element.
func baseName(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

// children returns pointers to the entries of folder dir (-1 = root):
// sub-folders first, then files, each in plan order.
func (p *Plan) children(dir int) []*PlannedFile {
	var out []*PlannedFile
	for i := range p.Folders {
		if p.Folders[i].Parent == dir {
			out = append(out, &p.Folders[i])
		}
	}
	for i := range p.Files {
		if p.Files[i].Parent == dir {
			out = append(out, &p.Files[i])
		}
	}
	return out
}

// assignNames gives every entry its 8.3 name (plus a long name and a
// generated ~N short name when 8.3 cannot hold it) and counts entries.
func (p *Plan) assignNames() error {
	byParent := map[int][]*PlannedFile{}
	for i := range p.Folders {
		byParent[p.Folders[i].Parent] = append(byParent[p.Folders[i].Parent], &p.Folders[i])
	}
	for i := range p.Files {
		byParent[p.Files[i].Parent] = append(byParent[p.Files[i].Parent], &p.Files[i])
	}
	for dir := -1; dir < len(p.Folders); dir++ {
		kids := byParent[dir]
		taken := map[string]bool{}
		for _, e := range kids { // names that fit 8.3 keep them
			if s, ok := fit83(baseName(e.Path)); ok {
				e.ShortName = s
				taken[s] = true
			}
		}
		n := 0
		if dir >= 0 {
			n = 2 // "." and ".."
		} else if p.LabelEntry {
			n = 1
		}
		for _, e := range kids {
			if e.ShortName == "" {
				s, err := generateShort(baseName(e.Path), taken)
				if err != nil {
					return fmt.Errorf("fat: %w", err)
				}
				e.ShortName, e.LongName = s, baseName(e.Path)
				taken[s] = true
			}
			n += 1 + lfnSlots(e.LongName)
		}
		if n > maxDirEntries {
			return fmt.Errorf("fat: folder %q needs %s entries, FAT allows %s", p.dirPath(dir), human.Commas(int64(n)), human.Commas(maxDirEntries))
		}
		if dir >= 0 {
			p.Folders[dir].Entries = n
		} else {
			p.RootEntriesUsed = n
		}
	}
	return nil
}

func (p *Plan) dirPath(dir int) string {
	if dir < 0 {
		return "/"
	}
	return p.Folders[dir].Path
}

// clustersFor is the cluster count of n bytes (at least min).
func clustersFor(n, clusterBytes int64, min uint32) uint32 {
	c := uint32((n + clusterBytes - 1) / clusterBytes)
	if c < min {
		return min
	}
	return c
}

// need counts the clusters the payload takes at g's cluster size
// (FAT32 root, folders, files) and the largest single file's share.
func (p *Plan) need(g *Geometry) (total uint64, biggest int) {
	cb := g.ClusterBytes()
	if g.Type == 32 {
		total += uint64(clustersFor(int64(p.RootEntriesUsed)*dirEntrySize, cb, 1))
	}
	for _, d := range p.Folders {
		total += uint64(clustersFor(int64(d.Entries)*dirEntrySize, cb, 1))
	}
	biggest = -1
	for i, f := range p.Files {
		total += uint64(clustersFor(f.Size, cb, 0))
		if biggest < 0 || f.Size > p.Files[biggest].Size {
			biggest = i
		}
	}
	return total, biggest
}

// allocate hands out consecutive clusters: FAT32 root, folders, files.
func (p *Plan) allocate() {
	cb := p.ClusterBytes()
	next := uint32(2)
	if p.Type == 32 {
		p.RootClusters = clustersFor(int64(p.RootEntriesUsed)*dirEntrySize, cb, 1)
		next += p.RootClusters
	}
	for i := range p.Folders {
		d := &p.Folders[i]
		d.FirstCluster, d.Clusters = next, clustersFor(int64(d.Entries)*dirEntrySize, cb, 1)
		next += d.Clusters
	}
	for i := range p.Files {
		f := &p.Files[i]
		f.Clusters = clustersFor(f.Size, cb, 0)
		if f.Clusters > 0 {
			f.FirstCluster = next
			next += f.Clusters
		}
	}
	p.UsedClusters = next - 2
	p.FreeClusters = p.Clusters - p.UsedClusters
	p.NextFree = next
	if p.FreeClusters == 0 {
		p.NextFree = 0xFFFFFFFF
	}
}

// File returns the planned file at path (case-insensitive).
func (p *Plan) File(path string) (PlannedFile, bool) {
	for _, f := range p.Files {
		if strings.EqualFold(f.Path, path) {
			return f, true
		}
	}
	return PlannedFile{}, false
}

// FileSectors returns the volume-relative sector of each 512-byte piece
// of the file at path (the last one possibly partial).
func (p *Plan) FileSectors(path string) ([]uint32, error) {
	f, ok := p.File(path)
	if !ok {
		return nil, fmt.Errorf("fat: %s: not in the plan: %w", path, fs.ErrNotExist)
	}
	n := (f.Size + SectorSize - 1) / SectorSize
	out := make([]uint32, n)
	first := p.ClusterSector(f.FirstCluster)
	for i := range out {
		out[i] = first + uint32(i)
	}
	return out, nil
}
