package qemu

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCommand(t *testing.T) {
	base := []string{"-display", "none", "-monitor", "none"}
	tail := []string{"-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"the doc's command line", func() Options { o := NewOptions("disk.img"); o.Accel = "tcg"; return o }(),
			cat([]string{"-accel", "tcg", "-m", "256"}, base, []string{"-serial", "stdio"}, tail,
				[]string{"-drive", "file=disk.img,format=raw,if=ide,snapshot=on"})},
		{"zero options: no accel, no disk", Options{},
			cat([]string{"-m", "256"}, base, []string{"-serial", "stdio"}, tail)},
		{"writable image, kvm, memory, serial log, firmware, extra",
			Options{Image: "/x/a,b.img", Accel: "kvm", Memory: 1024, SerialLog: "/tmp/con,1.log",
				Firmware: "/usr/share/qemu/OVMF.fd", Extra: []string{"-kernel", "k", "-initrd", "m1 a,m2"},
				Timeout: time.Second},
			cat([]string{"-accel", "kvm", "-m", "1024"}, base,
				[]string{"-chardev", "stdio,id=serial0,signal=off,logfile=/tmp/con,,1.log,logappend=off",
					"-serial", "chardev:serial0"}, tail,
				[]string{"-bios", "/usr/share/qemu/OVMF.fd", "-drive", "file=/x/a,,b.img,format=raw,if=ide",
					"-kernel", "k", "-initrd", "m1 a,m2"})},
		{"read-only image", Options{Image: "i.img", ReadOnly: true, Memory: -5},
			cat([]string{"-m", "256"}, base, []string{"-serial", "stdio"}, tail,
				[]string{"-drive", "file=i.img,format=raw,if=ide,snapshot=on"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, args := Command(tc.o)
			if name != "qemu-system-x86_64" {
				t.Errorf("name = %q", name)
			}
			if !reflect.DeepEqual(args, tc.want) {
				t.Errorf("args:\n got %s\nwant %s", strings.Join(args, " "), strings.Join(tc.want, " "))
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	o := NewOptions("d.img")
	if !o.ReadOnly || o.Memory != DefaultMemory || o.Timeout != DefaultTimeout || o.Image != "d.img" {
		t.Errorf("NewOptions = %+v", o)
	}
}

func TestDetectAccel(t *testing.T) {
	if a := DetectAccel(); a != "kvm" && a != "tcg" {
		t.Errorf("DetectAccel() = %q", a)
	}
}
