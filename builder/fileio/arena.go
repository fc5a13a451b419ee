package fileio

import "sync"

// Buffers come from arenas of ArenaSize bytes, kept for reuse (never
// freed: at most one per build running at once). Fresh memory is costly to
// touch on virtual machines, and an arena is touched once per process, not
// once per build. 4 MiB holds 7 read-back chunks queued for the hasher:
// enough to keep it busy while the writer copies, and two builds at once
// (a batch on two cores) stay within 32 MiB of peak RSS; 8 MiB did not.
const ArenaSize = 4 << 20

// hugePage is the size of a transparent huge page on amd64 and arm64.
const hugePage = 2 << 20

var arenas struct {
	sync.Mutex
	free [][]byte
}

// GetArena returns an arena of ArenaSize bytes for one build.
func GetArena() []byte {
	arenas.Lock()
	defer arenas.Unlock()
	if n := len(arenas.free); n > 0 {
		a := arenas.free[n-1]
		arenas.free = arenas.free[:n-1]
		return a
	}
	return newArena()
}

// PutArena gives an arena back; its owner must not use it any more.
func PutArena(a []byte) {
	arenas.Lock()
	defer arenas.Unlock()
	arenas.free = append(arenas.free, a)
}
