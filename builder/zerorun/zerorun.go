// Package zerorun feeds runs of zero bytes to a SHA-256, remembering long
// runs in a folder: SHA-256 has no shortcut for zeros (a 32 GiB partition's
// are ~20 s of hashing here), but the same image rebuilt from the same
// inputs reaches each run of zeros in the same state, and the state the
// run ends in is a function of that state and the run's length alone.
//
// An entry is keyed by the hash's whole state before the run (chaining
// values, buffered bytes, length so far) and the run's length, and holds
// the state after it with its own SHA-256. An entry that does not decode,
// fails its checksum or does not end where the run does is ignored and
// written again. Nothing but the state is stored: it is a hash of what
// came before, like the image's own SHA-256.
//
// It must not know images: it sees a hash state and a run length.
package zerorun

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"os"
	"path/filepath"
	"sync/atomic"
)

// MinRun is the shortest run looked up and recorded (shorter ones hash in
// less time than a lookup saves).
var MinRun int64 = 64 << 20

// zeros is read, never written: its pages stay the kernel's zero page.
var zeros [512 << 10]byte

// stateSize is the length of a marshalled crypto/sha256 state: "sha\x03",
// eight chaining values, the 64-byte block buffer, the length so far.
const stateSize = 4 + 8*4 + 64 + 8

// Memo remembers runs in a folder; a nil *Memo remembers nothing.
type Memo struct {
	dir  string
	hits atomic.Int64 // runs restored from the folder (tests)
}

// New returns the memo in dir ("" for none: nil).
func New(dir string) *Memo {
	if dir == "" {
		return nil
	}
	return &Memo{dir: dir}
}

// Write writes n zero bytes into h unless stop is set (then h's state is
// partial and nothing is recorded). A run of at least MinRun bytes into a
// crypto/sha256 hash is first looked up in m.
func (m *Memo) Write(h hash.Hash, n int64, stop *atomic.Bool) {
	if m == nil || n < MinRun {
		write(h, n, stop)
		return
	}
	enc, ok1 := h.(encoding.BinaryMarshaler)
	dec, ok2 := h.(encoding.BinaryUnmarshaler)
	var before []byte
	var err error
	if ok1 && ok2 {
		before, err = enc.MarshalBinary()
	}
	if !ok1 || !ok2 || err != nil || len(before) != stateSize {
		write(h, n, stop)
		return
	}
	path := filepath.Join(m.dir, key(before, n))
	if after, ok := read(path, before, n); ok && dec.UnmarshalBinary(after) == nil {
		m.hits.Add(1)
		return
	}
	if !write(h, n, stop) {
		return
	}
	if after, err := enc.MarshalBinary(); err == nil {
		record(m.dir, path, after)
	}
}

// Hits is how many runs m restored instead of hashing.
func (m *Memo) Hits() int64 {
	if m == nil {
		return 0
	}
	return m.hits.Load()
}

// write hashes n zero bytes; false when stop cut it short.
func write(h hash.Hash, n int64, stop *atomic.Bool) bool {
	for n > 0 {
		if stop != nil && stop.Load() {
			return false
		}
		k := min(n, int64(len(zeros)))
		h.Write(zeros[:k])
		n -= k
	}
	return true
}

// key names the entry of a run of n zeros from state before.
func key(before []byte, n int64) string {
	k := sha256.New()
	k.Write([]byte("esxi-autopart zero run 1\x00"))
	k.Write(before)
	binary.Write(k, binary.BigEndian, n)
	return hex.EncodeToString(k.Sum(nil))
}

// read returns the state an entry holds, if it is whole and ends n bytes
// after before.
func read(path string, before []byte, n int64) ([]byte, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) != stateSize+sha256.Size {
		return nil, false
	}
	after, sum := b[:stateSize], b[stateSize:]
	if s := sha256.Sum256(after); string(s[:]) != string(sum) || string(after[:4]) != string(before[:4]) {
		return nil, false
	}
	was := binary.BigEndian.Uint64(before[stateSize-8:])
	return after, binary.BigEndian.Uint64(after[stateSize-8:]) == was+uint64(n)
}

// record writes an entry through a temporary file and a rename; errors
// are ignored (the next build hashes the run again).
func record(dir, path string, after []byte) {
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	f, err := os.CreateTemp(dir, ".entry-*")
	if err != nil {
		return
	}
	sum := sha256.Sum256(after)
	_, err = f.Write(append(append([]byte(nil), after...), sum[:]...))
	if cerr := f.Close(); err == nil && cerr == nil && os.Rename(f.Name(), path) == nil {
		return
	}
	os.Remove(f.Name())
}
