package fat

import "encoding/binary"

// extent is one contiguous cluster chain.
type extent struct{ first, n uint32 }

// chains lists every allocated chain in ascending cluster order.
func (p *Plan) chains() []extent {
	var out []extent
	if p.Type == 32 {
		out = append(out, extent{p.RootCluster, p.RootClusters})
	}
	for _, d := range p.Folders {
		out = append(out, extent{d.FirstCluster, d.Clusters})
	}
	for _, f := range p.Files {
		if f.Clusters > 0 {
			out = append(out, extent{f.FirstCluster, f.Clusters})
		}
	}
	return out
}

// fatUsed is how many bytes at the start of each FAT copy hold entries
// other than zero (FAT[0], FAT[1] and the allocated clusters, which are
// 2 .. 1+UsedClusters), in whole sectors; the rest is free clusters,
// zeros the writer leaves as they are (a big volume's FATs are mostly
// that: 16 MiB of each copy at 32 GiB). A FAT12 FAT counts whole.
func (p *Plan) fatUsed() int64 {
	size := int64(p.FATSectors) * SectorSize
	if p.Type == 12 {
		return size
	}
	n := (2 + int64(p.UsedClusters)) * int64(p.Type/8)
	return min(size, (n+SectorSize-1)/SectorSize*SectorSize)
}

// eoc is the end-of-chain mark, also FAT[1] with the clean-shutdown and
// no-error bits set.
func eoc(typ int) uint32 {
	switch typ {
	case 12:
		return 0xFFF
	case 16:
		return 0xFFFF
	}
	return 0x0FFFFFFF
}

// mediaEntry is FAT[0]: the media byte with every other bit set.
func mediaEntry(typ int, media uint8) uint32 {
	return eoc(typ)&^0xFF | uint32(media)
}

// fatBytes fills buf with the FAT region from byte offset off (within
// one FAT copy) into buf; both FAT copies are identical. For FAT16/32 off
// and len(buf) must be multiples of the entry size; a FAT12 FAT must be
// requested whole (it is at most 12 sectors).
func (p *Plan) fatBytes(buf []byte, off int64, ext []extent) {
	clear(buf)
	if p.Type == 12 {
		put12(buf, 0, mediaEntry(12, p.Media))
		put12(buf, 1, eoc(12))
		for _, e := range ext {
			for c := e.first; c < e.first+e.n; c++ {
				v := c + 1
				if c == e.first+e.n-1 {
					v = eoc(12)
				}
				put12(buf, c, v)
			}
		}
		return
	}
	w := int64(p.Type / 8)
	lo := uint32(off / w)
	hi := lo + uint32(int64(len(buf))/w) // entries [lo, hi) are in buf
	put := func(c, v uint32) {
		if p.Type == 16 {
			binary.LittleEndian.PutUint16(buf[int64(c-lo)*w:], uint16(v))
		} else {
			binary.LittleEndian.PutUint32(buf[int64(c-lo)*w:], v)
		}
	}
	for c, v := range [2]uint32{mediaEntry(p.Type, p.Media), eoc(p.Type)} {
		if uint32(c) >= lo && uint32(c) < hi {
			put(uint32(c), v)
		}
	}
	for _, e := range ext {
		from, to := max(e.first, lo), min(e.first+e.n, hi)
		for c := from; c < to; c++ {
			v := c + 1
			if c == e.first+e.n-1 {
				v = eoc(p.Type)
			}
			put(c, v)
		}
	}
}

// put12 stores 12-bit entry n: even entries take a byte and the low
// nibble of the next, odd ones the high nibble and the byte after.
func put12(b []byte, n, v uint32) {
	i := n * 3 / 2
	if int(i)+1 >= len(b) {
		return
	}
	if n%2 == 0 {
		b[i] = byte(v)
		b[i+1] = b[i+1]&0xF0 | byte(v>>8)&0x0F
	} else {
		b[i] = b[i]&0x0F | byte(v<<4)
		b[i+1] = byte(v >> 4)
	}
}
