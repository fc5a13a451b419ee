package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestMain keeps the tests' tarball cache in a temporary folder, never in
// the user's cache folder, and removes the binary that binary() built.
func TestMain(m *testing.M) {
	done := testutil.TempCache()
	code := m.Run()
	done()
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

func TestCacheFolder(t *testing.T) {
	for _, c := range []struct{ env, want string }{
		{"off", ""},
		{"0", ""},
		{"/srv/cache", "/srv/cache/tarballs"},
	} {
		t.Setenv("ESXI_AUTOPART_CACHE", c.env)
		if got := cacheDir("tarballs"); got != c.want {
			t.Errorf("ESXI_AUTOPART_CACHE=%q: %q, want %q", c.env, got, c.want)
		}
	}
	t.Setenv("ESXI_AUTOPART_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/x")
	if got := cacheDir("zeros"); got != "/x/esxi-autopart/zeros" {
		t.Errorf("default: %q", got)
	}
}

// TestZeroRunCache: a 256 MiB image built twice with the cache on records
// its zero runs the first time and restores them the second; both builds
// print the SHA-256 of every byte of the file.
func TestZeroRunCache(t *testing.T) {
	t.Setenv("ESXI_AUTOPART_CACHE", t.TempDir())
	dir := t.TempDir()
	iso, tar := inputs7(t)
	img := filepath.Join(dir, "esx01.img")
	var sums []string
	for i := 0; i < 2; i++ {
		out, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks.cfg", "--size", "256M", "--force", "--json", "-o", img)
		if err != nil {
			t.Fatalf("build: %v\n%s", err, stderr)
		}
		var doc struct {
			Hosts []struct {
				Result struct {
					SHA256 string `json:"sha256"`
				} `json:"result"`
			} `json:"hosts"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Hosts) != 1 {
			t.Fatalf("--json: %v\n%s", err, out)
		}
		b, _ := os.ReadFile(img)
		if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != doc.Hosts[0].Result.SHA256 {
			t.Errorf("build %d says %s; the file's SHA-256 is %x", i+1, doc.Hosts[0].Result.SHA256, s)
		}
		sums = append(sums, doc.Hosts[0].Result.SHA256)
		entries, _ := os.ReadDir(cacheDir("zeros"))
		if len(entries) == 0 {
			t.Errorf("build %d: no zero run recorded in %s", i+1, cacheDir("zeros"))
		}
	}
	if sums[0] != sums[1] {
		t.Errorf("rebuild: %s, then %s", sums[0], sums[1])
	}
}
