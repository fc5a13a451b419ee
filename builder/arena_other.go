//go:build !linux

package builder

// newArena allocates an arena on the Go heap.
func newArena() []byte { return make([]byte, arenaSize) }
