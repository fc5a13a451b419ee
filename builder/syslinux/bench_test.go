package syslinux_test

import (
	"bytes"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

func BenchmarkReadTarball(b *testing.B) {
	for _, comp := range []string{"gz", "xz", "none"} {
		data := build(b, tarball.Spec{Compression: comp, Modules: withModules()})
		b.Run(comp, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := syslinux.ReadTarball(bytes.NewReader(data), "b.tar", "mboot.c32"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The release's shape: 1,724 members, ~15.9 MB inflated, mbr.bin late.
	data := build(b, tarball.Spec{RealSizes: true})
	b.Run("gz-real-sizes", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := syslinux.ReadTarball(bytes.NewReader(data), "b.tar"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkInstall(b *testing.B) {
	bss, sys := tarball.Synthetic("3.70", "", 0)
	sectors := make([]uint32, (len(sys)+511)/512)
	for i := range sectors {
		sectors[i] = uint32(1000 + i)
	}
	var fs [512]byte
	fs[0x0C], fs[0x1FE], fs[0x1FF] = 2, 0x55, 0xAA
	for b.Loop() {
		if _, _, err := syslinux.Install(bss, sys, fs, sectors, syslinux.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
