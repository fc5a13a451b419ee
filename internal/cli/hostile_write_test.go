package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/fixtures/diskgen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// hostileWrite is one refusal of `write` (or of build --like-disk): setup
// makes the target and the command line; the command must exit non-zero
// with an error containing every want, and leave the target's bytes as
// they were.
type hostileWrite struct {
	name  string
	setup func(e *writeEnv)
	want  []string
}

// writeEnv holds one row's inputs: a good image (partition at LBA 2048,
// imgSectors sectors), its partition-only twin, the build flags, and the
// target the row makes (a disk file, or a loop device over one).
type writeEnv struct {
	t          *testing.T
	dir        string
	img, part  string
	imgSectors uint32
	build      []string // build --iso … --ks … (no output)
	args       []string // the command line; default: write IMG TARGET --yes
	target     string   // the target whose bytes must not change
	file       string   // the file behind target
}

// disk makes a used disk file (0xA5) with the given partitions as the
// target, and returns its path.
func (e *writeEnv) disk(size int64, ps ...diskgen.Partition) string {
	e.file = filepath.Join(e.dir, "disk")
	if err := diskgen.Write(e.file, diskgen.Spec{Size: size, Fill: 0xA5, BootCode: []byte("old"), Partitions: ps}); err != nil {
		e.t.Fatal(err)
	}
	e.target = e.file
	return e.file
}

// matching is a disk whose partition 2 is where the image's partition is.
func (e *writeEnv) matching() string {
	return e.disk(int64(2048+e.imgSectors+4096)*512,
		diskgen.Partition{Start: 63, Sectors: 1985, Type: 0x83, Active: true, Random: true},
		diskgen.Partition{Start: 2048, Sectors: e.imgSectors, Type: mbr.TypeFAT32},
		diskgen.Partition{Start: 2048 + e.imgSectors, Sectors: 4096, Type: 0x83, Random: true})
}

// loop puts the target file on a loop device (extra: losetup flags).
func (e *writeEnv) loop(extra ...string) string {
	if len(extra) > 0 {
		testutil.NeedTool(e.t, "losetup")
		out, err := exec.Command("losetup", append(append([]string{"-f", "--show"}, extra...), e.file)...).CombinedOutput()
		if err != nil {
			testutil.SkipOrFail(e.t, fmt.Errorf("losetup %s: %v: %s", strings.Join(extra, " "), err, out))
		}
		dev := strings.TrimSpace(string(out))
		e.t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
		e.target = dev
		return dev
	}
	e.target = testutil.LoopDevice(e.t, e.file, true)
	return e.target
}

// mount puts an ext4 file system on the loop device's partition n and
// mounts it until the row ends.
func (e *writeEnv) mount(n int) {
	testutil.Need(e.t, "mkfs.ext4", "mount", "umount")
	part := fmt.Sprintf("%sp%d", e.target, n)
	testutil.Run(e.t, nil, "mkfs.ext4", "-q", "-F", part)
	dir := e.t.TempDir()
	if out, err := exec.Command("mount", part, dir).CombinedOutput(); err != nil {
		testutil.SkipOrFail(e.t, fmt.Errorf("mount %s: %v: %s", part, err, out))
	}
	e.t.Cleanup(func() { exec.Command("umount", dir).Run() })
}

// gptImage builds a GPT image (UEFI-only media: a GPT by default, no
// tarball needed) of a 64 MiB partition as the row's image.
func (e *writeEnv) gptImage() {
	iso := filepath.Join(e.dir, "esxi9.iso")
	if err := isogen.Write(iso, isogen.Spec{Version: "8.0", UEFIOnly: true}); err != nil {
		e.t.Fatal(err)
	}
	e.img = filepath.Join(e.dir, "gpt.img")
	if _, stderr, err := runCLI("build", "--iso", iso, "--ks", "http://deploy/ks/esx09.cfg", "--size", "64M", "-o", e.img, "--quiet", "--no-check"); err != nil {
		e.t.Fatalf("build of a GPT image: %v\n%s", err, stderr)
	}
}

func (e *writeEnv) write(extra ...string) {
	e.args = append([]string{"write", e.img, e.target, "--yes"}, extra...)
}

var hostileWrites = []hostileWrite{
	{"image built for another start", func(e *writeEnv) {
		e.disk(int64(4096+e.imgSectors+100)*512, diskgen.Partition{Start: 4096, Sectors: e.imgSectors, Type: mbr.TypeFAT32})
		e.write()
	}, []string{"esx01.img is built for a partition at LBA 2,048", "no partition of", "starts there", "build --like-disk"}},
	{"image built for another size", func(e *writeEnv) {
		e.disk(int64(2048+e.imgSectors+100)*512, diskgen.Partition{Start: 2048, Sectors: e.imgSectors + 63, Type: mbr.TypeFAT32})
		e.write()
	}, []string{"partition 1 is LBA 2,048 +", "--like-disk", "--partition 1"}},
	{"--partition names an empty entry", func(e *writeEnv) { e.matching(); e.write("--partition", "4") }, []string{"partition 4 is empty"}},
	{"--partition names another partition", func(e *writeEnv) {
		e.disk(int64(2048+e.imgSectors+e.imgSectors+100)*512, diskgen.Partition{Start: 2048, Sectors: e.imgSectors, Type: mbr.TypeFAT32},
			diskgen.Partition{Start: 2048 + e.imgSectors, Sectors: e.imgSectors, Type: mbr.TypeFAT32})
		e.write("--partition", "2")
	}, []string{"partition 2 is LBA", "--like-disk"}},
	{"a partition of a type not FAT", func(e *writeEnv) {
		e.disk(int64(2048+e.imgSectors+100)*512, diskgen.Partition{Start: 2048, Sectors: e.imgSectors, Type: 0x83})
		e.write()
	}, []string{"partition 1 has type 0x83, not a FAT type", "sfdisk --part-type"}},
	{"build --like-disk --partition of a type not FAT", func(e *writeEnv) {
		e.matching()
		e.args = append(e.build, "--like-disk", e.target, "--partition", "3", "-o", filepath.Join(e.dir, "new.img"))
	}, []string{"--like-disk", "partition 3 has type 0x83, not a FAT type"}},
	{"a blank disk without --whole-disk", func(e *writeEnv) { e.disk(64 << 20); e.write() }, []string{"has no partition table to write into", "--whole-disk"}},
	{"an MBR image onto a GPT disk", func(e *writeEnv) {
		e.disk(64<<20, diskgen.Partition{Start: 1, Sectors: 64<<11 - 1, Type: 0xEE})
		e.write()
	}, []string{"is an MBR image (its sector 0 holds syslinux mbr.bin)", "has a GPT", "build --like-disk"}},
	{"--whole-disk over partitions without --wipe", func(e *writeEnv) { e.matching(); e.write("--whole-disk") }, []string{"holds an MBR partition table", "add --wipe"}},
	{"--whole-disk onto a disk too small", func(e *writeEnv) { e.disk(16 << 20); e.write("--whole-disk") }, []string{"too small for image"}},
	{"--whole-disk of a GPT image onto a disk too small", func(e *writeEnv) {
		e.gptImage()
		e.disk(32 << 20)
		e.write("--whole-disk")
	}, []string{"gpt.img of", "too small for image"}},
	{"--whole-disk of a GPT image over a GPT disk without --wipe", func(e *writeEnv) {
		e.gptImage()
		e.file = filepath.Join(e.dir, "disk")
		e.target = e.file
		testutil.FillFile(e.t, e.file, 128<<20, 0xA5)
		testutil.Run(e.t, nil, "sgdisk", "-o", "-n", "1:2048:+100000", "-t", "1:8300", e.target)
		e.write("--whole-disk")
	}, []string{"/disk holds a GPT: --whole-disk would overwrite it; add --wipe"}},
	{"a GPT image into a partition of an MBR disk", func(e *writeEnv) {
		e.gptImage()
		e.matching()
		e.write()
	}, []string{"gpt.img is a GPT image (protective MBR without boot code: UEFI-only)", "has an MBR partition table", "build --like-disk"}},
	{"--whole-disk with a partition-only image", func(e *writeEnv) {
		e.disk(int64(2048+e.imgSectors+100) * 512)
		e.args = []string{"write", e.part, e.target, "--yes", "--whole-disk"}
	}, []string{"is a bare partition (build --partition-only)", "without --whole-disk"}},
	{"--wipe without --whole-disk", func(e *writeEnv) { e.matching(); e.write("--wipe") }, []string{"--wipe goes with --whole-disk"}},
	{"no --yes off a terminal", func(e *writeEnv) { e.matching(); e.args = []string{"write", e.img, e.target} }, []string{"standard input is not a terminal", "add --yes"}},
	{"not an image", func(e *writeEnv) {
		e.matching()
		e.img = filepath.Join(e.dir, "notes.txt")
		os.WriteFile(e.img, []byte(strings.Repeat("hello\n", 200)), 0o644)
		e.write()
	}, []string{"notes.txt", "neither an MBR nor a FAT boot sector"}},
	{"target missing", func(e *writeEnv) { e.target = filepath.Join(e.dir, "sdq"); e.write() }, []string{"sdq does not exist", "build -o"}},
	{"target a folder", func(e *writeEnv) { e.target = e.dir; e.write() }, []string{"neither a regular file nor a block device"}},
	{"target a partition, not its disk", func(e *writeEnv) {
		e.matching()
		dev := e.loop()
		e.target = dev + "p2"
		e.write()
	}, []string{"is partition 2 of /dev/loop", "give the disk", "--partition 2"}},
	{"target partition mounted", func(e *writeEnv) { e.matching(); e.loop(); e.mount(2); e.write() }, []string{"partition 2 is in use", "mounted at /", "nothing was written"}},
	{"--whole-disk beside a mounted partition", func(e *writeEnv) {
		e.matching()
		e.loop()
		e.mount(3)
		e.write("--whole-disk", "--wipe")
	}, []string{"is in use, and --whole-disk overwrites its table", "(partition 3): mounted at /"}},
	{"a disk of 4096-byte sectors", func(e *writeEnv) { e.matching(); e.loop("--sector-size", "4096"); e.write() }, []string{"logical sector size 4096 bytes", "4Kn"}},
	{"build --like-disk of a GPT", func(e *writeEnv) {
		e.disk(64<<20, diskgen.Partition{Start: 1, Sectors: 64<<11 - 1, Type: 0xEE})
		e.args = append(e.build, "--like-disk", e.target, "-o", filepath.Join(e.dir, "new.img"))
	}, []string{"--like-disk", "no GPT header at LBA 1"}},
	{"build --like-disk of a 512-byte dump of a GPT disk", func(e *writeEnv) {
		e.disk(512, diskgen.Partition{Start: 1, Sectors: 64<<11 - 1, Type: 0xEE})
		e.args = append(e.build, "--like-disk", e.target, "-o", filepath.Join(e.dir, "new.img"))
	}, []string{"--like-disk", "512 bytes", "first 34 sectors", "count=34"}},
	{"build --like-disk of a GPT disk with --table mbr", func(e *writeEnv) {
		e.file = filepath.Join(e.dir, "disk")
		e.target = e.file
		testutil.FillFile(e.t, e.file, 64<<20, 0xA5)
		testutil.Run(e.t, nil, "sgdisk", "-o", "-n", "1:2048:+100000", "-t", "1:ef00", e.target)
		e.args = append(e.build, "--like-disk", e.target, "--table", "mbr", "-o", filepath.Join(e.dir, "new.img"))
	}, []string{"--table mbr: --like-disk ", "/disk has a GPT", "drop --table (--like-disk builds a GPT image for this disk)"}},
	{"build --like-disk of an MBR disk with --table gpt", func(e *writeEnv) {
		e.matching()
		e.args = append(e.build, "--like-disk", e.target, "--table", "gpt", "-o", filepath.Join(e.dir, "new.img"))
	}, []string{"--table gpt: --like-disk ", "/disk has an MBR partition table", "drop --table (--like-disk builds an MBR image for this disk)"}},
	{"build --like-disk with two FAT partitions", func(e *writeEnv) {
		e.disk(64<<20, diskgen.Partition{Start: 2048, Sectors: 40000, Type: 0x0C}, diskgen.Partition{Start: 42048, Sectors: 40000, Type: 0x0E})
		e.args = append(e.build, "--like-disk", e.target, "-o", filepath.Join(e.dir, "new.img"))
	}, []string{"2 FAT partitions", "--partition N"}},
	{"build --like-disk with --size", func(e *writeEnv) {
		e.matching()
		e.args = append(e.build, "--like-disk", e.target, "--size", "1G", "-o", filepath.Join(e.dir, "new.img"))
	}, []string{"takes the partition's start and size from the disk", "drop --size"}},
	{"build --partition without --like-disk", func(e *writeEnv) {
		e.matching()
		e.args = append(e.build, "--partition", "2", "-o", filepath.Join(e.dir, "new.img"))
	}, []string{"--partition 2 needs --like-disk"}},
	{"build -o a disk", func(e *writeEnv) {
		e.matching()
		e.loop()
		e.args = append(e.build, "-o", e.target, "--force")
	}, []string{"is under /dev", "esxi-autopart write esx01.img /dev/loop"}},
}

// TestHostileWrites runs the catalogue of write's refusals.
func TestHostileWrites(t *testing.T) {
	dir := t.TempDir()
	iso, tar := inputs7(t)
	build := []string{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx01.cfg"}
	img, part := filepath.Join(dir, "esx01.img"), filepath.Join(dir, "esx01.part")
	for _, a := range [][]string{{"--size", "64M", "-o", img}, {"--size", "64M", "--partition-only", "-o", part}} {
		if _, stderr, err := runCLI(append(build, a...)...); err != nil {
			t.Fatalf("build: %v\n%s", err, stderr)
		}
	}
	s0, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := mbr.Parse([512]byte(s0[:512]))
	for _, tc := range hostileWrites {
		t.Run(tc.name, func(t *testing.T) {
			e := &writeEnv{t: t, dir: t.TempDir(), img: img, part: part, imgSectors: ps.Entries[0].Sectors, build: build}
			tc.setup(e)
			var before [32]byte
			if e.file != "" {
				before, _ = diskgen.Hash(e.file, 0, 1<<40)
			}
			out, stderr, err := runCLI(e.args...)
			if err == nil || exitCode(err) == 0 {
				t.Fatalf("succeeded, want a refusal; args %q\n%s%s", e.args, out, stderr)
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			if e.file != "" {
				if after, _ := diskgen.Hash(e.file, 0, 1<<40); after != before {
					t.Errorf("the target's bytes changed")
				}
			}
		})
	}
}
