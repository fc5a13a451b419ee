// Package cachestore keeps the entries of a cache (the tarball cache, the
// zero-run memo) in a folder, each signed with a key that is not in that
// folder.
//
// A cache answers for work not done: a zero-run entry stands for hashing
// gigabytes of zeros, a tarball entry for inflating the release. What it
// says ends up recorded as an image's SHA-256 or as the loader inside the
// image, so it must not depend on who could write the folder: a CI cache
// restored from another job, a shared ~/.cache, a folder another user can
// write. An entry's own checksum proves nothing (whoever edits the entry
// recomputes it); an HMAC-SHA256 under a key only this user can read
// does. An entry without a valid MAC (another key's, edited, truncated,
// larger than its kind allows, not a regular file) is ignored and written
// again, so a cache from elsewhere costs the work it claims to save and
// never changes a result.
//
// The key (32 random bytes, mode 0600) is made on first use in a file the
// caller names, outside the cache folders; a key file that is not a
// regular file of ours that only we can read and write turns the caches
// off.
//
// It must not know what entries mean: it sees a kind, a name and bytes.
package cachestore

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// keySize is the key's length in bytes.
const keySize = 32

// Folder is one cache's folder and the key its entries are signed with.
// A nil *Folder is no cache: Read finds nothing, Write keeps nothing.
type Folder struct {
	dir string
	key []byte
}

// Open returns the cache folder dir with the key in keyFile (made when
// missing); nil when dir or keyFile is "" or the key cannot be had.
func Open(dir, keyFile string) *Folder {
	if dir == "" || keyFile == "" {
		return nil
	}
	key, err := loadKey(keyFile)
	if err != nil {
		return nil
	}
	return &Folder{dir: dir, key: key}
}

// Dir is the folder ("" for none).
func (f *Folder) Dir() string {
	if f == nil {
		return ""
	}
	return f.dir
}

// mac signs an entry: its kind, its name and its body.
func (f *Folder) mac(kind, name string, body []byte) []byte {
	m := hmac.New(sha256.New, f.key)
	for _, p := range [][]byte{[]byte(kind), []byte(name), body} {
		binary.Write(m, binary.BigEndian, uint64(len(p)))
		m.Write(p)
	}
	return m.Sum(nil)
}

// Read returns the body of entry name of the given kind if it is a
// regular file of at most max body bytes signed with this folder's key.
func (f *Folder) Read(kind, name string, max int) ([]byte, bool) {
	if f == nil {
		return nil, false
	}
	r, err := regular.Open(filepath.Join(f.dir, name), false)
	if err != nil {
		return nil, false
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, int64(max)+sha256.Size+1))
	if err != nil || len(b) < sha256.Size || len(b) > max+sha256.Size {
		return nil, false
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if !hmac.Equal(sum, f.mac(kind, name, body)) {
		return nil, false
	}
	return body, true
}

// Write stores body as entry name of the given kind, signed, through a
// temporary file and a rename; errors leave the cache as it was.
func (f *Folder) Write(kind, name string, body []byte) {
	if f == nil || os.MkdirAll(f.dir, 0o700) != nil {
		return
	}
	t, err := fileio.CreateTemp(f.dir, name)
	if err != nil {
		return
	}
	defer t.Discard()
	if _, err := t.Write(append(bytes.Clone(body), f.mac(kind, name, body)...)); err != nil {
		return
	}
	t.Publish(filepath.Join(f.dir, name), true)
}

// errBadKey: the key file is not one to trust.
var errBadKey = errors.New("cache key file is not a 32-byte regular file that only its owner, this user, can read and write")

// loadKey reads the key in path, making it first if there is none.
func loadKey(path string) ([]byte, error) {
	for range 2 {
		key, err := readKey(path)
		if !errors.Is(err, os.ErrNotExist) {
			return key, err
		}
		if err := makeKey(path); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, err
		}
	}
	return readKey(path)
}

func readKey(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o077 != 0 || st.Size() != keySize || !ours(st) {
		return nil, errBadKey
	}
	r, err := regular.Open(path, false)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	key := make([]byte, keySize)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, err
	}
	return key, nil
}

// makeKey writes a new random key at path, never over another one.
func makeKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	t, err := fileio.CreateTemp(dir, filepath.Base(path))
	if err != nil {
		return err
	}
	defer t.Discard()
	if err := t.Chmod(0o600); err != nil {
		return err
	}
	if _, err := t.Write(key); err != nil {
		return err
	}
	return t.Publish(path, false) // a key another run made first wins
}
