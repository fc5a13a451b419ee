//go:build linux

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// memoryRows are the catalogue's classes that once ate memory.
var memoryRows = []string{"templates explode", "rock ridge chains"}

// TestHostileMemoryCapped runs the real binary on each memory row of the
// catalogue under a 3 GiB address-space cap (prlimit --as): each must end
// in the row's clean, located error (exit 1), never in a Go fatal error
// ("out of memory", exit 2) or a panic. A normal build reserves ~1.8 GB of
// address space (Go's heap reservations, and glibc's 64 MiB malloc arenas
// for cgo threads) while its RSS stays under 32 MiB; the rows once took
// 1 to 2.5 GB of heap, which does not fit beside that.
func TestHostileMemoryCapped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	prlimit := testutil.NeedTool(t, "prlimit") // util-linux, on every Debian
	dir := t.TempDir()
	bin := binary(t)
	iso, tar := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "syslinux-3.70.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{RockRidge: true}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, tc := range append(hostileCases, rrChainCases()...) {
		if !hasPrefix(tc.name, memoryRows) {
			continue
		}
		rows++
		t.Run(tc.name, func(t *testing.T) {
			e := &hostileEnv{t: t, in: t.TempDir(), out: t.TempDir(), iso: iso, tar: tar, ks: "http://deploy/ks/esx01.cfg"}
			e.img = filepath.Join(e.out, "esx01.img")
			tc.setup(e)
			var stderr bytes.Buffer
			cmd := exec.Command(prlimit, append([]string{"--as=3221225472", bin}, e.argv()...)...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			msg := stderr.String()
			if code := exitCode(err); code != 1 {
				t.Fatalf("exit %d under a 3 GiB cap, want 1:\n%s", code, msg)
			}
			for _, bad := range []string{"fatal error", "out of memory", "panic", "goroutine "} {
				if strings.Contains(msg, bad) {
					t.Errorf("stderr has %q:\n%s", bad, msg)
				}
			}
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr lacks %q:\n%s", want, msg)
				}
			}
			if ents, _ := os.ReadDir(e.out); len(ents) != 0 {
				t.Errorf("left behind: %v", ents)
			}
		})
	}
	if rows < 6 {
		t.Fatalf("%d memory rows in the catalogue, want at least 6", rows)
	}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
