package batch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// StaleFiles returns the files of an earlier run in dir that a new run
// writing the names in keep would leave behind, unlisted in its
// SHA256SUMS. Only files the earlier run's manifest.json records are
// candidates, and only while they still hold the bytes it recorded (size
// and SHA-256): a file the tool did not write, or one changed since, is
// never returned. A bmap counts with its image. No manifest: none. The
// hashing stops with ctx's error within a megabyte of ctx ending (an
// earlier image can be gigabytes).
func StaleFiles(ctx context.Context, dir string, keep map[string]bool) ([]string, error) {
	m, err := readOutputs(dir)
	if errors.Is(err, fs.ErrNotExist) || m == nil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var stale []string
	add := func(name, sum string, size int64) bool {
		if keep[name] || !plainName(name) || !holds(ctx, filepath.Join(dir, name), sum, size) {
			return false
		}
		stale = append(stale, name)
		return true
	}
	for _, h := range m.Hosts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if (&ManifestHost{ID: h.ID, Image: h.Image, Bmap: h.Bmap, Kickstart: h.Kickstart, Compression: h.Compression}).checkNames() != nil {
			continue // names the run would not give: not known to be ours
		}
		if h.Image != "" && add(h.Image, h.SHA256, h.Bytes) && h.Bmap != "" && !keep[h.Bmap] && isBmap(filepath.Join(dir, h.Bmap)) {
			stale = append(stale, h.Bmap)
		}
		if h.Kickstart != "" {
			add(h.Kickstart, h.KickstartSHA256, -1)
		}
	}
	if err := ctx.Err(); err != nil { // a hash cut short said "not ours": not an answer
		return nil, err
	}
	return stale, nil
}

// RemoveStale removes the files StaleFiles returned.
func RemoveStale(dir string, names []string) error {
	var errs []error
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// plainName is a file name of the folder itself: no path, not hidden.
func plainName(n string) bool {
	return n != "" && n == filepath.Base(n) && !strings.HasPrefix(n, ".") && n != ".."
}

// isBmap reports whether path is a regular file that starts as a bmap
// does (its hash is not recorded: it must at least be one).
func isBmap(path string) bool {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	return bytes.HasPrefix(head[:n], []byte("<?xml")) && bytes.Contains(head[:n], []byte("<bmap "))
}

// holds reports whether path is a regular file of size bytes (-1: any)
// whose SHA-256 is sum; false once ctx has ended (checked between reads
// of a megabyte).
func holds(ctx context.Context, path, sum string, size int64) bool {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() || (size >= 0 && st.Size() != size) || sum == "" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if ctx.Err() != nil {
			return false
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		if err == io.EOF {
			break
		}
		if err != nil {
			return false
		}
	}
	return hex.EncodeToString(h.Sum(nil)) == sum
}

// earlier is what StaleFiles reads of an earlier manifest.json: the files
// it lists. Decoded apart from Manifest, so that manifests of other
// versions still say which files are the tool's.
type earlier struct {
	Tool  string `json:"tool"`
	Hosts []struct {
		ID              string `json:"id"`
		Compression     string `json:"compression"`
		Image           string `json:"image"`
		Bytes           int64  `json:"bytes"`
		SHA256          string `json:"sha256"`
		Bmap            string `json:"bmap"`
		Kickstart       string `json:"kickstart"`
		KickstartSHA256 string `json:"kickstart_sha256"`
	} `json:"hosts"`
}

// readOutputs reads dir/manifest.json as earlier; nil when it is not the
// tool's.
func readOutputs(dir string) (*earlier, error) {
	b, err := fileio.ReadFileMax(filepath.Join(dir, "manifest.json"), MaxManifest)
	var nr *regular.NotRegular
	if errors.Is(err, fileio.ErrTooLarge) || errors.As(err, &nr) {
		return nil, nil // not a manifest this tool wrote: nothing in dir is known to be ours
	}
	if err != nil {
		return nil, err
	}
	var m earlier
	if json.Unmarshal(b, &m) != nil || m.Tool != "esxi-autopart" {
		return nil, nil // not a manifest of ours: nothing in dir is known to be ours
	}
	return &m, nil
}
