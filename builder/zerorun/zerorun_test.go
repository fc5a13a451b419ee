package zerorun

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
)

func TestMemo(t *testing.T) {
	old := MinRun
	MinRun = 1 << 20
	defer func() { MinRun = old }()
	dir, key := t.TempDir(), filepath.Join(t.TempDir(), "key")
	sum := func(m *Memo, prefix []byte, n int64) string {
		h := sha256.New()
		h.Write(prefix)
		m.Write(h, n, nil)
		h.Write([]byte("after")) // the state goes on from where the run ended
		return hex.EncodeToString(h.Sum(nil))
	}
	want := func(prefix []byte, n int64) string {
		h := sha256.New()
		h.Write(prefix)
		write(h, n, nil)
		h.Write([]byte("after"))
		return hex.EncodeToString(h.Sum(nil))
	}
	const n = 3<<20 + 17
	for _, tc := range []struct {
		name     string
		prefix   string
		n        int64
		wantHits int64
	}{
		{"first time: hashed and recorded", "image A, odd length", n, 0},
		{"same state and length: restored", "image A, odd length", n, 1},
		{"another state: hashed", "image B", n, 0},
		{"same state, another length: hashed", "image A, odd length", n + 1, 0},
		{"short run: never looked up", "image A, odd length", 1000, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(cachestore.Open(dir, key))
			if got, w := sum(m, []byte(tc.prefix), tc.n), want([]byte(tc.prefix), tc.n); got != w {
				t.Errorf("sum %s, want %s", got, w)
			}
			if m.Hits() != tc.wantHits {
				t.Errorf("%d hits, want %d", m.Hits(), tc.wantHits)
			}
		})
	}

	// A damaged entry is ignored (and written again): the sum stays right.
	entries, _ := filepath.Glob(filepath.Join(dir, "[0-9a-f]*"))
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3: %v", len(entries), entries)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(e)
		b[10] ^= 1
		os.WriteFile(e, b, 0o600)
	}
	m := New(cachestore.Open(dir, key))
	if got, w := sum(m, []byte("image A, odd length"), n), want([]byte("image A, odd length"), n); got != w || m.Hits() != 0 {
		t.Errorf("damaged entry: sum %s (want %s), %d hits", got, w, m.Hits())
	}
	if m2 := New(cachestore.Open(dir, key)); sum(m2, []byte("image A, odd length"), n) != want([]byte("image A, odd length"), n) || m2.Hits() != 1 {
		t.Errorf("rewritten entry not used: %d hits", m2.Hits())
	}

	// Entries another key signed (a cache restored from elsewhere, or
	// written by whoever could write the folder) are ignored, however
	// right their own checksum: a forged state would become the sum.
	forger := cachestore.Open(dir, filepath.Join(t.TempDir(), "key"))
	for _, e := range entries {
		b, _ := os.ReadFile(e)
		state := b[:stateSize]
		state[20] ^= 1 // a wrong chaining value, length kept
		forger.Write(kind, filepath.Base(e), state)
	}
	if m := New(cachestore.Open(dir, key)); sum(m, []byte("image A, odd length"), n) != want([]byte("image A, odd length"), n) || m.Hits() != 0 {
		t.Errorf("an entry signed by another key was used: %d hits", m.Hits())
	}

	// No memo: plain hashing.
	var none *Memo
	if got := sum(none, []byte("x"), n); got != want([]byte("x"), n) {
		t.Error("nil memo")
	}
}

// TestStopped: a run cut short records nothing.
func TestStopped(t *testing.T) {
	old := MinRun
	MinRun = 1 << 20
	defer func() { MinRun = old }()
	dir, key := t.TempDir(), filepath.Join(t.TempDir(), "key")
	var stop atomic.Bool
	stop.Store(true)
	var h hash.Hash = sha256.New()
	New(cachestore.Open(dir, key)).Write(h, 4<<20, &stop)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a stopped run left %d entries", len(entries))
	}
}
