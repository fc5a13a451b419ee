package boottest

// Helpers of the ESXi 5.x+ tests (esxi5_test.go, uefi_test.go). They are
// kept apart from helpers_test.go on purpose: the two sets are written by
// different people at the same time.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/efistub"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

const (
	e5MBR         = "/usr/lib/syslinux/mbr/mbr.bin" // Debian's syslinux-common
	e5KS          = "http://deploy.example/ks/esx01.cfg"
	e5Version     = "3.86"
	e5Date        = "2010-04-01"
	e5BootTimeout = 3 * time.Minute // bounds a hang; OVMF under TCG boots in well under a minute
)

// e5Image is an image built from a 5.x+ ISO fixture.
type e5Image struct {
	path  string
	iso   string
	tar   string
	plan  *builder.Plan
	sum   string
	files []isogen.File // the ISO fixture's files
}

// isoBytes returns the fixture's bytes of name (case-insensitive).
func (b e5Image) isoBytes(t *testing.T, name string) []byte {
	t.Helper()
	for _, f := range b.files {
		if strings.EqualFold(f.Path, strings.TrimPrefix(name, "/")) {
			return f.Bytes()
		}
	}
	t.Fatalf("the ISO fixture has no %s", name)
	return nil
}

// partOffset is the partition's byte offset.
func (b e5Image) partOffset() int64 { return int64(b.plan.Partition.StartLBA) * 512 }

// e5Build writes the ISO fixture and a syslinux-3.86-shaped tarball whose
// loader is our bootable stand-in (fixtures/asm) and whose MBR code is
// Debian's mbr.bin, and builds an image with the builder API.
func e5Build(t *testing.T, spec isogen.Spec, o builder.Options) e5Image {
	t.Helper()
	dir := t.TempDir()
	b := e5Image{path: filepath.Join(dir, "host.img")}
	b.iso, b.tar, b.files = fixtureInputs(t, dir, spec, e5Version, e5Date)
	b.plan, b.sum = e5Plan(t, b.iso, b.tar, b.path, o)
	return b
}

// e5Plan builds one image from an ISO and a tarball and returns its plan
// and SHA-256.
func e5Plan(t *testing.T, iso, tar, out string, o builder.Options) (*builder.Plan, string) {
	t.Helper()
	in, err := builder.Open(iso, tar)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p, err := in.Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.WriteFile(context.Background(), out, builder.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p, res.SHA256
}

// e5Mtools runs an mtools command on the image's partition and returns its
// output.
func e5Mtools(t *testing.T, b e5Image, cmd string, args ...string) []byte {
	t.Helper()
	testutil.Need(t, cmd)
	c := exec.Command(cmd, append([]string{"-i", fmt.Sprintf("%s@@%d", b.path, b.partOffset())}, args...)...)
	c.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", cmd, strings.Join(args, " "), err, out)
	}
	return out
}

// e5Lines makes patterns that each match one whole console line. OVMF's
// terminal may put escape sequences (cursor moves, colours) before a line.
func e5Lines(ls ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(ls))
	for i, l := range ls {
		out[i] = regexp.MustCompile(`(?m)^(?:\x1b\[[0-9;=?]*[A-Za-z])*` + regexp.QuoteMeta(l) + `$`)
	}
	return out
}

// e5BootBIOS boots img under SeaBIOS (QEMU's default firmware).
func e5BootBIOS(t *testing.T, img string, expect []*regexp.Regexp) (qemu.Result, error) {
	t.Helper()
	if _, err := qemu.LookPath(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	o := qemu.NewOptions(img)
	o.Timeout = e5BootTimeout
	return qemu.Run(context.Background(), o, expect)
}

// e5BootUEFI boots img under OVMF (Debian's ovmf package).
func e5BootUEFI(t *testing.T, img string, timeout time.Duration, expect []*regexp.Regexp) (qemu.Result, error) {
	t.Helper()
	if _, err := qemu.LookPath(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	fw, err := qemu.FindOVMF("")
	if err != nil {
		testutil.SkipOrFail(t, err)
	}
	o := qemu.NewOptions(img)
	o.Timeout = timeout
	o.OVMF = &fw
	return qemu.Run(context.Background(), o, expect)
}

// e5StandinLines are the console lines of our stand-in SYSLINUX (3.86
// banner) booting through mbr.bin from the partition at start.
func e5StandinLines(start uint32) []string {
	return []string{
		"SYSLINUX " + e5Version + " " + e5Date + " ",
		fmt.Sprintf("STANDIN: drive=0x80 part=%d maxtransfer=1 raid=0", start),
		fmt.Sprintf("STANDIN: sectors=%d ok", asm.SysSectors),
		"STANDIN: checksum ok",
		"STANDIN: order ok",
		"STANDIN: tail ok",
		"STANDIN: done",
	}
}

// e5EFIStandin builds our stand-in BOOTX64.EFI that prints BOOT.CFG and
// reads the kernel and every module a 5.x+ shape's boot.cfg names, by the
// names boot.cfg gives them (lower case: the firmware's FAT driver must
// match our upper-case 8.3 entries).
func e5EFIStandin(t *testing.T, version string) ([]byte, []efistub.File) {
	t.Helper()
	if err := efistub.Toolchain(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	files := []efistub.File{{Path: "EFI/BOOT/BOOT.CFG", Cat: true}}
	for _, m := range isogen.Modules5(version) {
		files = append(files, efistub.File{Path: m})
	}
	efi, err := efistub.Build(filepath.Join(t.TempDir(), "efi"), files)
	if err != nil {
		t.Fatal(err)
	}
	return efi, files
}

// e5BootCfg is the per-host BOOT.CFG a 5.x+ shape's boot.cfg must become:
// ks= (and opts) appended to kernelopt=, cdromBoot gone, nothing else.
func e5BootCfg(version, ks string, opts ...string) string {
	cfg := isogen.BootCfg5(version)
	for _, l := range strings.Split(cfg, "\n") {
		if v, ok := strings.CutPrefix(l, "kernelopt="); ok {
			words := strings.Fields(strings.ReplaceAll(v, "cdromBoot", ""))
			words = append(append(words, "ks="+ks), opts...)
			return strings.Replace(cfg, l, "kernelopt="+strings.Join(words, " "), 1)
		}
	}
	panic("no kernelopt= in the " + version + " shape")
}
