package cd

import (
	"fmt"
	"io"
	"sort"
)

// overlay holds the sectors a plan changes or adds, over the input.
type overlay struct {
	src     io.ReaderAt
	inEnd   uint32            // sectors of the input
	end     uint32            // sectors of the copy
	sectors map[uint32][]byte // changed or added sectors, whole
	what    map[uint32]string // what first changed each sector
	err     error             // a read of the input failed
}

func newOverlay(src io.ReaderAt, sectors uint32) *overlay {
	return &overlay{src: src, inEnd: sectors, end: sectors, sectors: map[uint32][]byte{}, what: map[uint32]string{}}
}

// sector returns sector n for changing, read from the input the first time.
func (o *overlay) sector(n uint32, what string) []byte {
	if b, ok := o.sectors[n]; ok {
		return b
	}
	b := make([]byte, Sector)
	if n < o.inEnd {
		if _, err := o.src.ReadAt(b, int64(n)*Sector); err != nil && o.err == nil {
			o.err = fmt.Errorf("reading sector %d: %w", n, err)
		}
	}
	o.sectors[n], o.what[n] = b, what
	return b
}

// bytes returns the n bytes at off for changing; they must lie in one sector.
func (o *overlay) bytes(off int64, n int) []byte {
	in := int(off % Sector)
	if in+n > Sector {
		panic(fmt.Sprintf("cd: %d bytes at %d cross a sector boundary", n, off))
	}
	return o.sector(uint32(off/Sector), "directory records and descriptors")[in : in+n]
}

// put writes data at off, across sectors.
func (o *overlay) put(off int64, data []byte, what string) {
	for len(data) > 0 {
		in := int(off % Sector)
		k := copy(o.sector(uint32(off/Sector), what)[in:], data)
		data, off = data[k:], off+int64(k)
	}
}

// appendData puts data after the copy's last sector and returns its first
// sector.
func (o *overlay) appendData(data []byte, what string) uint32 {
	at := o.end
	for i := 0; i < len(data); i += Sector {
		copy(o.sector(o.end, what), data[i:])
		o.end++
	}
	return at
}

// readAt returns the copy's bytes at off: the plan's sectors, the input's
// bytes where unchanged (one read per unchanged run), zeros past both.
func (o *overlay) readAt(b []byte, off int64) error {
	for len(b) > 0 {
		n, in := uint32(off/Sector), int(off%Sector)
		k := min(len(b), Sector-in)
		if s, ok := o.sectors[n]; ok {
			copy(b[:k], s[in:])
		} else if n < o.inEnd {
			for n+1 < o.inEnd && k < len(b) { // extend over unchanged input sectors
				if _, ok := o.sectors[n+1]; ok {
					break
				}
				n++
				k = min(len(b), k+Sector)
			}
			if _, err := o.src.ReadAt(b[:k], off); err != nil {
				return err
			}
		} else {
			clear(b[:k])
		}
		b, off = b[k:], off+int64(k)
	}
	return nil
}

// runs lists the changed sectors as runs of consecutive sectors.
func (o *overlay) runs() []Patch {
	ns := make([]uint32, 0, len(o.sectors))
	for n := range o.sectors {
		ns = append(ns, n)
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	var out []Patch
	for i, n := range ns {
		if i > 0 && ns[i-1] == n-1 && o.what[n] == o.what[n-1] {
			out[len(out)-1].Bytes += Sector
			continue
		}
		out = append(out, Patch{Offset: int64(n) * Sector, Bytes: Sector, What: o.what[n]})
	}
	return out
}
