package cachestore

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestReadWrite: an entry is read back only by the key that signed it,
// under its own name and kind, whole and within its bound.
func TestReadWrite(t *testing.T) {
	dir, keys := t.TempDir(), t.TempDir()
	f := Open(dir, filepath.Join(keys, "a"))
	if f == nil {
		t.Fatal("no folder")
	}
	f.Write("k", "e1", []byte("body"))
	if b, ok := f.Read("k", "e1", 10); !ok || string(b) != "body" {
		t.Fatalf("read back %q %v", b, ok)
	}
	if again := Open(dir, filepath.Join(keys, "a")); again == nil {
		t.Fatal("the same key file reopened: no folder")
	} else if _, ok := again.Read("k", "e1", 10); !ok {
		t.Error("the same key, reopened, does not read its entry")
	}
	if _, ok := Open(dir, filepath.Join(keys, "b")).Read("k", "e1", 10); ok {
		t.Error("another key read the entry")
	}
	if _, ok := f.Read("other kind", "e1", 10); ok {
		t.Error("read as another kind")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "e1"))
	os.WriteFile(filepath.Join(dir, "e2"), b, 0o600)
	if _, ok := f.Read("k", "e2", 10); ok {
		t.Error("an entry copied under another name was read")
	}
	if _, ok := f.Read("k", "e1", 3); ok {
		t.Error("an entry over its bound was read")
	}
	// An entry that is a FIFO (no writer) is not opened for good: no hang.
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err == nil {
		if _, ok := f.Read("k", "fifo", 10); ok {
			t.Error("a FIFO was read")
		}
	}
	// A huge sparse entry is not read whole.
	huge := filepath.Join(dir, "huge")
	if fh, err := os.Create(huge); err == nil {
		fh.Truncate(64 << 30)
		fh.Close()
		if _, ok := f.Read("k", "huge", 1<<20); ok {
			t.Error("a 64 GiB entry was read")
		}
	}
}

// TestKeyFile: a key file anyone else could have written or read, or that
// is not a plain 32-byte file, turns the cache off.
func TestKeyFile(t *testing.T) {
	keys := t.TempDir()
	good := filepath.Join(keys, "good")
	if Open(t.TempDir(), good) == nil {
		t.Fatal("no key made")
	}
	if st, err := os.Stat(good); err != nil || st.Mode().Perm() != 0o600 || st.Size() != keySize {
		t.Fatalf("key file %v %v", st, err)
	}
	link := filepath.Join(keys, "link")
	os.Symlink(good, link)
	wide := filepath.Join(keys, "wide")
	b, _ := os.ReadFile(good)
	os.WriteFile(wide, b, 0o600)
	os.Chmod(wide, 0o620)
	short := filepath.Join(keys, "short")
	os.WriteFile(short, b[:16], 0o600)
	for _, k := range []string{link, wide, short, keys} {
		if Open(t.TempDir(), k) != nil {
			t.Errorf("key %s accepted", filepath.Base(k))
		}
	}
	if Open("", good) != nil || Open(t.TempDir(), "") != nil {
		t.Error("a folder without a dir or a key")
	}
}
