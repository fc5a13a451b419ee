// Package zerorun feeds runs of zero bytes to a SHA-256, remembering long
// runs in a folder: SHA-256 has no shortcut for zeros (a 32 GiB partition's
// are ~20 s of hashing here), but the same image rebuilt from the same
// inputs reaches each run of zeros in the same state, and the state the
// run ends in is a function of that state and the run's length alone.
//
// An entry is keyed by the hash's whole state before the run (chaining
// values, buffered bytes, length so far) and the run's length, and holds
// the state after it, signed (cachestore): what an entry says becomes the
// image's recorded SHA-256, so an entry is used only if this user's key
// signed it; one that does not verify, decode or end where the run does is
// ignored and written again. Nothing but the state is stored: it is a hash
// of what came before, like the image's own SHA-256.
//
// It must not know images: it sees a hash state and a run length.
package zerorun

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sync/atomic"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
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
	dir  *cachestore.Folder
	hits atomic.Int64 // runs restored from the folder (tests)
}

// New returns the memo in the cache folder dir (nil for none: nil).
func New(dir *cachestore.Folder) *Memo {
	if dir == nil {
		return nil
	}
	return &Memo{dir: dir}
}

// kind is the entries' kind in their signature.
const kind = "esxi-autopart zero run 1"

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
	name := key(before, n)
	if after, ok := m.read(name, before, n); ok && dec.UnmarshalBinary(after) == nil {
		m.hits.Add(1)
		return
	}
	if !write(h, n, stop) {
		return
	}
	if after, err := enc.MarshalBinary(); err == nil {
		m.dir.Write(kind, name, after)
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

// read returns the state entry name holds, if it is signed, whole and
// ends n bytes after before.
func (m *Memo) read(name string, before []byte, n int64) ([]byte, bool) {
	after, ok := m.dir.Read(kind, name, stateSize)
	if !ok || len(after) != stateSize || string(after[:4]) != string(before[:4]) {
		return nil, false
	}
	was := binary.BigEndian.Uint64(before[stateSize-8:])
	return after, binary.BigEndian.Uint64(after[stateSize-8:]) == was+uint64(n)
}
