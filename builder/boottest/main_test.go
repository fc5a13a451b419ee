package boottest

import (
	"os"
	"testing"
)

// TestMain keeps the caches of the esxi-autopart binaries these tests run
// (tarballs, zero runs) in a temporary folder, never in the user's.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "esxi-autopart-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("ESXI_AUTOPART_CACHE", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
