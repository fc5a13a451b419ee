//go:build !linux

package cli

import "errors"

func (e *hostileEnv) blockDevice(name string) string {
	e.skip = "block devices are made on Linux only"
	return name
}

func (e *hostileEnv) tinyFS() string {
	e.privileged("a small tmpfs", errors.New("Linux only"))
	return e.in
}

func (e *hostileEnv) fifo(name string) string {
	e.skip = "FIFOs are made on Linux only"
	return name
}
