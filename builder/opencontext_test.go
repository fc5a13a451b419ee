package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestOpenContext: opening stops within a second of its context ending,
// with the context's error, even while a tarball followed by gigabytes
// (sparse) is hashed for the cache; with a context that does not end the
// inputs open as Open's do.
func TestOpenContext(t *testing.T) {
	dir := t.TempDir()
	iso, tar := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "syslinux-3.70.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{RockRidge: true}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	in, err := OpenContext(context.Background(), iso, tar)
	if err != nil {
		t.Fatal(err)
	}
	in.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := OpenContext(ctx, iso, tar); !errors.Is(err, context.Canceled) {
		t.Errorf("ended before: %v, want context.Canceled", err)
	}
	if err := os.Truncate(tar, 16<<30); err != nil {
		t.Skip("no sparse files here:", err)
	}
	cache := cachestore.Open(t.TempDir(), filepath.Join(t.TempDir(), "key"))
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := OpenCachedContext(ctx, iso, tar, cache); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ended while the tarball was hashed: %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("returned %v after the context ended; want within a second", took-200*time.Millisecond)
	}
}
