package boottest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// damage is one way to break a good image.
type damage struct {
	name   string
	mutate func(t *testing.T, b built)
	// faults: inspect must report exactly these faults (one pattern each).
	faults []string
	// syslinux604: boot with Debian's SYSLINUX 6.04 installed on a copy,
	// expecting the test kernel; otherwise boot the stand-in.
	syslinux604 bool
	timeout     time.Duration // bounds the boot; a hang is the expected failure for some
	console     []string      // lines the failed boot must have printed, in order
	silent      string        // text the failed boot must not have printed
	exit        int           // QEMU's exit status; 0: Run must have stopped QEMU (a hang)
	// bios: lines of SeaBIOS's debug console (port 0x402), in order;
	// checked only when this SeaBIOS build writes one.
	bios []string
	// stopSerial, stopBIOS: text on the serial or SeaBIOS console that
	// shows the failure has happened; QEMU is stopped then instead of at
	// the timeout (the failure is a hang or a retry loop).
	stopSerial, stopBIOS string
}

// flipSectorPtr flips bit 10 of SectorPtrs[5] in LDLINUX.SYS's first
// sector, as written in the image, and leaves the checksum alone.
func flipSectorPtr(t *testing.T, b built) {
	const i = 5
	off := b.partOffset() + int64(b.plan.Loader.Sectors[0])*512 + asm.PatchOff + 16 + 4*i
	v := binary.LittleEndian.Uint32(readImage(t, b.path, off, 4))
	if v != b.plan.Loader.Sectors[i+1] {
		t.Fatalf("SectorPtrs[%d] in the image is %d, the plan says %d", i, v, b.plan.Loader.Sectors[i+1])
	}
	patchImage(t, b.path, off, binary.LittleEndian.AppendUint32(nil, v^1<<10))
}

// secondActive adds partition entry 2, active, in the gap before
// partition 1 (LBA 63..1070, no overlap), with its CHS for 255/63. It reads
// only the image (b.plan may be nil).
func secondActive(t *testing.T, b built) {
	if start := binary.LittleEndian.Uint32(readImage(t, b.path, 0x1BE+8, 4)); start < 63+1008 {
		t.Fatalf("partition 1 starts at %d: no gap for entry 2", start)
	}
	e := make([]byte, 16)
	e[0] = 0x80                                   // status: active
	copy(e[1:4], []byte{1, 1, 0})                 // first CHS: head 1, sector 1, cylinder 0
	e[4] = 0x83                                   // type: Linux
	copy(e[5:8], []byte{16, 63, 0})               // last CHS: head 16, sector 63, cylinder 0
	binary.LittleEndian.PutUint32(e[8:12], 63)    // start LBA
	binary.LittleEndian.PutUint32(e[12:16], 1008) // sectors
	if old := readImage(t, b.path, 0x1CE, 16); !bytes.Equal(old, make([]byte, 16)) {
		t.Fatalf("entry 2 is not empty: % x", old)
	}
	patchImage(t, b.path, 0x1CE, e)
}

// renameSysVgz renames SYS.VGZ's root folder entry to SYX.VGZ, so the
// syslinux.cfg's append line names a file that is not there.
func renameSysVgz(t *testing.T, b built) {
	patchImage(t, b.path, rootEntryOffset(t, b, "SYS     VGZ")+2, []byte{'X'})
}

// TestNegativeControls breaks good images in ways that must stop the boot:
// inspect must call each one unbootable with a precise fault, and the boot
// must really fail.
func TestNegativeControls(t *testing.T) {
	tests := []damage{
		{
			name:   "corrupt sector list",
			mutate: flipSectorPtr,
			faults: []string{
				`^SectorPtrs\[5\]=[0-9,]+ is outside LDLINUX\.SYS \(clusters .*, sectors .*\)$`,
				`^checksum: the [0-9,]+ dwords loaded sum to 0x[0-9A-F]{8}, not 0x3EB202FE: the loader would print "Load error"$`,
			},
			timeout: bootTimeout, // the stand-in exits at once
			console: []string{fmt.Sprintf("STANDIN: sectors=%d ok", asm.SysSectors), "STANDIN: checksum bad", "Load error"},
			silent:  "STANDIN: done",
			exit:    asm.StatusFail,
		},
		{
			name:   "two active partitions",
			mutate: secondActive,
			faults: []string{`^2 active partitions \(1, 2\): mbr\.bin would print "Multiple active partitions\."$`},
			// mbr.bin prints its message through the BIOS, not the
			// serial port: the proof is that nothing boots, and (when
			// SeaBIOS logs) that the MBR code gave up with int 18h.
			timeout: shortTimeout,
			silent:  "SYSLINUX",
			// SeaBIOS ran the MBR code, which called int 18h instead
			// of jumping to the boot sector.
			bios:     []string{"Booting from Hard Disk...", "Booting from 0000:7c00", "enter handle_18:"},
			stopBIOS: "enter handle_18:",
		},
		{
			name:        "missing module",
			mutate:      renameSysVgz,
			faults:      []string{`^label 1: module sys\.vgz not found \(looked for /sys\.vgz\)$`},
			syslinux604: true,
			timeout:     shortTimeout,
			console:     []string{"Loading vmkboot.gz... ok", "Loading vmkernel.gz... ok", "Loading sys.vgz... failed!"},
			silent:      "TESTKERNEL",
			stopSerial:  "Loading sys.vgz... failed!", // then syslinux retries forever
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := baseOptions()
			o.Timeout = 1
			b := kernelImage(t, "4.1", o)
			requireBootable(t, b.path)
			tc.mutate(t, b)
			rep := inspectImage(t, b.path)
			if rep.Bootable {
				t.Errorf("inspect calls the damaged image bootable")
			}
			requireFaults(t, rep.Faults, tc.faults)

			img, expect := b.path, lines(standinLines(b.plan.Partition.StartLBA, 1, false)...)
			if tc.syslinux604 {
				img = filepath.Join(t.TempDir(), "syslinux604.img")
				copyFile(t, b.path, img)
				installSyslinux604(t, b, img)
				expect = lines(kernelLines(t, b)...)
			}
			fb := bootToFailure(t, img, tc, expect)
			if fb.err == nil {
				t.Fatalf("the damaged image booted; console:\n%s", fb.serial)
			}
			t.Logf("boot failed as it must after %.1fs (stopped early: %v): %v", fb.res.Duration.Seconds(), fb.early, firstLine(fb.err.Error()))
			if !inOrder(fb.serial, tc.console...) {
				t.Errorf("console lacks %q (in order):\n%s", tc.console, fb.serial)
			}
			if tc.silent != "" && strings.Contains(fb.serial, tc.silent) {
				t.Errorf("console has %q:\n%s", tc.silent, fb.serial)
			}
			if len(tc.bios) > 0 && fb.bios == "" {
				t.Logf("SeaBIOS wrote no debug console; %q not checked", tc.bios)
			} else if !inOrder(fb.bios, tc.bios...) {
				t.Errorf("SeaBIOS debug console lacks %q (in order):\n%s", tc.bios, fb.bios)
			}
			wantExit := tc.exit
			if wantExit == 0 {
				wantExit = -1 // Run stopped QEMU
			}
			if fb.res.ExitCode != wantExit {
				t.Errorf("QEMU exit status %d, want %d; console:\n%s", fb.res.ExitCode, wantExit, fb.serial)
			}
		})
	}
}

// failedBoot is what a negative control's boot left behind.
type failedBoot struct {
	res    qemu.Result
	err    error  // qemu.Run's error
	serial string // the whole serial console, "\r" removed
	bios   string // SeaBIOS's debug console, "\r" removed ("" if it wrote none)
	early  bool   // stopped on tc.stopSerial or tc.stopBIOS
}

// bootToFailure boots img until expect (which must not all appear) or
// tc.timeout, logging the serial console and SeaBIOS's debug console to
// files; once tc.stopSerial or tc.stopBIOS shows in them, QEMU is stopped.
func bootToFailure(t *testing.T, img string, tc damage, expect []*regexp.Regexp) failedBoot {
	t.Helper()
	if _, err := qemu.LookPath(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	dir := t.TempDir()
	serialLog, biosLog := filepath.Join(dir, "serial.log"), filepath.Join(dir, "seabios.log")
	o := qemu.NewOptions(img)
	o.Timeout, o.SerialLog = tc.timeout, serialLog
	o.Extra = []string{"-chardev", "file,id=seabios,path=" + strings.ReplaceAll(biosLog, ",", ",,"),
		"-device", "isa-debugcon,iobase=0x402,chardev=seabios"}
	read := func(path string) string {
		b, _ := os.ReadFile(path) // absent until QEMU starts
		return strings.ReplaceAll(string(b), "\r", "")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fb failedBoot
	done, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if tc.stopSerial != "" && strings.Contains(read(serialLog), tc.stopSerial) ||
				tc.stopBIOS != "" && strings.Contains(read(biosLog), tc.stopBIOS) {
				fb.early = true
				cancel()
				return
			}
		}
	}()
	fb.res, fb.err = qemu.Run(ctx, o, expect)
	close(done)
	<-watched
	fb.serial, fb.bios = read(serialLog), read(biosLog)
	return fb
}

// requireFaults fails unless every fault matches one pattern and every
// pattern matches one fault.
func requireFaults(t *testing.T, faults, patterns []string) {
	t.Helper()
	used := make([]bool, len(patterns))
	for _, f := range faults {
		ok := false
		for i, p := range patterns {
			if !used[i] && regexp.MustCompile(p).MatchString(f) {
				used[i], ok = true, true
				break
			}
		}
		if !ok {
			t.Errorf("unexpected fault: %s", f)
		}
	}
	for i, p := range patterns {
		if !used[i] {
			t.Errorf("no fault matches /%s/; faults: %q", p, faults)
		}
	}
}

// inOrder reports whether every line appears as a whole console line, in
// order.
func inOrder(console string, want ...string) bool {
	ls := strings.Split(console, "\n")
	i := 0
	for _, l := range ls {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	return i == len(want)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
