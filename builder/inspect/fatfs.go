package inspect

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// volume is a bounded, read-only FAT12/16/32 reader over the image.
type volume struct {
	im       *image
	base     int64 // byte offset of the filesystem's sector 0 in the image
	g        geometry
	fatCache map[uint32][]byte // FAT sectors read so far (bounded)
	steps    int64             // chain steps taken so far (see budget)
	buf      []byte            // readChain's buffer
}

const (
	maxFATCache  = 4096       // FAT sectors kept in memory (2 MiB)
	maxDirBytes  = 65536 * 32 // the FAT limit on folder size
	maxReadChunk = 4 << 20    // largest single read of file data
)

func newVolume(im *image, base int64, g *geometry) *volume {
	return &volume{im: im, base: base, g: *g, fatCache: map[uint32][]byte{}}
}

// readSectors reads n sectors starting at the fs-relative sector s.
func (v *volume) readSectors(s uint32, n int) ([]byte, error) {
	b := make([]byte, n*512)
	if err := v.im.readAt(b, v.base+int64(s)*512); err != nil {
		return nil, fmt.Errorf("sector %s: %w", human.Commas(s), err)
	}
	return b, nil
}

// fatByte returns byte off of the first FAT.
func (v *volume) fatByte(off uint64) (byte, error) {
	sec := off / 512
	if sec >= uint64(v.g.fatSectors) {
		return 0, fmt.Errorf("FAT byte %s is past the FAT's %s sectors", human.Commas(int64(off)), human.Commas(v.g.fatSectors))
	}
	s := uint32(sec)
	b, ok := v.fatCache[s]
	if !ok {
		var err error
		if b, err = v.readSectors(v.g.fatStart+s, 1); err != nil {
			return 0, fmt.Errorf("FAT: %w", err)
		}
		if len(v.fatCache) >= maxFATCache {
			clear(v.fatCache)
		}
		v.fatCache[s] = b
	}
	return b[off%512], nil
}

// entry reads the raw FAT entry of cluster c, normalised so that
// end-of-chain is >= eoc and bad is == bad for every FAT type.
func (v *volume) entry(c uint32) (uint32, error) {
	var buf [4]byte
	var off uint64
	n := 2
	switch v.g.fatType {
	case 12:
		off = uint64(c) + uint64(c)/2
	case 16:
		off = uint64(c) * 2
	default:
		off, n = uint64(c)*4, 4
	}
	for i := range n {
		b, err := v.fatByte(off + uint64(i))
		if err != nil {
			return 0, err
		}
		buf[i] = b
	}
	x := binary.LittleEndian.Uint32(buf[:])
	switch v.g.fatType {
	case 12:
		if c%2 == 1 {
			x >>= 4
		}
		x &= 0xFFF
		if x >= 0xFF7 {
			x |= 0x0FFFF000
		}
	case 16:
		x &= 0xFFFF
		if x >= 0xFFF7 {
			x |= 0x0FFF0000
		}
	default:
		x &= 0x0FFFFFFF
	}
	return x, nil
}

const (
	fatBad = 0x0FFFFFF7 // bad cluster mark (normalised)
	fatEOC = 0x0FFFFFF8 // end of chain and above (normalised)
)

var errChain = errors.New("broken cluster chain")

// chain follows the cluster chain from first. It stops at the end mark and
// returns an error (with the clusters read so far) on a free or bad
// cluster, a link out of range, a loop (Brent's cycle detection, no
// memory), more than max clusters, or when the volume's budget of chain
// steps is spent (cross-linked chains walked again and again).
func (v *volume) chain(first uint32, max int) ([]uint32, error) {
	last := v.g.clusters + 1
	if first < 2 || first > last {
		return nil, fmt.Errorf("%w: first cluster %s is outside 2..%s", errChain, human.Commas(first), human.Commas(last))
	}
	max = min(max, int(v.g.clusters))
	out := []uint32{}
	tortoise, power, lam := first, 1, 0
	for c := first; ; {
		if len(out) >= max {
			return out, fmt.Errorf("%w: longer than %s clusters", errChain, human.Commas(max))
		}
		if v.steps++; v.steps > v.budget() {
			return out, fmt.Errorf("%w: stopped after %s chain steps over the whole volume (cross-linked chains?)", errChain, human.Commas(v.steps))
		}
		out = append(out, c)
		next, err := v.entry(c)
		if err != nil {
			return out, err
		}
		switch {
		case next >= fatEOC:
			return out, nil
		case next == fatBad:
			return out, fmt.Errorf("%w: cluster %s is marked bad", errChain, human.Commas(c))
		case next == 0:
			return out, fmt.Errorf("%w: cluster %s is marked free", errChain, human.Commas(c))
		case next < 2 || next > last:
			return out, fmt.Errorf("%w: cluster %s links to %s, outside 2..%s", errChain, human.Commas(c), human.Commas(next), human.Commas(last))
		case next == tortoise:
			return out, fmt.Errorf("%w: cluster %s links back to %s (a loop)", errChain, human.Commas(c), human.Commas(next))
		}
		if lam++; lam == power {
			tortoise, power, lam = next, power*2, 0
		}
		c = next
	}
}

// budget bounds the chain steps of one Inspect: a sound volume walks each
// cluster once.
func (v *volume) budget() int64 { return 2*int64(v.g.clusters) + 1<<16 }

// clusterSector is the fs-relative sector of cluster c's first sector.
func (v *volume) clusterSector(c uint32) uint32 {
	return v.g.dataStart + (c-2)*v.g.spc
}

// fileSectors lists the fs-relative sector of each 512-byte sector of a
// file of size bytes stored in clusters.
func (v *volume) fileSectors(clusters []uint32, size int64) []uint32 {
	n := (size + 511) / 512
	out := make([]uint32, 0, min(n, int64(len(clusters))*int64(v.g.spc)))
	for _, c := range clusters {
		for i := range v.g.spc {
			if int64(len(out)) >= n {
				return out
			}
			out = append(out, v.clusterSector(c)+i)
		}
	}
	return out
}

// clustersFor is how many clusters size bytes need.
func (v *volume) clustersFor(size int64) int64 {
	cb := int64(v.g.spc) * 512
	return (size + cb - 1) / cb
}

// readChain streams the first size bytes stored in clusters to fn, with
// reads of up to maxReadChunk over contiguous runs.
func (v *volume) readChain(clusters []uint32, size int64, fn func([]byte) error) error {
	cb := int64(v.g.spc) * 512
	buf := v.buf
	defer func() { v.buf = buf }()
	for i := 0; i < len(clusters) && size > 0; {
		j := i
		for j+1 < len(clusters) && clusters[j+1] == clusters[j]+1 && int64(j+2-i)*cb <= maxReadChunk {
			j++
		}
		n := min(int64(j-i+1)*cb, size)
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		b := buf[:n]
		off := v.base + int64(v.clusterSector(clusters[i]))*512
		if err := v.im.readAt(b, off); err != nil {
			return fmt.Errorf("cluster %s: %w", human.Commas(clusters[i]), err)
		}
		if err := fn(b); err != nil {
			return err
		}
		size -= n
		i = j + 1
	}
	return nil
}

// readFile returns the whole content of a small file (at most limit bytes).
func (v *volume) readFile(n *node, limit int64) ([]byte, error) {
	if n.size > limit {
		return nil, fmt.Errorf("%s: %s bytes is over the %s-byte limit", n.path, human.Commas(n.size), human.Commas(limit))
	}
	if n.chainErr != nil {
		return nil, fmt.Errorf("%s: %w", n.path, n.chainErr)
	}
	out := make([]byte, 0, n.size)
	err := v.readChain(n.clusters, n.size, func(b []byte) error { out = append(out, b...); return nil })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.path, err)
	}
	return out, nil
}
