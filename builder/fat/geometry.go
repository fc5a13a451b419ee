package fat

import (
	"errors"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// SectorSize is the only sector size this package writes.
const SectorSize = 512

// Cluster-count limits (fatgen103): the FAT type is decided by the count
// alone, below 4,085 FAT12, below 65,525 FAT16, else FAT32. A planned
// volume keeps Fudge clusters away from either boundary, because some
// implementations compute the count slightly differently.
const (
	fat16MinClusters = 4085
	fat32MinClusters = 65525
	fat32MaxClusters = 0x0FFFFFF5 - 2 // cluster numbers 2..0x0FFFFFF6 exclusive
	Fudge            = 16
)

var (
	errTooFewClusters  = errors.New("too few clusters")
	errTooManyClusters = errors.New("too many clusters")
)

// Geometry is a FAT volume's layout; sector numbers are relative to the
// start of the volume (its boot sector).
type Geometry struct {
	Type              int    // 12, 16 or 32
	BytesPerSector    uint16 // always 512
	SectorsPerCluster uint8  // 1..64, a power of two
	ReservedSectors   uint16 // boot sector (FAT32: +FSInfo, backup) and alignment padding
	NumFATs           uint8  // copies of the FAT, 2
	RootEntries       uint16 // FAT12/16: entries of the fixed root folder (512); FAT32: 0
	FATSectors        uint32 // sectors per FAT copy, the fewest that map every cluster
	TotalSectors      uint32 // sectors of the whole volume
	RootDirSectors    uint32 // FAT12/16: sectors of the fixed root folder; FAT32: 0
	FirstDataSector   uint32 // ReservedSectors + NumFATs*FATSectors + RootDirSectors
	Clusters          uint32 // data clusters, numbered 2..Clusters+1
	Media             uint8  // media descriptor, 0xF8 (fixed disk)
	SectorsPerTrack   uint16 // CHS geometry for the BPB, 63
	Heads             uint16 // CHS geometry for the BPB, 255
	HiddenSectors     uint32 // sectors before the volume (partition start LBA)
	VolumeID          uint32 // serial number
	Label             string // 11 characters, blank padded; "NO NAME    " when none
	RootCluster       uint32 // FAT32: first cluster of the root folder (2); else 0
	FSInfoSector      uint16 // FAT32: 1; else 0
	BackupBootSector  uint16 // FAT32: 6; else 0
}

// ClusterBytes is the size of one cluster in bytes.
func (g *Geometry) ClusterBytes() int64 {
	return int64(g.SectorsPerCluster) * SectorSize
}

// ClusterSector returns the volume-relative first sector of cluster c.
func (g *Geometry) ClusterSector(c uint32) uint32 {
	return g.FirstDataSector + (c-2)*uint32(g.SectorsPerCluster)
}

// clusterRange is the allowed cluster count for a type, fudge included.
func clusterRange(typ int) (min, max uint32) {
	switch typ {
	case 12:
		return 1, fat16MinClusters - Fudge - 1
	case 16:
		return fat16MinClusters + Fudge, fat32MinClusters - Fudge - 1
	default:
		return fat32MinClusters + Fudge, fat32MaxClusters - Fudge
	}
}

// tableSectorsPerCluster is fatgen103's DskTableFAT16/DskTableFAT32 (the
// FAT16 rows below 8,400 sectors use 512-byte clusters instead of failing;
// FAT12 starts at 512 bytes and grows until the count fits).
func tableSectorsPerCluster(total uint32, typ int) uint8 {
	switch typ {
	case 12:
		return 1
	case 16:
		switch {
		case total <= 8400:
			return 1
		case total <= 32680: // 16 MB
			return 2
		case total <= 262144: // 128 MB
			return 4
		case total <= 524288: // 256 MB
			return 8
		case total <= 1048576: // 512 MB
			return 16
		case total <= 2097152: // 1 GB
			return 32
		default:
			return 64
		}
	default:
		switch {
		case total <= 532480: // 260 MB
			return 1
		case total <= 16777216: // 8 GB
			return 8
		case total <= 33554432: // 16 GB
			return 16
		case total <= 67108864: // 32 GB
			return 32
		default:
			return 64
		}
	}
}

// autoType is FAT16 up to 1 GiB, FAT32 above.
func autoType(total uint32) int {
	if uint64(total)*SectorSize <= 1<<30 {
		return 16
	}
	return 32
}

// chooseGeometry picks the cluster size for a volume of total sectors of
// type typ (0 = auto): fatgen103's table first, then halving or doubling
// the cluster until the count lies inside the type's fudged range.
func chooseGeometry(total uint32, typ int) (Geometry, error) {
	if typ == 0 {
		typ = autoType(total)
	}
	spc := tableSectorsPerCluster(total, typ)
	min, max := clusterRange(typ)
	var g Geometry
	for tries := 0; tries < 16; tries++ {
		var err error
		g, err = layout(total, typ, spc)
		switch {
		case err != nil && spc > 1:
			spc /= 2 // system area does not fit: smaller clusters shrink nothing, but try
			continue
		case err != nil:
			return g, err
		case g.Clusters < min && spc > 1:
			spc /= 2
			continue
		case g.Clusters > max && spc < 64:
			spc *= 2
			continue
		case g.Clusters < min:
			return g, fmt.Errorf("FAT%d needs at least %s clusters but a %s volume has %s of %s: %w",
				typ, human.Commas(int64(min)), humanSize(total), human.Commas(int64(g.Clusters)), human.Bytes(g.ClusterBytes()), errTooFewClusters)
		case g.Clusters > max:
			return g, fmt.Errorf("FAT%d allows at most %s clusters but a %s volume has %s of %s: %w",
				typ, human.Commas(int64(max)), humanSize(total), human.Commas(int64(g.Clusters)), human.Bytes(g.ClusterBytes()), errTooManyClusters)
		}
		return g, nil
	}
	return g, fmt.Errorf("no cluster size fits FAT%d in a %s volume: %w", typ, humanSize(total), errTooFewClusters)
}

// layout computes the exact geometry of a volume with spc sectors per
// cluster: the fewest FAT sectors that map every cluster, and reserved
// sectors padded so that the data region starts on a cluster boundary.
func layout(total uint32, typ int, spc uint8) (Geometry, error) {
	g := Geometry{
		Type:              typ,
		BytesPerSector:    SectorSize,
		SectorsPerCluster: spc,
		ReservedSectors:   1,
		NumFATs:           2,
		TotalSectors:      total,
		Media:             0xF8,
		SectorsPerTrack:   63,
		Heads:             255,
	}
	if typ == 32 {
		g.ReservedSectors, g.RootCluster, g.FSInfoSector, g.BackupBootSector = 32, 2, 1, 6
	} else {
		g.RootEntries = 512
		g.RootDirSectors = uint32(g.RootEntries) * dirEntrySize / SectorSize
	}
	for i := 0; i < 16; i++ {
		fat, ok := fatSectors(total, uint32(g.ReservedSectors)+g.RootDirSectors, spc, typ)
		if !ok {
			return g, fmt.Errorf("a %s volume is too small for FAT%d: %w", humanSize(total), typ, errTooFewClusters)
		}
		g.FATSectors = fat
		g.FirstDataSector = uint32(g.ReservedSectors) + 2*fat + g.RootDirSectors
		rem := g.FirstDataSector % uint32(spc)
		if rem == 0 {
			g.Clusters = (total - g.FirstDataSector) / uint32(spc)
			return g, nil
		}
		if uint32(g.ReservedSectors)+uint32(spc)-rem > 0xFFFF {
			break
		}
		g.ReservedSectors += uint16(uint32(spc) - rem)
	}
	return g, fmt.Errorf("cannot align FAT%d data region of a %s volume", typ, humanSize(total))
}

// fatSectors returns the fewest sectors per FAT such that the FAT has an
// entry for every cluster (plus the two reserved entries) left after the
// system area (fixed sectors + 2 FATs). ok is false when nothing is left.
func fatSectors(total, fixed uint32, spc uint8, typ int) (uint32, bool) {
	entries := func(f uint64) uint64 { // entries a FAT of f sectors holds
		return f * SectorSize * 8 / uint64(typ)
	}
	fits := func(f uint64) bool {
		sys := uint64(fixed) + 2*f
		if sys >= uint64(total) {
			return false
		}
		clusters := (uint64(total) - sys) / uint64(spc)
		return entries(f) >= clusters+2
	}
	// fits is false at 0 and, once true, stays true until the system area
	// eats the volume; binary search for the first true in [1, hi].
	hi := (uint64(total)/uint64(spc)+2)*uint64(typ)/(8*SectorSize) + 1
	if !fits(hi) {
		return 0, false
	}
	lo := uint64(1)
	for lo < hi { // at most 32 steps
		mid := (lo + hi) / 2
		if fits(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return uint32(lo), true
}
