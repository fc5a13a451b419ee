package batch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
)

// WriteAtomic writes b to path (fileio.Mode(false)) through a temporary
// file and a rename, and returns its SHA-256.
func WriteAtomic(path string, b []byte, force bool) (string, error) {
	return WriteAtomicMode(path, b, fileio.Mode(false), force)
}

// KickstartMode is the mode of a written kickstart: it carries the root
// password (rootpw), so only its owner reads it.
func KickstartMode() os.FileMode { return fileio.Mode(true) }

// WriteAtomicMode is WriteAtomic with the file's mode.
func WriteAtomicMode(path string, b []byte, mode os.FileMode, force bool) (string, error) {
	if err := builder.CheckOutput(path, force); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// writeSums writes SHA256SUMS (sha256sum -c format) for every built image
// and kickstart, in job order.
func writeSums(dir string, results []HostResult) error {
	var b bytes.Buffer
	for _, r := range results {
		if r.Image == nil {
			continue
		}
		if r.Packed != nil {
			fmt.Fprintf(&b, "%s  %s\n", r.Packed.SHA256, filepath.Base(r.Packed.Path))
		} else {
			fmt.Fprintf(&b, "%s  %s\n", r.Image.SHA256, filepath.Base(r.Image.Path))
		}
		if r.KSSum != "" {
			fmt.Fprintf(&b, "%s  %s.cfg\n", r.KSSum, r.Job.ID)
		}
	}
	_, err := WriteAtomic(filepath.Join(dir, "SHA256SUMS"), b.Bytes(), true)
	return err
}
