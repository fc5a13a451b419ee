package boottest

import (
	"os"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestMain keeps the caches of the esxi-autopart binaries these tests run
// in a temporary folder, never in the user's.
func TestMain(m *testing.M) {
	done := testutil.TempCache()
	code := m.Run()
	done()
	os.Exit(code)
}
