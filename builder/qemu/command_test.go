package qemu

import (
	"errors"
	"os"
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
		{"auto accel, QMP socket, OVMF in pflash",
			Options{Accel: "auto", QMP: "/t/q,1.sock", OVMF: &OVMF{Code: "/o/CODE.fd", Vars: "/t/VARS.fd"}},
			cat([]string{"-m", "256"}, base, []string{"-qmp", "unix:/t/q,,1.sock,server=on,wait=off", "-serial", "stdio"}, tail,
				[]string{"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/o/CODE.fd",
					"-drive", "if=pflash,format=raw,unit=1,file=/t/VARS.fd"})},
		{"whole OVMF image", Options{Accel: "tcg", OVMF: &OVMF{Whole: "/o/OVMF.fd"}},
			cat([]string{"-accel", "tcg", "-m", "256"}, base, []string{"-serial", "stdio"}, tail,
				[]string{"-bios", "/o/OVMF.fd"})},
		{"CD-ROM", Options{Image: "h,1.iso", ReadOnly: true, CDROM: true},
			cat([]string{"-m", "256"}, base, []string{"-serial", "stdio"}, tail,
				[]string{"-drive", "file=h,,1.iso,format=raw,if=ide,media=cdrom,readonly=on", "-boot", "d"})},
		{"memory and CPUs", Options{Memory: 1088, CPUs: 2},
			cat([]string{"-m", "1088", "-smp", "2"}, base, []string{"-serial", "stdio"}, tail)},
		{"AHCI disk", Options{Image: "/x/a,b.img", ReadOnly: true, AHCI: true},
			cat([]string{"-m", "256"}, base, []string{"-serial", "stdio"}, tail,
				[]string{"-device", "ahci,id=ahci0", "-drive", "file=/x/a,,b.img,format=raw,if=none,id=disk0,snapshot=on",
					"-device", "ide-hd,drive=disk0,bus=ahci0.0,bootindex=0"})},
		{"read-only image", Options{Image: "i.img", ReadOnly: true, Memory: -5, CPUs: -1},
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

func TestFindOVMF(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte("fw"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	whole, code, vars, lone := touch("OVMF.fd"), touch("OVMF_CODE_4M.fd"), touch("OVMF_VARS_4M.fd"), touch("MY_CODE.fd")
	tests := []struct {
		override string
		want     OVMF
		errHas   string
	}{
		{whole, OVMF{Whole: whole}, ""},
		{code, OVMF{Code: code, Vars: vars}, ""},
		{lone, OVMF{}, "needs its vars template beside it"},
		{dir, OVMF{}, "not a regular file"},
		{dir + "/missing.fd", OVMF{}, "no such file"},
	}
	for _, tc := range tests {
		got, err := FindOVMF(tc.override)
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("FindOVMF(%s) error %v, want %q", tc.override, err, tc.errHas)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("FindOVMF(%s) = %+v, %v; want %+v", tc.override, got, err, tc.want)
		}
	}
	saved := OVMFCandidates
	defer func() { OVMFCandidates = saved }()
	OVMFCandidates = []OVMF{{Whole: dir + "/nope.fd"}}
	if _, err := FindOVMF(""); !errors.Is(err, ErrNoOVMF) || !strings.Contains(err.Error(), "apt-get install ovmf") {
		t.Errorf("no firmware: %v", err)
	}
}

func TestMemoryFor(t *testing.T) {
	for _, tc := range []struct {
		payload int64
		want    int
	}{
		{0, 256},
		{-1, 256},
		{1<<20 + 1, 320},  // 3 (a partial MiB rounds up) + 256 = 259 -> 320
		{60 << 20, 384},   // 120 + 256 = 376 -> 384
		{64 << 20, 384},   // 128 + 256 = 384
		{65 << 20, 448},   // 130 + 256 = 386 -> 448
		{340531570, 960},  // the 4.1 real-size fixture: 650 + 256 = 906 -> 960
		{359221630, 960},  // the real-size 7.0 image by UEFI, least measured 736: 686 + 256 = 942 -> 960
		{300 << 20, 896},  // 600 + 256 = 856 -> 896
		{600 << 20, 1472}, // a big 8.0 payload: 1200 + 256 = 1456 -> 1472
	} {
		if got := MemoryFor(tc.payload); got != tc.want {
			t.Errorf("MemoryFor(%d) = %d, want %d", tc.payload, got, tc.want)
		}
	}
}
