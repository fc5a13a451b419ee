package syslinux_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// cancelAfter reads r and cancels once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.n -= k; c.n <= 0 {
		c.cancel()
	}
	return k, err
}

// TestReadTarballContext: a context that ends while a tarball is inflated
// stops the read with its error, which is not called corrupt or truncated.
func TestReadTarballContext(t *testing.T) {
	for _, comp := range []string{"gz", "xz", "none"} {
		var b bytes.Buffer
		if err := tarball.Write(&b, tarball.Spec{Compression: comp}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		_, err := syslinux.ReadTarballContext(ctx, &cancelAfter{r: bytes.NewReader(b.Bytes()), n: 1, cancel: cancel}, "t.tar")
		if !errors.Is(err, context.Canceled) || errors.Is(err, syslinux.ErrCorrupt) || errors.Is(err, syslinux.ErrTruncated) {
			t.Errorf("%s: cancelled mid-read: %v, want context.Canceled alone", comp, err)
		}
		if _, err := syslinux.ReadTarballContext(context.Background(), bytes.NewReader(b.Bytes()), "t.tar"); err != nil {
			t.Errorf("%s: %v", comp, err)
		}
	}
}

// TestOpenTarballCachedContext: a tarball followed by gigabytes (sparse)
// is hashed whole for the cache; a context that ends meanwhile stops the
// hashing within a second.
func TestOpenTarballCachedContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "syslinux-3.70.tar.gz")
	if err := tarball.WriteFile(path, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 16<<30); err != nil {
		t.Skip("no sparse files here:", err)
	}
	cache := cachestore.Open(t.TempDir(), filepath.Join(t.TempDir(), "key"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := syslinux.OpenTarballCachedContext(ctx, path, cache)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("stopped %v after the context ended; want within a second", took-200*time.Millisecond)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want the context's, naming the tarball", err)
	}
}
