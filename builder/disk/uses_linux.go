//go:build linux

package disk

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Kernel paths read for uses; tests may point them elsewhere.
var (
	sysDevBlock = "/sys/dev/block"
	mountInfo   = "/proc/self/mountinfo"
	procSwaps   = "/proc/swaps"
)

// Uses lists what uses the target device and each partition the kernel
// knows of it: mounts (/proc/self/mountinfo, "/" marked as the running
// system's root), holders (/sys/class/block/X/holders: device-mapper,
// RAID, LVM) and swap (/proc/swaps). A file has no uses (nil). A target
// that is itself a partition is refused: write to its disk.
func (t *Target) Uses() ([]Use, error) {
	if !t.Device {
		return nil, nil
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(sysDevBlock, fmt.Sprintf("%d:%d", t.Major, t.Minor)))
	if err != nil {
		return nil, fmt.Errorf("%s: finding the device in sysfs: %w", t.Name, err)
	}
	if n, err := readInt(filepath.Join(dir, "partition")); err == nil {
		return nil, fmt.Errorf("%s is partition %d of /dev/%s, not a disk: give the disk (the tool writes its boot code and keeps its table) and --partition %d",
			t.Name, n, filepath.Base(filepath.Dir(dir)), n)
	}
	mounts, err := readMounts()
	if err != nil {
		return nil, err
	}
	swaps := readSwaps()
	devs := []Use{{Node: filepath.Base(dir)}}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		n, err := readInt(filepath.Join(p, "partition"))
		if err != nil {
			continue
		}
		u := Use{Node: e.Name(), Partition: int(n)}
		u.Start, _ = readInt(filepath.Join(p, "start"))
		u.Sectors, _ = readInt(filepath.Join(p, "size"))
		devs = append(devs, u)
	}
	var out []Use
	for _, u := range devs {
		p := dir
		if u.Partition != 0 {
			p = filepath.Join(dir, u.Node)
		}
		dev := strings.TrimSpace(readString(filepath.Join(p, "dev")))
		for _, m := range mounts[dev] {
			if m == "/" {
				u.Root = true
				u.What = append(u.What, "mounted at / (the running system's root)")
				continue
			}
			u.What = append(u.What, "mounted at "+m)
		}
		if swaps[dev] {
			u.What = append(u.What, "in use as swap")
		}
		hs, _ := os.ReadDir(filepath.Join(p, "holders"))
		for _, h := range hs {
			u.What = append(u.What, "held by /dev/"+h.Name()+" ("+holderKind(h.Name())+")")
		}
		u.Kernel = true
		out = append(out, u)
	}
	return out, nil
}

// holderKind names what a holder device is, from its sysfs name.
func holderKind(name string) string {
	switch {
	case strings.HasPrefix(name, "dm-"):
		if n := strings.TrimSpace(readString(filepath.Join("/sys/class/block", name, "dm", "name"))); n != "" {
			return "device-mapper: LVM, LUKS or multipath, " + n
		}
		return "device-mapper: LVM, LUKS or multipath"
	case strings.HasPrefix(name, "md"):
		return "software RAID"
	}
	return "another block device"
}

// readMounts maps "major:minor" to the mount points of that device.
func readMounts() (map[string][]string, error) {
	f, err := os.Open(mountInfo)
	if err != nil {
		return nil, fmt.Errorf("reading the mounts: %w", err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		out[f[2]] = append(out[f[2]], unescapeMount(f[4]))
	}
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readSwaps is the set of "major:minor" of the block devices in use as swap.
func readSwaps() map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile(procSwaps)
	if err != nil {
		return out
	}
	for i, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if i == 0 || len(f) == 0 {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(unescapeMount(f[0]), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK {
			out[fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))] = true
		}
	}
	return out
}

func readString(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

func readInt(name string) (int64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
