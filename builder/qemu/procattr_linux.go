package qemu

import "syscall"

// childAttr makes QEMU die with us: SIGKILL (which nothing can catch)
// would otherwise leave it running, holding the image and a CPU.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
