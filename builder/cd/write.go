package cd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"reflect"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
)

// Fill writes the copy into the empty file f and reads it back: the input
// cloned (extents shared where the file system can, else copied in the
// kernel), the plan's sectors written over and after it, then every byte
// read and compared with the input and the plan, hashed, and the boot path
// judged. It returns the SHA-256 and whether extents are shared.
func (p *Plan) Fill(ctx context.Context, f *os.File) (sum string, reflink bool, err error) {
	if reflink, err = fileio.Clone(ctx, f, p.src.file, p.src.size); err != nil {
		return "", false, fmt.Errorf("writing: copying %s: %w", p.ISO, err)
	}
	if err := f.Truncate(p.ImageBytes); err != nil {
		return "", reflink, fmt.Errorf("writing: %w", err)
	}
	for _, pt := range p.Patches {
		b := make([]byte, pt.Bytes)
		if err := p.ov.readAt(b, pt.Offset); err != nil {
			return "", reflink, fmt.Errorf("writing: %w", err)
		}
		if _, err := f.WriteAt(b, pt.Offset); err != nil {
			return "", reflink, fmt.Errorf("writing %s at byte %d: %w", pt.What, pt.Offset, err)
		}
	}
	sum, err = p.Verify(ctx, f)
	if err != nil {
		return "", reflink, fmt.Errorf("verifying: %w", err)
	}
	return sum, reflink, nil
}

const chunk = 4 << 20

// Verify reads the copy r back: every byte compared with what the plan
// says (the input's bytes where unchanged), hashed on a second goroutine;
// then the volume descriptors, every directory hierarchy and the El
// Torito catalog read again, each edited file found at its new sector with
// its new bytes, and the BIOS boot image's boot info table checked.
func (p *Plan) Verify(ctx context.Context, r io.ReaderAt) (string, error) {
	h := sha256.New()
	bufs := make(chan []byte, 2)
	free := make(chan []byte, 2)
	free <- make([]byte, chunk)
	free <- make([]byte, chunk)
	done := make(chan struct{})
	go func() {
		for b := range bufs {
			h.Write(b)
			free <- b[:cap(b)]
		}
		close(done)
	}()
	want := make([]byte, chunk)
	var err error
	for off := int64(0); off < p.ImageBytes && err == nil; off += chunk {
		if err = ctx.Err(); err != nil {
			break
		}
		n := min(chunk, p.ImageBytes-off)
		got := (<-free)[:n]
		if _, err = r.ReadAt(got, off); err != nil {
			err = fmt.Errorf("reading back byte %d: %w", off, err)
			free <- got
			break
		}
		if err = p.ov.readAt(want[:n], off); err != nil {
			free <- got
			break
		}
		if !bytes.Equal(got, want[:n]) {
			i := 0
			for got[i] == want[i] {
				i++
			}
			err = fmt.Errorf("byte %d (sector %d) reads %#02x, the plan says %#02x", off+int64(i), (off+int64(i))/Sector, got[i], want[i])
			free <- got
			break
		}
		bufs <- got
	}
	close(bufs)
	<-done
	if err != nil {
		return "", err
	}
	if err := p.checkStructure(r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkStructure reads the copy's trees and boot catalog as a reader would.
func (p *Plan) checkStructure(r io.ReaderAt) error {
	trees, err := readHierarchies(r, p.ImageBytes)
	if err != nil {
		return err
	}
	for _, f := range p.Files {
		for ti, h := range trees {
			n := 0
			for _, d := range h.dirs {
				for _, rec := range d.recs[2:] {
					if rec.isFile() && rec.ext() == f.Sector && int64(rec.size()) == f.Bytes {
						n++
					}
				}
			}
			if n == 0 {
				return fmt.Errorf("%s: no record of directory hierarchy %d points at its new data (sector %d)", f.Path, ti+1, f.Sector)
			}
		}
		got := make([]byte, f.Bytes)
		if _, err := r.ReadAt(got, int64(f.Sector)*Sector); err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		if !bytes.Equal(got, f.data) {
			return fmt.Errorf("%s: its bytes at sector %d differ from the plan", f.Path, f.Sector)
		}
	}
	cat, err := ReadCatalog(r)
	if err != nil {
		return err
	}
	if (cat == nil) != (p.Catalog == nil) || cat != nil && !sameImages(cat, p.Catalog) {
		return fmt.Errorf("the El Torito catalog differs from the input's")
	}
	if cat != nil {
		for _, im := range p.Catalog.Images {
			if im.Platform != "BIOS" || im.Media != "no emulation" || im.Size == 0 || im.Size > 1<<20 {
				continue
			}
			bin := make([]byte, im.Size)
			if _, err := r.ReadAt(bin, int64(im.LBA)*Sector); err != nil {
				return fmt.Errorf("BIOS boot image %s: %w", im.Path, err)
			}
			if msg := CheckBootInfoTable(bin, im.LBA); msg != "" && p.src.bootInfoOK(im) {
				return fmt.Errorf("BIOS boot image %s: %s", im.Path, msg)
			}
		}
	}
	return nil
}

func sameImages(a, b *Catalog) bool {
	if a.Sector != b.Sector || len(a.Images) != len(b.Images) {
		return false
	}
	for i := range a.Images {
		x, y := a.Images[i], b.Images[i]
		x.Path, x.Size, y.Path, y.Size = "", 0, "", 0
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// bootInfoOK says whether the input's copy of a boot image had a right
// boot info table (one without cannot be faulted in the copy).
func (s *Source) bootInfoOK(im BootImage) bool {
	bin := make([]byte, im.Size)
	if _, err := s.file.ReadAt(bin, int64(im.LBA)*Sector); err != nil {
		return false
	}
	return CheckBootInfoTable(bin, im.LBA) == ""
}
