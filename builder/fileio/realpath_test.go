package fileio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnteredAgreesWithKernel: in a tree with a symlinked folder, every
// path of up to four elements from {a, b, l, ..} and a last name f that
// the kernel opens names, after Entered, the same file; Folder of it is
// the folder the kernel found it in; Real is the same file too. Text
// operations (filepath.Join, Dir, Clean) on the raw paths disagree for
// some of them (the test counts those, so that it tests something).
func TestEnteredAgreesWithKernel(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/b", "b"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	for _, f := range []string{"f", "a/f", "a/b/f", "b/f"} {
		os.WriteFile(filepath.Join(root, f), []byte(f), 0o644)
	}
	os.Symlink("a/b", filepath.Join(root, "l"))
	os.Symlink("../b", filepath.Join(root, "a/b/l"))
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	elems := []string{"a", "b", "l", ".."}
	var paths []string
	var gen func(prefix []string)
	gen = func(prefix []string) {
		paths = append(paths, strings.Join(append(append([]string(nil), prefix...), "f"), "/"))
		if len(prefix) < 4 {
			for _, e := range elems {
				gen(append(prefix, e))
			}
		}
	}
	gen(nil)
	checked, textWrong := 0, 0
	for _, p := range paths {
		want, err := os.Stat(p)
		if err != nil {
			continue
		}
		checked++
		for _, c := range []struct {
			how string
			p   string
		}{{"Entered", Entered(p)}, {"Folder+name", filepath.Join(Folder(Entered(p)), "f")}, {"Real", must(Real(p))}} {
			if got, err := os.Stat(c.p); err != nil || !os.SameFile(got, want) {
				t.Errorf("%s(%q) = %q: another file (%v)", c.how, p, c.p, err)
			}
		}
		if got, err := os.Stat(filepath.Clean(p)); err != nil || !os.SameFile(got, want) {
			textWrong++
		}
	}
	if checked < 20 || textWrong == 0 {
		t.Fatalf("%d paths opened, %d that text resolves otherwise: the tree tests nothing", checked, textWrong)
	}
}

func must(s string, err error) string {
	if err != nil {
		return "(error: " + err.Error() + ")"
	}
	return s
}
