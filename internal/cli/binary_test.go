package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// repoRoot is the repository's root (main.go, README.md) seen from this
// package's folder, where go test runs its tests.
const repoRoot = "../.."

var built struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// binary builds esxi-autopart once per test process and returns its path,
// for the tests that must run the real binary (signals, resource caps).
func binary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "esxi-autopart-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "esxi-autopart")
		built.out, built.err = exec.Command("go", "build", "-o", built.path, repoRoot).CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.path
}
