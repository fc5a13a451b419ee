//go:build !linux

package qemu

import "syscall"

func childAttr() *syscall.SysProcAttr { return nil }
