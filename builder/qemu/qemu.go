// Package qemu builds QEMU command lines for booting disk images (a pure
// function, table-tested) and runs QEMU while watching its serial console
// for expected markers, its stderr for KVM failures and its run state over
// QMP; a KVM that cannot run the guest falls back to TCG (accel.go).
//
// It must not know images' insides: markers are the caller's.
package qemu

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Binary is the QEMU system emulator used for every boot.
const Binary = "qemu-system-x86_64"

// DefaultMemory is the guest RAM in MiB when Options.Memory is 0.
const DefaultMemory = 256

// MemoryFor is the guest RAM in MiB for a boot whose loader reads payload
// bytes (kernel and modules, inspect.Report.Payload) into memory before the
// kernel starts: twice the payload plus 256 MiB, rounded up to 64 MiB, and
// never less than DefaultMemory.
//
// Measured with VMware's real loaders (esx-boot 8.0U2, built from the
// public sources) on a real-size 7.0-shaped image whose modules are not
// gzip'd, under TCG, least -m that starts the kernel with every module:
//
//   - UEFI, mboot64.efi, 359,221,630-byte payload (342.6 MiB): hangs
//     silently under 512, 640, 704 and 720 MiB, boots under 736 MiB and
//     up (768, 1024, 1536): about 2 x payload + 51 MiB;
//   - BIOS, SYSLINUX 3.86 + mboot.c32, 359,136,150 bytes (342.5 MiB):
//     boots under 352 MiB (and 384, 448, 512, 640, 768, 1536): about the
//     payload plus 10 MiB, far less than by UEFI (less than 352 was not
//     tried: 342.5 MiB of modules would not fit).
//
// mboot64.efi apparently holds the loaded modules and their relocated
// copies at once; one formula for both firmwares gives 960 MiB for that
// image, 224 MiB (30%) over the least measured by UEFI. A gzip'd module
// is unpacked as it is loaded (the packed copy freed), so for real media
// the unpacked size is what counts twice: the payload here is the packed
// size, an underestimate inspect cannot avoid without unpacking (not
// measured: no real media here). Syslinux 6.04's own mboot.c32 loaded
// 340,531,570 bytes under 384 MiB and failed under 256.
func MemoryFor(payload int64) int {
	const mib = 1 << 20
	need := (2*max(payload, 0)+mib-1)/mib + 256
	need = (need + 63) / 64 * 64
	return int(max(need, DefaultMemory))
}

// DefaultTimeout bounds Run when Options.Timeout is 0.
const DefaultTimeout = 2 * time.Minute

// Options describe one QEMU boot. The zero value boots nothing; use
// NewOptions for the defaults (read-only image, 256 MiB).
type Options struct {
	Image     string        // raw disk image, attached as IDE disk 0; "" for none
	Timeout   time.Duration // Run: give up after this long (0: DefaultTimeout)
	Silence   time.Duration // Run: give up when the console stays silent this long after a match (0: never)
	SerialLog string        // also copy the serial console to this file ("" for none)
	Accel     string        // "auto" (or ""), "kvm" or "tcg"; Run resolves auto with ResolveAccel
	Memory    int           // guest RAM in MiB (0: DefaultMemory; MemoryFor sizes it for a payload)
	CPUs      int           // virtual CPUs, -smp (0: QEMU's default, one)
	ReadOnly  bool          // snapshot=on: guest writes never reach Image (NewOptions sets it)
	Extra     []string      // appended verbatim, e.g. "-kernel", "k", "-initrd", "m1,m2"
	Firmware  string        // firmware image passed with -bios (e.g. OVMF.fd); "" for SeaBIOS
	OVMF      *OVMF         // UEFI firmware (ovmf.go); Run gives each boot its own copy of the vars
	QMP       string        // Command: a unix socket path for QMP (Run sets it to watch the run state)
	CDROM     bool          // attach Image as an IDE CD-ROM (media=cdrom, read-only) and boot from it
	// AHCI attaches Image to an AHCI controller instead of the IDE one
	// (a disk; CDROM wins).
	// Firmware and loaders reach it the same way (BIOS INT 13h drive 0x80,
	// UEFI block I/O), but by DMA: under TCG an IDE disk moves data by
	// port I/O at a few MB/s, so syslinux 6.04's mboot.c32 took 171 s to
	// load 340 MB of modules from IDE and 11 s from AHCI.
	AHCI bool
}

// NewOptions returns Options for image with the defaults: read-only
// (snapshot=on), DefaultMemory, DefaultTimeout, accelerator chosen by Run.
func NewOptions(image string) Options {
	return Options{Image: image, ReadOnly: true, Memory: DefaultMemory, Timeout: DefaultTimeout}
}

// Command returns the program and arguments that boot o. The serial console
// goes to stdout (plus o.SerialLog through a chardev log file); QEMU exits
// on guest reset and through isa-debug-exit at port 0xF4 (status (v<<1)|1).
// An Accel of "auto" or "" passes no -accel (QEMU's own default, TCG).
func Command(o Options) (name string, args []string) {
	mem := o.Memory
	if mem <= 0 {
		mem = DefaultMemory
	}
	if o.Accel != "" && o.Accel != AccelAuto {
		args = append(args, "-accel", o.Accel)
	}
	args = append(args,
		"-m", strconv.Itoa(mem),
	)
	if o.CPUs > 0 {
		args = append(args, "-smp", strconv.Itoa(o.CPUs))
	}
	args = append(args,
		"-display", "none",
		"-monitor", "none",
	)
	if o.QMP != "" {
		args = append(args, "-qmp", "unix:"+escapeOpt(o.QMP)+",server=on,wait=off")
	}
	if o.SerialLog != "" {
		args = append(args,
			"-chardev", "stdio,id=serial0,signal=off,logfile="+escapeOpt(o.SerialLog)+",logappend=off",
			"-serial", "chardev:serial0")
	} else {
		args = append(args, "-serial", "stdio")
	}
	args = append(args,
		"-no-reboot",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
	)
	if o.Firmware != "" {
		args = append(args, "-bios", o.Firmware)
	}
	if o.OVMF != nil {
		args = append(args, o.OVMF.args()...)
	}
	if o.Image != "" {
		switch {
		case o.CDROM:
			args = append(args, "-drive", "file="+escapeOpt(o.Image)+",format=raw,if=ide,media=cdrom,readonly=on", "-boot", "d")
		case o.AHCI:
			drive := "file=" + escapeOpt(o.Image) + ",format=raw,if=none,id=disk0"
			if o.ReadOnly {
				drive += ",snapshot=on"
			}
			args = append(args, "-device", "ahci,id=ahci0", "-drive", drive, "-device", "ide-hd,drive=disk0,bus=ahci0.0,bootindex=0")
		default:
			drive := "file=" + escapeOpt(o.Image) + ",format=raw,if=ide"
			if o.ReadOnly {
				drive += ",snapshot=on"
			}
			args = append(args, "-drive", drive)
		}
	}
	args = append(args, o.Extra...)
	return Binary, args
}

// escapeOpt doubles commas, QEMU's escape inside option values.
func escapeOpt(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// ErrNoQEMU is wrapped by LookPath when QEMU is not installed.
var ErrNoQEMU = errors.New(Binary + " not found (apt-get install qemu-system-x86)")

// LookPath finds the QEMU binary on PATH.
func LookPath() (string, error) {
	p, err := exec.LookPath(Binary)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoQEMU, err)
	}
	return p, nil
}
