// Package testiso writes synthetic ESXi ISOs (fixtures/isogen) for tests
// and opens them with builder/isofs.
package testiso

import (
	"path/filepath"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// Open writes the synthetic ESXi ISO s into the test's temporary folder
// and opens it; it is closed when the test ends. It returns the image and
// its path. (Not for tests inside package isofs or isogen, which it imports.)
func Open(t testing.TB, s isogen.Spec) (*isofs.Image, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "esxi.iso")
	if err := isogen.Write(p, s); err != nil {
		t.Fatal(err)
	}
	im, err := isofs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	return im, p
}
