package syslinux

// SetMaxTotal lowers the decompression limit for a test; call the returned
// function to restore it.
func SetMaxTotal(n int64) (restore func()) {
	old := maxTotal
	maxTotal = n
	return func() { maxTotal = old }
}

// EncodeEntry is encodeEntry, for tests that forge entries.
var EncodeEntry = encodeEntry
