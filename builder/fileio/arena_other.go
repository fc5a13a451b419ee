//go:build !linux

package fileio

// newArena allocates an arena on the Go heap.
func newArena() []byte { return make([]byte, ArenaSize) }
