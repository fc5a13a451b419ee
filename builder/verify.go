package builder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
)

// Verify reads the written image back. Sector 0, the boot sector and
// LDLINUX.SYS must hold the planned bytes; inspect must judge the image
// bootable with the planned sector list; and every file's bytes, read back in
// one sequential pass, must equal its source. It returns the image's SHA-256
// (hashed on a second goroutine, behind the reads).
func (p *Plan) Verify(ctx context.Context, r io.ReaderAt) (string, error) {
	return p.verify(ctx, r, WriteOptions{})
}

// verify is Verify with o's Serial and ZeroRuns.
func (p *Plan) verify(ctx context.Context, r io.ReaderAt, o WriteOptions) (string, error) {
	if err := p.checkStructure(r); err != nil {
		return "", err
	}
	rb := p.newReadBack(r, o.Serial, o.ZeroRuns)
	defer rb.finish()
	if err := rb.upTo(ctx, p.ImageBytes); err != nil {
		return "", err
	}
	return rb.sum(), nil
}

// checkStructure checks sector 0, the boot sector and what inspect reads:
// the filesystem, the boot path and the planned LDLINUX.SYS sector list.
func (p *Plan) checkStructure(r io.ReaderAt) error {
	if len(p.head) > 0 {
		what := "sector 0 (MBR)"
		if p.GPT != nil {
			what = "the protective MBR and the primary GPT"
		}
		if err := expect(r, 0, p.head, what); err != nil {
			return err
		}
	}
	if len(p.tail) > 0 {
		if err := expect(r, p.ImageBytes-int64(len(p.tail)), p.tail, "the backup GPT"); err != nil {
			return err
		}
	}
	if err := expect(r, p.fsBase(), p.boot[:], "the partition's boot sector"); err != nil {
		return err
	}
	rep, err := inspect.Inspect(r, p.ImageBytes, inspectOptions)
	if err != nil {
		return err
	}
	if !rep.Bootable || len(rep.Faults) > 0 {
		return fmt.Errorf("inspect: the image would not boot: %s", strings.Join(rep.Faults, "; "))
	}
	if p.UEFIOnly {
		if !rep.UEFIOnly {
			return fmt.Errorf("inspect does not read the image as UEFI-only")
		}
		return nil
	}
	want := p.Loader.Sectors[1:]
	if rep.Loader.FirstSector != p.Loader.Sectors[0] || !slices.Equal(rep.Loader.SectorPtrs, want) {
		return fmt.Errorf("inspect reads LDLINUX.SYS sectors %d %v, planned %v", rep.Loader.FirstSector, rep.Loader.SectorPtrs, p.Loader.Sectors)
	}
	return nil
}

// inspectOptions are the options of the structure check. Every file's
// bytes are compared with their source by the read-back pass, so inspect
// does not read and hash them a second time; it still reads and checks
// everything on the boot path (boot sector, LDLINUX.SYS, syslinux.cfg, the
// folders and every cluster chain).
var inspectOptions = inspect.Options{SkipHashes: true}

// fsBase is the byte offset of the FAT volume in the image.
func (p *Plan) fsBase() int64 {
	if p.PartitionOnly {
		return 0
	}
	return int64(p.Partition.StartLBA) * 512
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

// firstDiff returns the first index where a and b (as long) differ, or -1.
func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
