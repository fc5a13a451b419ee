package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
)

// Verify reads the written image back. Sector 0, the boot sector and
// LDLINUX.SYS must hold the planned bytes; inspect must judge the image
// bootable with the planned sector list; and every file's bytes, read back in
// one sequential pass, must equal its source. It returns the image's SHA-256.
func (p *Plan) Verify(ctx context.Context, r io.ReaderAt) (string, error) {
	base := int64(0)
	if !p.PartitionOnly {
		if err := expect(r, 0, p.mbr[:], "sector 0 (MBR)"); err != nil {
			return "", err
		}
		base = int64(p.Partition.StartLBA) * 512
	}
	if err := expect(r, base, p.boot[:], "the partition's boot sector"); err != nil {
		return "", err
	}
	rep, err := inspect.Inspect(r, p.ImageBytes, inspect.Options{})
	if err != nil {
		return "", err
	}
	if !rep.Bootable || len(rep.Faults) > 0 {
		return "", fmt.Errorf("inspect: the image would not boot: %s", strings.Join(rep.Faults, "; "))
	}
	want := p.Loader.Sectors[1:]
	if rep.Loader.FirstSector != p.Loader.Sectors[0] || !slices.Equal(rep.Loader.SectorPtrs, want) {
		return "", fmt.Errorf("inspect reads LDLINUX.SYS sectors %d %v, planned %v", rep.Loader.FirstSector, rep.Loader.SectorPtrs, p.Loader.Sectors)
	}
	return p.readBack(ctx, r, base)
}

// extent is a planned file's bytes in the image.
type extent struct {
	name string
	off  int64
	src  io.ReaderAt
	size int64
}

// readBack hashes the whole image in order and compares every file's bytes
// with its source on the way.
func (p *Plan) readBack(ctx context.Context, r io.ReaderAt, base int64) (string, error) {
	var exts []extent
	g := p.FAT.Geometry
	for _, f := range p.FAT.Files {
		if f.Size == 0 {
			continue
		}
		off := base + (int64(g.FirstDataSector)+int64(f.FirstCluster-2)*int64(g.SectorsPerCluster))*512
		exts = append(exts, extent{f.Path, off, p.content[f.Path], f.Size})
	}
	sort.Slice(exts, func(i, j int) bool { return exts[i].off < exts[j].off })
	h := sha256.New()
	const chunk = 4 << 20
	buf, src := make([]byte, chunk), make([]byte, chunk)
	e := 0
	for off := int64(0); off < p.ImageBytes; {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n := min(chunk, p.ImageBytes-off)
		b := buf[:n]
		if _, err := r.ReadAt(b, off); err != nil {
			return "", fmt.Errorf("reading back at byte %d: %w", off, err)
		}
		h.Write(b)
		for ; e < len(exts) && exts[e].off+exts[e].size <= off; e++ {
		}
		for i := e; i < len(exts) && exts[i].off < off+n; i++ {
			x := exts[i]
			lo, hi := max(x.off, off), min(x.off+x.size, off+n)
			s := src[:hi-lo]
			if _, err := x.src.ReadAt(s, lo-x.off); err != nil && !(err == io.EOF && lo-x.off+int64(len(s)) == x.size) {
				return "", fmt.Errorf("%s: reading the source again: %w", x.name, err)
			}
			if got := b[lo-off : hi-off]; !bytes.Equal(s, got) {
				i := int64(firstDiff(got, s))
				return "", fmt.Errorf("%s: byte %d read back (image byte %d) is 0x%02X, the source has 0x%02X",
					x.name, lo-x.off+i, lo+i, got[i], s[i])
			}
		}
		off += n
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func expect(r io.ReaderAt, off int64, want []byte, what string) error {
	got := make([]byte, len(want))
	if _, err := r.ReadAt(got, off); err != nil {
		return fmt.Errorf("reading %s: %w", what, err)
	}
	if i := firstDiff(got, want); i >= 0 {
		return fmt.Errorf("%s differs from the plan at byte %d (0x%02X, planned 0x%02X)", what, i, got[i], want[i])
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
