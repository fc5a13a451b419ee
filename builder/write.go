package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteOptions say how the output file is put in place.
type WriteOptions struct {
	Force bool // replace an existing regular file
	Sync  bool // fsync the image before it is renamed into place
}

// Result is a written and verified image.
type Result struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// CheckOutput refuses an output path that is a folder, a device or (without
// force) an existing file. Building writes files; writing disks is dd's job.
func CheckOutput(path string, force bool) error {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	switch m := st.Mode(); {
	case m.IsDir():
		return fmt.Errorf("output %s is a folder; name the image file", path)
	case m&os.ModeDevice != 0:
		return fmt.Errorf("output %s is a device; esxi-autopart writes image files (write one, then dd it)", path)
	case !m.IsRegular():
		return fmt.Errorf("output %s is not a regular file", path)
	case !force:
		return fmt.Errorf("output %s exists; use --force to replace it", path)
	}
	return nil
}

// WriteFile writes the image to a temporary file beside path, reads it back
// and verifies it, and only then renames it into place. On any error nothing
// is left behind.
func (p *Plan) WriteFile(ctx context.Context, path string, o WriteOptions) (res *Result, err error) {
	if err := CheckOutput(path, o.Force); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".partial-*")
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = p.Write(ctx, f); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	sum, err := p.Verify(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", path, err)
	}
	if o.Sync {
		if err = f.Sync(); err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return nil, err
	}
	if err = CheckOutput(path, o.Force); err != nil { // it may have appeared meanwhile
		return nil, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	return &Result{Path: path, Bytes: p.ImageBytes, SHA256: sum}, nil
}

// Write writes the whole image into f, which must be empty.
func (p *Plan) Write(ctx context.Context, f *os.File) error {
	if err := f.Truncate(p.ImageBytes); err != nil {
		return err
	}
	base := int64(0)
	if !p.PartitionOnly {
		if _, err := f.WriteAt(p.mbr[:], 0); err != nil {
			return err
		}
		base = int64(p.Partition.StartLBA) * 512
	}
	return p.FAT.WriteContext(ctx, f, base, p.boot, p.content)
}
