//go:build !linux

package cli

import "os"

// isTTY: without a termios check, a character device counts.
func isTTY(f *os.File) bool { return isTerminal(f) }
