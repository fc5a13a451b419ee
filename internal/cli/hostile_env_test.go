package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// hostileEnv is one catalogue case's inputs and arguments. Inputs are made
// in in, outputs go to out (or wherever img points); watch is the folder
// that must hold nothing new afterwards.
type hostileEnv struct {
	t         *testing.T
	in, out   string // input and output folders (t.TempDir)
	iso, tar  string // --iso and --syslinux
	ks        string // --ks
	img       string // -o
	inventory string // --hosts (then --out-dir out instead of -o)
	args      []string
	watch     string // folder checked for leftovers ("" = out)
	skip      string // a reason to skip (a missing privilege, outside CI)
}

func (e *hostileEnv) argv() []string {
	a := []string{"build", "--iso", e.iso, "--syslinux", e.tar, "--ks", e.ks}
	if e.inventory != "" {
		a = append(a, "--hosts", e.inventory, "--out-dir", e.out)
	} else {
		a = append(a, "-o", e.img)
	}
	return append(a, e.args...)
}

func (e *hostileEnv) outDir() string {
	if e.watch != "" {
		return e.watch
	}
	return e.out
}

// write writes an input file and returns its path.
func (e *hostileEnv) write(name string, b []byte) string {
	p := filepath.Join(e.in, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *hostileEnv) isoFile(name string, s isogen.Spec) string {
	p := filepath.Join(e.in, name)
	if err := isogen.Write(p, s); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *hostileEnv) tarFile(name string, s tarball.Spec) string {
	p := filepath.Join(e.in, name)
	if err := tarball.WriteFile(p, s); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// cut truncates a file to the fraction f of its size.
func (e *hostileEnv) cut(p string, f float64) string {
	st, err := os.Stat(p)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.Truncate(p, int64(float64(st.Size())*f)); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// poke XORs the byte at off with x.
func (e *hostileEnv) poke(p string, off int64, x byte) string {
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	b[off] ^= x
	if err := os.WriteFile(p, b, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// hosts writes an inventory and switches to --hosts mode.
func (e *hostileEnv) hosts(name, text string) {
	e.inventory = e.write(name, []byte(text))
}

// mkdir makes a folder in the output folder.
func (e *hostileEnv) mkdir(name string) string {
	p := filepath.Join(e.out, name)
	if err := os.Mkdir(p, 0o755); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// existing puts a file in the output folder.
func (e *hostileEnv) existing(name string) string {
	p := filepath.Join(e.out, name)
	if err := os.WriteFile(p, []byte("an older file of the same name\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// privileged reports a missing privilege: a skip outside CI, a failure in CI.
func (e *hostileEnv) privileged(what string, err error) {
	if os.Getenv("CI") != "" {
		e.t.Fatalf("%s: %v (CI runs as root)", what, err)
	}
	e.skip = what + ": " + err.Error()
}

// listDir lists a folder: names with mode, size and mtime, so that a new,
// removed or replaced file shows.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ents {
		fi, err := d.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{d.Name(), fi.Mode().String(), strconv.FormatInt(fi.Size(), 10), fi.ModTime().String()}, " "))
	}
	return out
}

// symlink makes link point at target.
func (e *hostileEnv) symlink(target, link string) {
	if err := os.Symlink(target, link); err != nil {
		e.t.Fatal(err)
	}
}

// link makes a hard link of target at link.
func (e *hostileEnv) link(target, link string) {
	if err := os.Link(target, link); err != nil {
		e.t.Fatal(err)
	}
}
