package fileio

import (
	"os"
	"path/filepath"
	"strings"
)

// Paths are resolved by the file system, not as text. filepath.Join, Dir,
// Abs and Clean drop "link/.." as text; the kernel follows the link first
// and goes up from where it points. A path the user gives with a ".."
// after a symlink therefore names one file to the kernel and another to
// any text operation on it (a check, a temporary file beside it, a
// relative path joined to its folder). Entered turns such a path into the
// one the kernel reaches, once, where it enters the program; from there
// on, text operations on it agree with the file system.

// Real is the absolute path the kernel reaches for p, every symlink
// resolved, p's own last name too when it exists; when it does not, its
// folder resolved and the name kept.
func Real(p string) (string, error) {
	abs, err := absolute(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	dir, name := splitLast(abs)
	if name == "." || name == ".." {
		return filepath.EvalSymlinks(abs) // a folder that must exist
	}
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, name), nil
}

// Entered is p as the program carries it: p itself when it has no ".."
// element (text and kernel agree), else its folder as the kernel resolves
// it joined with its last name (not resolved: a symlink there is still
// seen, and refused where outputs are checked). A folder that cannot be
// resolved leaves p as it was, for the error to come where it is used.
func Entered(p string) string {
	if !hasDotDot(p) {
		return p
	}
	abs, err := absolute(p)
	if err != nil {
		return p
	}
	dir, name := splitLast(abs)
	if name == "." || name == ".." {
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			return r
		}
		return p
	}
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return p
	}
	return filepath.Join(d, name)
}

// JoinUnder joins a relative path onto a folder as the kernel would
// resolve it: without cleaning ("dir/link/../x" keeps its ".." for the
// kernel, or for Entered, to apply after the link).
func JoinUnder(dir, rel string) string {
	if rel == "" || filepath.IsAbs(rel) {
		return rel
	}
	return strings.TrimRight(dir, string(filepath.Separator)) + string(filepath.Separator) + rel
}

// absolute makes p absolute without cleaning it.
func absolute(p string) (string, error) {
	if filepath.IsAbs(p) {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return JoinUnder(wd, p), nil
}

// splitLast splits an absolute path at its last separator, trailing ones
// dropped, without cleaning what comes before.
func splitLast(abs string) (dir, name string) {
	sep := string(filepath.Separator)
	t := strings.TrimRight(abs, sep)
	if t == "" {
		return sep, "."
	}
	i := strings.LastIndex(t, sep)
	dir, name = t[:i], t[i+1:]
	if dir == "" {
		dir = sep
	}
	return dir, name
}

// hasDotDot reports whether p has a ".." element.
func hasDotDot(p string) bool {
	for _, e := range strings.Split(filepath.ToSlash(p), "/") {
		if e == ".." {
			return true
		}
	}
	return false
}

// Folder is the folder p names its file in, as text the kernel resolves
// the same way: filepath.Dir without the cleaning ("link/../x.img" is in
// "link/..", not in ".").
func Folder(p string) string {
	sep := string(filepath.Separator)
	t := strings.TrimRight(p, sep)
	i := strings.LastIndex(t, sep)
	switch {
	case t == "" && p != "":
		return sep
	case i < 0:
		return "."
	case i == 0:
		return sep
	}
	return t[:i]
}
