//go:build !unix

package fileio

import "os"

func readUmask() os.FileMode { return 0 }
