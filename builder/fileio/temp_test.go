package fileio

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestTempPublish(t *testing.T) {
	for _, named := range []bool{false, true} {
		namedOnly = named
		t.Run(map[bool]string{false: "unnamed", true: "named"}[named], testTempPublish)
	}
	namedOnly = false
}

func testTempPublish(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a.img")
	for _, c := range []struct {
		name    string
		old     bool // a file is at out already
		replace bool
		wantErr error
	}{
		{"new", false, false, nil},
		{"exists, no replace", true, false, os.ErrExist},
		{"exists, replace", true, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(out)
			if c.old {
				os.WriteFile(out, []byte("old"), 0o644)
			}
			tmp, err := CreateTemp(dir, "a.img")
			if err != nil {
				t.Fatal(err)
			}
			defer tmp.Discard()
			if runtime.GOOS == "linux" && !namedOnly && tmp.named != "" {
				t.Logf("no O_TMPFILE in %s: a named temporary", dir)
			}
			tmp.WriteString("new")
			err = tmp.Publish(out, c.replace)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Publish: %v, want %v", err, c.wantErr)
			}
			tmp.Discard()
			want := "new"
			if c.wantErr != nil {
				want = "old"
			}
			if b, _ := os.ReadFile(out); string(b) != want {
				t.Errorf("%s holds %q, want %q", out, b, want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("the folder holds %v, want only a.img", ents)
			}
		})
	}
}

// TestRemoveStale: a dead run's hidden temporary is removed; a live run's
// (locked) and other files are kept.
func TestRemoveStale(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("leftovers are kept where locks cannot tell dead from live")
	}
	dir := t.TempDir()
	write := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dead := write(".a.img.partial-123")
	live := write(".a.img.partial-456")
	other := write(".b.img.partial-789")
	f, err := os.OpenFile(live, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lock(f, true); err != nil {
		t.Fatal(err)
	}
	RemoveStale(dir, "a.img")
	for p, want := range map[string]bool{dead: false, live: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}
