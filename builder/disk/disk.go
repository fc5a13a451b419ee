// Package disk opens what an image is written onto: a block device or a
// regular file that stands for a disk. It knows a device's size and
// logical sector size (not stat's), opens it exclusively, finds what uses
// it (mounts, holders, swap) and reads its sector 0; it writes byte ranges
// and reads them back past the page cache.
//
// It must not know FAT, ESXi or what the bytes it writes are.
package disk

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// SectorSize is the only logical sector size mbr.bin and syslinux 3.x boot.
const SectorSize = 512

// Target is an open disk or disk file.
type Target struct {
	Name       string   // the path as the user gave it
	File       *os.File // open read-only, or read-write when opened to write
	Device     bool     // a block device (else a regular file)
	Size       int64    // bytes: BLKGETSIZE64 for a device, stat's size for a file
	SectorSize int      // logical sector size: BLKSSZGET for a device, 512 for a file
	Major      uint32   // device number (a device only)
	Minor      uint32
	Exclusive  bool // opened with O_EXCL (a device only): no mount or other O_EXCL opener can claim it meanwhile
	direct     *os.File
}

// ErrBusy is wrapped by Open when the kernel refuses an exclusive open:
// the device, or one of its partitions, is mounted or claimed.
var ErrBusy = errors.New("in use")

// Size is the size of an open file or block device in bytes.
func Size(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0 {
		return deviceSize(f)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: neither a regular file nor a block device (%s)", f.Name(), fi.Mode().Type())
	}
	return fi.Size(), nil
}

// OpenRead opens name read-only: a regular file, or a block device whose
// size comes from the device.
func OpenRead(name string) (*Target, error) { return open(name, false, false) }

// OpenWrite opens name to write: a regular file (which must exist: it
// stands for a disk), or a block device, with O_EXCL when exclusive (the
// kernel then refuses with ErrBusy while the device or one of its
// partitions is mounted or claimed).
func OpenWrite(name string, exclusive bool) (*Target, error) { return open(name, true, exclusive) }

func open(name string, write, exclusive bool) (*Target, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	t := &Target{Name: name, SectorSize: SectorSize}
	switch {
	case fi.Mode().IsRegular():
	case fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0:
		t.Device = true
	case fi.IsDir():
		return nil, fmt.Errorf("%s: a folder, neither a regular file nor a block device", name)
	default:
		return nil, fmt.Errorf("%s: neither a regular file nor a block device (%s)", name, fi.Mode().Type())
	}
	if t.File, err = openFile(name, write, exclusive && t.Device); err != nil {
		return nil, err
	}
	t.Exclusive = exclusive && t.Device
	if err := t.probe(); err != nil {
		t.File.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// Close closes the target.
func (t *Target) Close() error {
	if t.direct != nil {
		t.direct.Close()
	}
	return t.File.Close()
}

// Sector0 reads the target's first 512 bytes.
func (t *Target) Sector0() ([SectorSize]byte, error) {
	var b [SectorSize]byte
	if t.Size < SectorSize {
		return b, fmt.Errorf("%s: %s bytes, less than one sector", t.Name, human.Commas(t.Size))
	}
	if _, err := t.File.ReadAt(b[:], 0); err != nil && err != io.EOF {
		return b, fmt.Errorf("%s: reading sector 0: %w", t.Name, err)
	}
	return b, nil
}

// ReadSector0 reads sector 0 of name: a disk, a disk file or a 512-byte
// dump of sector 0 (dd if=/dev/sda of=sda.mbr bs=512 count=1).
func ReadSector0(name string) ([SectorSize]byte, error) {
	t, err := OpenRead(name)
	if err != nil {
		return [SectorSize]byte{}, err
	}
	defer t.Close()
	return t.Sector0()
}

// Use is the kernel's view of the disk or one of its partitions, and what
// uses it.
type Use struct {
	Node      string   // the kernel's name: loop0, sda2
	Partition int      // the kernel's partition number; 0: the whole disk
	Start     int64    // first 512-byte sector (a partition)
	Sectors   int64    // size in 512-byte sectors (a partition)
	What      []string // "mounted at /boot", "held by /dev/dm-0 (…)", "in use as swap"; empty: unused
	Root      bool     // the running system's root file system is on it
	Kernel    bool     // found in sysfs
}

// InUse reports whether anything uses it.
func (u Use) InUse() bool { return len(u.What) > 0 }

// String names the device and its uses: "/dev/sda2 (partition 2): mounted at /boot".
func (u Use) String() string {
	s := "/dev/" + u.Node
	if u.Partition != 0 {
		s += fmt.Sprintf(" (partition %d)", u.Partition)
	}
	if len(u.What) == 0 {
		return s + ": not in use"
	}
	return s + ": " + joinAnd(u.What)
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return out + " and " + s[len(s)-1]
}

// OpenTarget opens name to write, exclusively when the kernel allows it.
// A device the kernel refuses to open exclusively (a partition of it is
// mounted or claimed) is opened without O_EXCL: Exclusive is then false,
// and the caller must find out from Uses what holds it and claim the
// partition it writes with ClaimPartition.
func OpenTarget(name string) (*Target, error) {
	t, err := OpenWrite(name, true)
	if errors.Is(err, ErrBusy) {
		return OpenWrite(name, false)
	}
	return t, err
}

// ClaimPartition opens the kernel's partition node /dev/NODE exclusively
// and keeps it open until the returned closer is closed: meanwhile nothing
// can mount or claim it. It fails (wrapping ErrBusy) when something
// already holds it.
func ClaimPartition(node string) (io.Closer, error) {
	return openFile("/dev/"+node, false, true)
}
