package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/fat"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/zerorun"
)

// WriteOptions say how the output file is put in place.
type WriteOptions struct {
	Force bool // replace an existing regular file
	Sync  bool // fsync the image before it is renamed into place
	// Serial keeps the work on the calling goroutine: no second goroutine
	// hashes the image beside the writes and reads. For callers that
	// already run one build per CPU (batches), where the handoffs between
	// cores would only cost CPU time.
	Serial bool
	// ZeroRuns remembers the SHA-256 over long runs of zeros (a big
	// partition's free space) across builds: an image rebuilt from the
	// same inputs and settings hashes them once (nil: every build does).
	ZeroRuns *zerorun.Memo
	// FullReadBack (install CDs, --verify full) reads back every byte of
	// the copy; by default only the sectors written are, and the input's
	// bytes are the kernel's copy (cd.VerifyWritten).
	FullReadBack bool
	// Progress, when set, is told how many bytes of the image have been
	// read back, checked and hashed so far (up to ImageBytes), every few
	// MiB, from the goroutine that hashes: it must be quick and safe to
	// call from another goroutine than the caller's.
	Progress func(hashed int64)
}

// Result is a written and verified image.
type Result struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	// Reflink: cloned with FICLONE, sharing the first image's extents
	// (CloneFile on Btrfs or XFS).
	Reflink bool `json:"reflink,omitempty"`
}

// CheckOutput refuses an output path that is a folder, a device or (without
// force) an existing file. Building writes files; writing disks is dd's job.
//
// A symlink is refused too (replacing it would replace the link, not what
// it points at: -o /dev/stdout would put an image in /dev), and so is any
// path under /dev, /proc or /sys. "-" is not standard output here.
func CheckOutput(path string, force bool) error {
	if path == "-" {
		return fmt.Errorf("output -: images are not written to standard output (name a file, then cat or dd it)")
	}
	if lt, err := os.Lstat(path); err == nil && lt.Mode()&os.ModeSymlink != 0 {
		to, _ := filepath.EvalSymlinks(path)
		return fmt.Errorf("output %s is a symlink (to %s): name the file itself", path, orUnknown(to))
	}
	abs, err := fileio.Real(path) // as the kernel resolves it: "x/../proc/y" is under /proc
	if err != nil {
		abs, err = filepath.Abs(path)
	}
	if err == nil {
		for _, sys := range []string{"/dev", "/proc", "/sys"} {
			if abs == sys || strings.HasPrefix(abs, sys+"/") {
				if sys == "/dev" {
					return fmt.Errorf("output %s is under /dev: build writes image files; to put an image on a disk, build it to a file (-o esx01.img), then `esxi-autopart write esx01.img %s`", path, path)
				}
				return fmt.Errorf("output %s is under %s: esxi-autopart writes image files, not system files", path, sys)
			}
		}
	}
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		// Its folder must be there: a later output failing on it would
		// come after an earlier one had replaced an old file.
		if dst, derr := os.Stat(fileio.Folder(path)); derr != nil {
			return fmt.Errorf("output %s: its folder: %w", path, derr)
		} else if !dst.IsDir() {
			return fmt.Errorf("output %s: %s is not a folder", path, fileio.Folder(path))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	switch m := st.Mode(); {
	case m.IsDir():
		return fmt.Errorf("output %s is a folder; name the image file", path)
	case m&os.ModeDevice != 0:
		return fmt.Errorf("output %s is a device: build writes image files; to put an image on a disk, build it to a file (-o esx01.img), then `esxi-autopart write esx01.img %s`", path, path)
	case !m.IsRegular():
		return fmt.Errorf("output %s is not a regular file", path)
	case !force:
		return fmt.Errorf("output %s exists; use --force to replace it", path)
	}
	return nil
}

// WriteFile writes the image to a temporary file beside path (unnamed where
// the file system allows: fileio.CreateTemp), reads it back and verifies
// it, and only then puts it in place. On any error nothing is left behind. The read-back pass follows the writer on a second
// goroutine (the writer goes in ascending offsets); the structure check
// (inspect) runs once the image is complete, beside the rest of that pass.
func (p *Plan) WriteFile(ctx context.Context, path string, o WriteOptions) (*Result, error) {
	return p.writeOutput(ctx, path, o, p.fillVerified(o))
}

// Pending is an image written and verified into a temporary file that is
// not in place yet: Publish puts it there, Discard drops it. A caller with
// several outputs publishes none until all are complete.
type Pending struct {
	Result
	t     *fileio.Temp
	force bool
}

// File is the open temporary file, for reading the image before it is
// published (e.g. to compress it or to hash its ranges).
func (pd *Pending) File() *os.File { return pd.t.File }

// Publish puts the image at its path (replacing an old file only with
// WriteOptions.Force) and closes it.
func (pd *Pending) Publish() error {
	if err := CheckOutput(pd.Path, pd.force); err != nil { // it may have appeared meanwhile
		return err
	}
	if err := pd.t.Publish(pd.Path, pd.force); err != nil {
		return fmt.Errorf("output %s: %w", pd.Path, err)
	}
	if err := pd.t.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", pd.Path, err)
	}
	return nil
}

// Discard removes the temporary file unless it was published; it may be
// called after Publish and more than once.
func (pd *Pending) Discard() { pd.t.Discard() }

// WriteTemp is WriteFile without the last step: the verified image waits
// in a temporary file for Publish or Discard.
func (p *Plan) WriteTemp(ctx context.Context, path string, o WriteOptions) (*Pending, error) {
	return p.writeTemp(ctx, path, o, p.fillVerified(o))
}

// fillVerified writes and verifies the image into an empty file.
func (p *Plan) fillVerified(o WriteOptions) func(context.Context, *os.File) (string, error) {
	return func(ctx context.Context, f *os.File) (string, error) { return p.writeVerified(ctx, f, o) }
}

// writeOutput makes a temporary file beside path, lets fill write and verify
// the image in it, and puts it in place.
func (p *Plan) writeOutput(ctx context.Context, path string, o WriteOptions, fill func(context.Context, *os.File) (string, error)) (*Result, error) {
	return publish(p.writeTemp(ctx, path, o, fill))
}

// publish puts a verified temporary output in place (Pending.Publish) and
// removes it if that fails.
func publish(pd *Pending, err error) (*Result, error) {
	if err != nil {
		return nil, err
	}
	defer pd.Discard()
	if err := pd.Publish(); err != nil {
		return nil, err
	}
	return &pd.Result, nil
}

// writeTemp makes a temporary file beside path and lets fill write and
// verify the image in it.
func (p *Plan) writeTemp(ctx context.Context, path string, o WriteOptions, fill func(context.Context, *os.File) (string, error)) (*Pending, error) {
	return writeTemp(path, o, p.Mode(), func(f *os.File) (Result, error) {
		sum, err := fill(ctx, f)
		if err != nil {
			return Result{}, annotate(err, path)
		}
		return Result{Path: path, Bytes: p.ImageBytes, SHA256: sum}, nil
	})
}

// writeTemp makes a temporary file beside path and lets fill write and
// verify an image (a disk's or a CD's) in it, its errors naming path;
// then the file is synced (WriteOptions.Sync) and gets mode. On any error
// nothing is left behind.
func writeTemp(path string, o WriteOptions, mode os.FileMode, fill func(*os.File) (Result, error)) (_ *Pending, err error) {
	if err := CheckOutput(path, o.Force); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	t, err := fileio.CreateTemp(dir, base)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			t.Discard()
		}
	}()
	res, err := fill(t.File)
	if err != nil {
		return nil, err
	}
	if o.Sync {
		if err = t.Sync(); err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err = t.Chmod(mode); err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	return &Pending{Result: res, t: t, force: o.Force}, nil
}

// stepError says which step failed: "writing" or "verifying".
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// annotate names the output in a step's error: "verifying x.img: ...".
func annotate(err error, path string) error {
	var se *stepError
	if errors.As(err, &se) {
		return fmt.Errorf("%s %s: %w", se.step, path, se.err)
	}
	return fmt.Errorf("writing %s: %w", path, err)
}

// writeVerified writes the image into the empty file f and verifies it.
// The read-back pass runs on the writing goroutine, between the writes:
// each time the writer reports progress, the whole chunks below it are read
// back, compared with their sources and queued for the hasher goroutine,
// which hashes them on the other core. Two busy goroutines, not three: a
// goroutine in a long system call (copy_file_range, pread) keeps its P, and
// a third would wait for one. The structure check (inspect) runs once the
// image is complete.
func (p *Plan) writeVerified(ctx context.Context, f *os.File, o WriteOptions) (string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rb := p.newReadBack(f, o.Serial, o.ZeroRuns)
	rb.progress = o.Progress
	defer rb.finish()
	// A long run of zeros is hashed in one go: an interrupt stops it
	// there too (and the sum, then partial, is not taken).
	defer context.AfterFunc(ctx, func() { rb.stop.Store(true) })()
	base := p.fsBase()
	var rbErr error
	werr := p.write(ctx, f, func(end int64) {
		if rbErr != nil {
			return
		}
		m := min(base+end, p.ImageBytes)
		if m < p.ImageBytes {
			m = rb.off + max(m-rb.off, 0)/readBackChunk*readBackChunk
		}
		if rbErr = rb.upTo(ctx, m); rbErr != nil {
			cancel(rbErr) // stops the writer at its next chunk
		}
	})
	switch {
	case rbErr != nil && !errors.Is(rbErr, context.Canceled):
		return "", &stepError{"verifying", rbErr}
	case werr != nil:
		return "", &stepError{"writing", werr}
	}
	if err := p.checkStructure(f); err != nil {
		return "", &stepError{"verifying", err}
	}
	if err := rb.upTo(ctx, p.ImageBytes); err != nil {
		return "", &stepError{"verifying", err}
	}
	sum := rb.sum()
	if err := ctx.Err(); err != nil { // stopped while the hasher ran: sum is partial
		return "", &stepError{"verifying", err}
	}
	return sum, nil
}

// Write writes the whole image into w: an empty file (it is truncated to
// the image's size, and files are copied into it in the kernel), or any
// WriterAt whose first ImageBytes bytes read as zeros, e.g. a fresh block
// device or buffer. Write does not verify; WriteFile does.
func (p *Plan) Write(ctx context.Context, w io.WriterAt) error {
	return p.write(ctx, w, nil)
}

// write writes the image; written (may be nil) gets the fat writer's
// progress (volume-relative offsets below which the volume is final).
func (p *Plan) write(ctx context.Context, f io.WriterAt, written func(end int64)) error {
	if t, ok := f.(interface{ Truncate(int64) error }); ok {
		if err := t.Truncate(p.ImageBytes); err != nil {
			return err
		}
	}
	if err := p.writeTable(f); err != nil {
		return err
	}
	return p.FAT.Write(ctx, f, p.fsBase(), p.boot, p.content, fat.WriteOptions{Progress: written})
}

// writeTable writes sector 0 and, for GPT, the primary table after it and
// the backup in the last sectors (nothing for a partition-only image).
func (p *Plan) writeTable(f io.WriterAt) error {
	if len(p.head) > 0 {
		if _, err := f.WriteAt(p.head, 0); err != nil {
			return err
		}
	}
	if len(p.tail) > 0 {
		if _, err := f.WriteAt(p.tail, p.ImageBytes-int64(len(p.tail))); err != nil {
			return err
		}
	}
	return nil
}

// Mapped are the byte ranges of the image that the plan writes (the MBR
// sector, with GPT the primary table after it, then the partition's
// fat.Plan.Extents, and with GPT the backup table at the end), ascending;
// the rest of the image file is zero (holes where the file system has them).
func (p *Plan) Mapped() []fat.Extent { return p.mapped(p.FAT.Extents()) }

// DiskMapped are the byte ranges a used disk must receive: Mapped with
// both FATs whole (fat.Plan.DiskExtents). Only free data clusters are
// left out. A bmap file maps these, since bmaptool writes only them onto
// a device whose old bytes are not zeros.
func (p *Plan) DiskMapped() []fat.Extent { return p.mapped(p.FAT.DiskExtents()) }

func (p *Plan) mapped(fs []fat.Extent) []fat.Extent {
	var out []fat.Extent
	if len(p.head) > 0 {
		out = append(out, fat.Extent{Off: 0, Len: int64(len(p.head))})
	}
	base := p.fsBase()
	for _, e := range fs {
		out = append(out, fat.Extent{Off: base + e.Off, Len: e.Len})
	}
	if len(p.tail) > 0 {
		out = append(out, fat.Extent{Off: p.ImageBytes - int64(len(p.tail)), Len: int64(len(p.tail))})
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "a missing file"
	}
	return s
}

// Mode is the mode of the image file and of every file made from it
// (compressed copy, bmap): fileio.Mode, secret when it carries a kickstart
// (which may hold rootpw).
func (p *Plan) Mode() os.FileMode {
	_, ok := p.content[KickstartName]
	return fileio.Mode(ok)
}
