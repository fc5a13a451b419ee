package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// archiveFile is one file of an archive: its name inside, where its bytes
// are, its mode.
type archiveFile struct {
	name string
	src  string
	mode int64
}

// Every archive entry is owned by 0:0 with no user or group names and
// the release's time, in the order given, so that the same inputs give
// the same bytes.

// writeTarGz writes files under the folder prefix/ into a gzip'd tar.
func writeTarGz(dst, prefix string, files []archiveFile, epoch time.Time) error {
	return writeAtomic(dst, func(w io.Writer) error {
		zw, err := gzip.NewWriterLevel(w, gzip.BestCompression) // no name, mtime 0
		if err != nil {
			return err
		}
		tw := tar.NewWriter(zw)
		dirs := map[string]bool{}
		for _, f := range files {
			name := path.Join(prefix, f.name)
			for _, d := range parents(name) {
				if !dirs[d] {
					dirs[d] = true
					if err := tw.WriteHeader(tarDirHeader(d+"/", 0o755, epoch)); err != nil {
						return err
					}
				}
			}
			if err := tarFile(tw, name, f.src, f.mode, epoch); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return zw.Close()
	})
}

// parents is every folder above name, outermost first (a/b/c: a, a/b).
func parents(name string) []string {
	var out []string
	for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
		out = append(out, d)
	}
	slices.Reverse(out)
	return out
}

func tarDirHeader(name string, mode int64, epoch time.Time) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: epoch, Format: tar.FormatPAX}
}

// tarFile appends the regular file src as name.
func tarFile(tw *tar.Writer, name, src string, mode int64, epoch time.Time) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: st.Size(), ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// writeZip writes files under the folder prefix/ into a zip (deflate).
func writeZip(dst, prefix string, files []archiveFile, epoch time.Time) error {
	return writeAtomic(dst, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for _, f := range files {
			h := &zip.FileHeader{Name: path.Join(prefix, f.name), Method: zip.Deflate, Modified: epoch}
			h.SetMode(fs.FileMode(f.mode))
			fw, err := zw.CreateHeader(h)
			if err != nil {
				return err
			}
			src, err := os.Open(f.src)
			if err != nil {
				return err
			}
			_, err = io.Copy(fw, src)
			src.Close()
			if err != nil {
				return err
			}
		}
		return zw.Close()
	})
}

// tarDir writes the tree under dir as an uncompressed tar, names relative
// to dir, sorted (an OCI image layout as oci-archive: and crane read it).
func tarDir(dst, dir string, epoch time.Time) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		names = append(names, rel)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(names)
	return writeAtomic(dst, func(w io.Writer) error {
		tw := tar.NewWriter(w)
		for _, n := range names {
			if strings.HasSuffix(n, "/") {
				err = tw.WriteHeader(tarDirHeader(n, 0o755, epoch))
			} else {
				err = tarFile(tw, n, filepath.Join(dir, filepath.FromSlash(n)), 0o644, epoch)
			}
			if err != nil {
				return err
			}
		}
		return tw.Close()
	})
}

// writeAtomic writes dst through fill into a temporary file beside it and
// renames it into place once complete.
func writeAtomic(dst string, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), dst)
}
