package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckAliases: whatever inputs and outputs are named, by whichever
// spelling (".", "..", a symlink, a hard link, a path through a folder
// symlink), checkAliases refuses exactly the sets where an output is an
// input or another output, and names both.
func FuzzCheckAliases(f *testing.F) {
	dir := f.TempDir()
	for _, name := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	must := func(err error) {
		if err != nil {
			f.Fatal(err)
		}
	}
	must(os.Mkdir(filepath.Join(dir, "d"), 0o755))
	must(os.Symlink("a", filepath.Join(dir, "la")))
	must(os.Symlink("d", filepath.Join(dir, "ld")))
	must(os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "ha")))
	// Each spelling and the file it names; hard links count as the same
	// file only between an input and an output.
	type spelling struct{ path, file, inode string }
	spellings := []spelling{
		{"a", "a", "A"}, {"./a", "a", "A"}, {"d/../a", "a", "A"}, {"la", "a", "A"}, {"ld/../a", "a", "A"},
		{"ha", "ha", "A"}, {"b", "b", "B"}, {"d/x", "d/x", ""}, {"ld/x", "d/x", ""}, {"x", "x", ""}, {"./x", "x", ""},
	}
	f.Add([]byte{0, 1, 3, 4})
	f.Add([]byte{1, 2, 4, 0, 7, 8})
	f.Fuzz(func(t *testing.T, pick []byte) {
		if len(pick) < 2 || len(pick) > 8 {
			return
		}
		nIn := 1 + int(pick[0])%3
		var ins, outs []namedPath
		var inS, outS []spelling
		for i, b := range pick[1:] {
			s := spellings[int(b)%len(spellings)]
			p := namedPath{"--f" + string(rune('0'+i)), filepath.Join(dir, s.path)}
			if i < nIn {
				ins, inS = append(ins, p), append(inS, s)
			} else {
				outs, outS = append(outs, p), append(outS, s)
			}
		}
		want := false
		for i, o := range outS {
			for _, in := range inS {
				want = want || o.file == in.file || o.inode != "" && o.inode == in.inode
			}
			for _, o2 := range outS[:i] {
				want = want || o.file == o2.file
			}
		}
		err := checkAliases(ins, outs)
		if (err != nil) != want {
			t.Fatalf("inputs %v outputs %v: err %v, want an error: %v", inS, outS, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), "are the same file") {
			t.Fatalf("unlocated: %v", err)
		}
	})
}
