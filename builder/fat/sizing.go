package fat

import (
	"errors"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// Headroom added by automatic sizing: 10% of the payload, at least 8 MiB.
const (
	HeadroomPercent = 10
	MinHeadroom     = 8 << 20
)

// TrackSectors: automatic sizes are multiples of 63 sectors (ESXi 4.1
// checks that a partition holds whole 63-sector tracks).
const TrackSectors = 63

const maxSectors = 0xFFFFFFFF / TrackSectors * TrackSectors

func roundUpTrack(n uint64) uint64 {
	return (n + TrackSectors - 1) / TrackSectors * TrackSectors
}

// autoSize finds the smallest multiple of 63 sectors (>= MinAutoSectors)
// whose volume holds the payload plus headroom.
func (p *Plan) autoSize(typ int) (Geometry, error) {
	var payload uint64
	for _, f := range p.Files {
		payload += uint64(f.Size)
	}
	est := payload + max(payload*HeadroomPercent/100, MinHeadroom)
	total := roundUpTrack(max(est/SectorSize, MinAutoSectors))
	for tries := 0; tries < 200; tries++ {
		if total > maxSectors {
			break
		}
		g, err := chooseGeometry(uint32(total), typ)
		if errors.Is(err, errTooFewClusters) {
			total = roundUpTrack(total + max(total/8, TrackSectors))
			continue
		}
		if err != nil {
			return g, fmt.Errorf("fat: payload of %s KiB: %w", kib(int64(payload)), err)
		}
		if err := p.checkRoot(&g); err != nil {
			return g, err
		}
		need, _ := p.need(&g)
		cb := uint64(g.ClusterBytes())
		head := max(need*cb*HeadroomPercent/100, MinHeadroom)
		want := need + (head+cb-1)/cb
		if uint64(g.Clusters) >= want {
			return g, nil
		}
		total = roundUpTrack(total + (want-uint64(g.Clusters))*uint64(g.SectorsPerCluster))
	}
	return Geometry{}, fmt.Errorf("fat: payload needs %s KiB, more than a FAT volume holds", kib(int64(payload)))
}

// checkFit uses a caller-given size as is and checks the payload fits.
func (p *Plan) checkFit(total uint32, typ int) (Geometry, error) {
	g, err := chooseGeometry(total, typ)
	if err != nil {
		return g, fmt.Errorf("fat: %w", err)
	}
	if err := p.checkRoot(&g); err != nil {
		return g, err
	}
	need, big := p.need(&g)
	if big >= 0 {
		f := p.Files[big]
		if uint64(clustersFor(f.Size, g.ClusterBytes(), 0)) > uint64(g.Clusters) {
			return g, fmt.Errorf("fat: %s: %s bytes do not fit in a %s volume", f.Path, human.Commas(f.Size), humanSize(total))
		}
	}
	if need > uint64(g.Clusters) {
		cb := g.ClusterBytes()
		return g, fmt.Errorf("fat: payload needs %s KiB but a %s FAT%d volume holds %s KiB",
			kib(int64(need)*cb), humanSize(total), g.Type, kib(int64(g.Clusters)*cb))
	}
	return g, nil
}

// checkRoot checks the FAT12/16 fixed root folder holds the root entries.
func (p *Plan) checkRoot(g *Geometry) error {
	if g.Type != 32 && p.RootEntriesUsed > int(g.RootEntries) {
		return fmt.Errorf("fat: the root folder needs %s entries but FAT%d holds %s (a long name takes one more per 13 characters); FAT32's root folder has no such limit (--fat 32)",
			human.Commas(int64(p.RootEntriesUsed)), g.Type, human.Commas(int64(g.RootEntries)))
	}
	return nil
}
