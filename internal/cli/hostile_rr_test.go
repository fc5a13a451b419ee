package cli

import (
	"bytes"
	enc "encoding/binary"
	"os"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// rrChain writes a Rock Ridge ISO whose record for cim.vgz continues its
// System Use area in a CE area appended to the image: in place of the
// record's PX entry go a CE entry (and padding) pointing at the appended
// sector, which holds area (its own CE entries point into that sector:
// ceEntry(at, n) with at relative to the sector).
func (e *hostileEnv) rrChain(name string, area func(sector uint32) []byte) string {
	e.t.Helper()
	p := e.isoFile(name, isogen.Spec{RockRidge: true})
	img, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	sector := uint32(len(img) / 2048)
	rec := bytes.Index(img, []byte("CIM.VGZ;1"))
	if rec < 33 {
		e.t.Fatal("no CIM.VGZ;1 record")
	}
	rec -= 33
	su := rec + 33 + int(img[rec+32])
	if img[rec+32]%2 == 0 {
		su++ // padding byte after an even-length identifier
	}
	px := bytes.Index(img[su:rec+int(img[rec])], []byte("PX"))
	if px < 0 {
		e.t.Fatal("no PX entry in the CIM.VGZ;1 record")
	}
	px += su
	n := int(img[px+2])
	ce := ceEntry(sector, 0, 2048)
	copy(img[px:], ce)
	copy(img[px+len(ce):], []byte{'P', 'D', byte(n - len(ce)), 1}) // pad the rest of the old entry
	a := make([]byte, 2048)
	copy(a, area(sector))
	if err := os.WriteFile(p, append(img, a...), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// ceEntry is a SUSP CE entry (SUSP-112 5.1): block, offset and length of
// the continuation area, each in both byte orders.
func ceEntry(block, off, n uint32) []byte {
	b := []byte{'C', 'E', 28, 1}
	for _, v := range []uint32{block, off, n} {
		b = enc.LittleEndian.AppendUint32(b, v)
		b = enc.BigEndian.AppendUint32(b, v)
	}
	return b
}

// nmEntry is a Rock Ridge NM entry with the CONTINUE flag.
func nmEntry(name string) []byte { return append([]byte{'N', 'M', byte(5 + len(name)), 1, 1}, name...) }

// rrChainCases are the catalogue's Rock Ridge continuation rows.
func rrChainCases() []hostile {
	return []hostile{
		{"rock ridge chains: a name continued past 255 bytes", func(e *hostileEnv) {
			e.iso = e.rrChain("longname.iso", func(s uint32) []byte {
				a := append(nmEntry(string(bytes.Repeat([]byte{'a'}, 200))), ceEntry(s, 1024, 80)...)
				return append(append(a, make([]byte, 1024-len(a))...), nmEntry(string(bytes.Repeat([]byte{'b'}, 70)))...)
			})
		}, w("longname.iso", "Rock Ridge name longer than 255 bytes")},
		{"rock ridge chains: a chain that loops", func(e *hostileEnv) {
			e.iso = e.rrChain("loop.iso", func(s uint32) []byte { return ceEntry(s, 0, 28) })
		}, w("loop.iso", "more than 16 SUSP continuation areas")},
		{"rock ridge chains: an area past the end", func(e *hostileEnv) {
			e.iso = e.rrChain("past.iso", func(s uint32) []byte { return ceEntry(s+100, 0, 2048) })
		}, w("past.iso", "out of bounds")},
	}
}
