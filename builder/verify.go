package builder

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// Verify reads the written image back: sector 0, the boot sector and every
// sector of LDLINUX.SYS must hold the planned bytes. It returns the image's
// SHA-256.
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
	sys := p.content[LoaderName].(*bytes.Reader)
	want := make([]byte, sys.Size())
	if _, err := sys.ReadAt(want, 0); err != nil {
		return "", err
	}
	for i, s := range p.Loader.Sectors {
		chunk := want[i*512 : min(len(want), (i+1)*512)]
		if err := expect(r, base+int64(s)*512, chunk, fmt.Sprintf("LDLINUX.SYS sector %d (fs sector %d)", i, s)); err != nil {
			return "", err
		}
	}
	return hashFile(ctx, r, p.ImageBytes)
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
