package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain keeps the tests' tarball cache in a temporary folder, never in
// the user's cache folder, and removes the binary that binary() built.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "esxi-autopart-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("ESXI_AUTOPART_CACHE", dir)
	code := m.Run()
	os.RemoveAll(dir)
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

func TestTarballCacheFolder(t *testing.T) {
	for _, c := range []struct{ env, want string }{
		{"off", ""},
		{"0", ""},
		{"/srv/cache", "/srv/cache"},
	} {
		t.Setenv("ESXI_AUTOPART_CACHE", c.env)
		if got := tarballCache(); got != c.want {
			t.Errorf("ESXI_AUTOPART_CACHE=%q: %q, want %q", c.env, got, c.want)
		}
	}
	t.Setenv("ESXI_AUTOPART_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/x")
	if got := tarballCache(); got != "/x/esxi-autopart/tarballs" {
		t.Errorf("default: %q", got)
	}
}
