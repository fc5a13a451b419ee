package fat

import (
	"context"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// A volume written from one Plan becomes another Plan's volume when both
// place every cluster alike: WriteMeta rewrites everything outside the file
// data, WriteFiles the data of the files whose bytes differ. The rest (the
// other files' clusters, the free clusters) must already be equal, which
// SameLayout checks for everything but the content of the files kept.

// SameLayout returns nil when a volume written from p turns into q's by
// q.WriteMeta and q.WriteFiles of the files for which rewrite says true,
// provided every other file has the same content in both (the caller knows
// where the bytes come from). Otherwise the error says what differs.
func (p *Plan) SameLayout(q *Plan, rewrite func(path string) bool) error {
	a, b := p.Geometry, q.Geometry
	// The volume ID, label and hidden sectors live only in the boot
	// sector(s) and the root folder, which WriteMeta rewrites.
	a.VolumeID, a.Label, a.HiddenSectors = b.VolumeID, b.Label, b.HiddenSectors
	if a != b {
		return fmt.Errorf("fat: geometry differs: %s FAT%d of %s sectors (%d per cluster, FAT %s sectors) vs %s FAT%d of %s sectors (%d per cluster, FAT %s sectors)",
			humanSize(p.TotalSectors), p.Type, human.Commas(int64(p.TotalSectors)), p.SectorsPerCluster, human.Commas(int64(p.FATSectors)),
			humanSize(q.TotalSectors), q.Type, human.Commas(int64(q.TotalSectors)), q.SectorsPerCluster, human.Commas(int64(q.FATSectors)))
	}
	if len(p.Folders) != len(q.Folders) || len(p.Files) != len(q.Files) {
		return fmt.Errorf("fat: %d folders and %d files vs %d and %d", len(p.Folders), len(p.Files), len(q.Folders), len(q.Files))
	}
	for i, d := range p.Folders {
		if e := q.Folders[i]; d.FirstCluster != e.FirstCluster || d.Clusters != e.Clusters {
			return fmt.Errorf("fat: folder %s: clusters %d+%d vs %s: %d+%d", d.Path, d.FirstCluster, d.Clusters, e.Path, e.FirstCluster, e.Clusters)
		}
	}
	for i, f := range p.Files {
		g := q.Files[i]
		switch {
		case f.Path != g.Path:
			return fmt.Errorf("fat: file %d is %s vs %s", i+1, f.Path, g.Path)
		case f.FirstCluster != g.FirstCluster || f.Clusters != g.Clusters:
			return fmt.Errorf("fat: %s: clusters %d+%d vs %d+%d", f.Path, f.FirstCluster, f.Clusters, g.FirstCluster, g.Clusters)
		case f.Size != g.Size && !rewrite(f.Path):
			return fmt.Errorf("fat: %s: %s bytes vs %s", f.Path, human.Commas(f.Size), human.Commas(g.Size))
		}
	}
	if p.RootClusters != q.RootClusters || p.UsedClusters != q.UsedClusters {
		return fmt.Errorf("fat: %d root and %d used clusters vs %d and %d", p.RootClusters, p.UsedClusters, q.RootClusters, q.UsedClusters)
	}
	return nil
}

// MetaBytes is the length of the volume's metadata from its start: the
// reserved sectors, the FATs, the FAT12/16 root folder and the folder
// clusters (which come first in the data area).
func (p *Plan) MetaBytes() int64 {
	n := int64(p.RootClusters)
	for _, d := range p.Folders {
		n += int64(d.Clusters)
	}
	return int64(p.FirstDataSector)*SectorSize + n*p.ClusterBytes()
}

// WriteMeta writes what Write writes before the file data, each region
// whole: the reserved sectors with boot (FAT32: FSInfo, backup boot sector
// and FSInfo copy), every FAT copy, the root folder and every folder.
func (p *Plan) WriteMeta(ctx context.Context, dst io.WriterAt, base int64, boot [SectorSize]byte) error {
	if err := p.Check(); err != nil {
		return err
	}
	if err := p.checkBoot(boot); err != nil {
		return err
	}
	return newWriter(ctx, dst, base).meta(p, boot)
}

// WriteFiles writes the data clusters of the named files whole: the file's
// bytes from content, then zeros up to the end of its last cluster, as on
// a freshly written volume.
func (p *Plan) WriteFiles(ctx context.Context, dst io.WriterAt, base int64, content map[string]io.ReaderAt, paths ...string) error {
	if err := p.Check(); err != nil {
		return err
	}
	w := newWriter(ctx, dst, base)
	for _, path := range paths {
		i := p.fileIndex(path)
		if i < 0 {
			return fmt.Errorf("fat: %s: not in the plan", path)
		}
		f := p.Files[i]
		if f.Size == 0 {
			continue
		}
		src := content[path]
		if src == nil {
			return fmt.Errorf("fat: %s: no content given", path)
		}
		off := int64(p.ClusterSector(f.FirstCluster)) * SectorSize
		if err := w.copyFile(f, src, off); err != nil {
			return err
		}
		if pad := int64(f.Clusters)*p.ClusterBytes() - f.Size; pad > 0 {
			if err := w.writeAt(make([]byte, pad), off+f.Size, path+" (cluster slack)"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *Plan) fileIndex(path string) int {
	for i, f := range p.Files {
		if f.Path == path {
			return i
		}
	}
	return -1
}
