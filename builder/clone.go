package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
)

// Cloning: hosts built from the same inputs differ in a few sectors only
// (sector 0, the boot sector, FATs and folders, the small per-host files),
// so a verified image of one host can become another host's image by a
// copy of the file (a reflink where the filesystem offers one) and rewrites
// of what differs. The result has the bytes WriteFile would write, and is
// verified the same way before it is renamed into place.

// ErrNoClone is wrapped by the reasons CanClone gives.
var ErrNoClone = errors.New("cannot clone the image")

// CanClone returns nil when p's image can be made from base's by cloning:
// same image size and partition, the same FAT geometry and the same
// clusters for every folder and file, and every file kept from base (not
// rewritten) reading the same bytes of the same open file as in base.
// Otherwise it says what differs, wrapping ErrNoClone.
func (p *Plan) CanClone(base *Plan) error {
	fail := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrNoClone, fmt.Sprintf(f, a...)) }
	switch {
	case p.PartitionOnly != base.PartitionOnly || p.Partition.StartLBA != base.Partition.StartLBA:
		return fail("partition at LBA %d (partition only %v), the base's at %d (%v)",
			p.Partition.StartLBA, p.PartitionOnly, base.Partition.StartLBA, base.PartitionOnly)
	case p.FAT == nil || base.FAT == nil:
		return fail("no FAT plan")
	}
	if err := base.FAT.SameLayout(p.FAT, func(path string) bool { return !sameSource(p.content[path], base.content[path]) }); err != nil {
		return fail("%v", err)
	}
	if p.ImageBytes != base.ImageBytes {
		return fail("image of %d bytes, the base's %d", p.ImageBytes, base.ImageBytes)
	}
	return nil
}

// rewritten lists the files whose bytes do not come from where base's do.
func (p *Plan) rewritten(base *Plan) []string {
	var out []string
	for _, f := range p.FAT.Files {
		if f.Size > 0 && !sameSource(p.content[f.Path], base.content[f.Path]) {
			out = append(out, f.Path)
		}
	}
	return out
}

// sameSource reports whether a and b are the same section of the same
// reader (ISO files: *io.SectionReader over the ISO's *os.File).
func sameSource(a, b io.ReaderAt) bool {
	sa, ok1 := a.(*io.SectionReader)
	sb, ok2 := b.(*io.SectionReader)
	if !ok1 || !ok2 {
		return false
	}
	ra, offa, na := sa.Outer()
	rb, offb, nb := sb.Outer()
	if offa != offb || na != nb || ra == nil || rb == nil {
		return false
	}
	ta := reflect.TypeOf(ra)
	if ta != reflect.TypeOf(rb) || !ta.Comparable() {
		return false
	}
	return ra == rb
}

// CloneFile writes p's image at path from base's image at basePath (written
// and verified from base, by WriteFile or CloneFile): the file is copied (a
// reflink when the filesystem supports FICLONE, else copy_file_range of its
// data, holes kept), sector 0, the FAT metadata and every file that differs
// are rewritten, and the image is verified (structure and read-back pass)
// before it is renamed into place. Call CanClone first: an error wrapping
// ErrNoClone means WriteFile is the way.
func (p *Plan) CloneFile(ctx context.Context, base *Plan, basePath, path string, o WriteOptions) (*Result, error) {
	if err := p.CanClone(base); err != nil {
		return nil, err
	}
	var reflink bool
	res, err := p.writeOutput(ctx, path, o, func(ctx context.Context, f *os.File) (string, error) {
		var err error
		if reflink, err = p.cloneFrom(ctx, f, base, basePath); err != nil {
			return "", &stepError{"writing", err}
		}
		sum, err := p.verify(ctx, f, o)
		if err != nil {
			return "", &stepError{"verifying", err}
		}
		return sum, nil
	})
	if res != nil {
		res.Reflink = reflink
	}
	return res, err
}

// cloneFrom fills the empty file f with base's image and rewrites what
// differs. It reports whether the copy shares base's extents (FICLONE).
func (p *Plan) cloneFrom(ctx context.Context, f *os.File, base *Plan, basePath string) (bool, error) {
	src, err := os.Open(basePath)
	if err != nil {
		return false, fmt.Errorf("the image to clone: %w", err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return false, fmt.Errorf("the image to clone: %w", err)
	}
	if st.Size() != p.ImageBytes {
		return false, fmt.Errorf("the image to clone, %s, has %d bytes, the plan %d", basePath, st.Size(), p.ImageBytes)
	}
	reflink, err := fileio.Clone(ctx, f, src, p.ImageBytes)
	if err != nil {
		return false, fmt.Errorf("cloning %s: %w", basePath, err)
	}
	if err := p.writeTable(f); err != nil {
		return false, err
	}
	if err := p.FAT.WriteMeta(ctx, f, p.fsBase(), p.boot); err != nil {
		return false, err
	}
	return reflink, p.FAT.WriteFiles(ctx, f, p.fsBase(), p.content, p.rewritten(base)...)
}
