// Package testutil holds what the tests of several packages share: skipping
// a test (or, under CI, failing it) when an external oracle is missing, and
// running a command that must succeed. Only tests import it.
//
// It must not know any on-disk format: the disks it lays out (disks.go)
// are fixtures/diskgen's and sgdisk's.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SkipOrFail skips the test with err, or fails it when CI is set (CI must
// run every test); a nil err does nothing.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "" {
		t.Skipf("missing: %v", err)
	}
	t.Fatalf("missing under CI=%s: %v", os.Getenv("CI"), err)
}

// Need is SkipOrFail for tools on PATH and (absolute paths) files.
func Need(t testing.TB, what ...string) {
	t.Helper()
	for _, w := range what {
		var err error
		if strings.HasPrefix(w, "/") {
			_, err = os.Stat(w)
		} else {
			_, err = exec.LookPath(w)
		}
		SkipOrFail(t, err)
	}
}

// NeedTool is Need for one tool; it returns the tool's path.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	SkipOrFail(t, err)
	return p
}

// Run runs a command with env appended to the environment and fails the
// test with its output on error; it returns the output.
func Run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TempCache points ESXI_AUTOPART_CACHE (tarballs, zero runs) and the
// caches' key (XDG_STATE_HOME) at a new
// temporary folder for a whole test binary (call it in TestMain), so that
// no test writes the user's cache; the returned func removes the folder.
func TempCache() func() {
	dir, err := os.MkdirTemp("", "esxi-autopart-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("ESXI_AUTOPART_CACHE", dir)
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state")) // the caches' key (internal/cli cacheKeyFile)
	return func() { os.RemoveAll(dir) }
}

// CopyTree copies the files of the git checkout at root that a commit of
// the work tree would hold (tracked and untracked but not ignored, as they
// are now) into a new temporary folder, the way a fresh clone would lay
// them out, and returns that folder. It skips the test outside a checkout.
func CopyTree(t testing.TB, root string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		SkipOrFail(t, err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("%s is not a git checkout: %v", root, err) // a source tarball: nothing to clone
	}
	dst := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		st, err := os.Stat(src)
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
