//go:build !linux

package disk

import (
	"errors"
	"os"
)

var errNoDevices = errors.New("block devices are supported on Linux only")

func openFile(name string, write, exclusive bool) (*os.File, error) {
	if write {
		return os.OpenFile(name, os.O_RDWR, 0)
	}
	return os.Open(name)
}

func deviceSize(f *os.File) (int64, error) { return 0, errNoDevices }

func (t *Target) probe() error {
	if t.Device {
		return errNoDevices
	}
	fi, err := t.File.Stat()
	if err != nil {
		return err
	}
	t.Size = fi.Size()
	return nil
}

// RereadPartitions does nothing for a file.
func (t *Target) RereadPartitions() error { return nil }

// Sync flushes what was written.
func (t *Target) Sync() error { return t.File.Sync() }

func (t *Target) directFile() *os.File { return nil }

func alignedBuffer(n int) []byte { return make([]byte, n) }

// Uses finds nothing outside Linux.
func (t *Target) Uses() ([]Use, error) { return nil, nil }

// FlushPartition does nothing outside Linux.
func FlushPartition(node string) error { return nil }
