package boottest

// Added modules (build --add-module): the boot loaders read them from the
// image by the names the builder wrote into the module lists.

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/efistub"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// driverBytes is an added module's content: a recognisable head, then
// bytes that are not text, over more than one cluster.
func driverBytes(tag string, n int) []byte {
	b := []byte(tag)
	for len(b) < n {
		b = append(b, byte(len(b)*13))
	}
	return b[:n]
}

// addedBuild builds an image from the ISO fixture is and a tarball of
// our stand-in loader of the syslinux version the media need, with the
// module files added under their names; it returns the image as built.
func addedBuild(t *testing.T, is isogen.Spec, syslinux, date string, add map[string][]byte) built {
	t.Helper()
	dir := t.TempDir()
	b := built{path: filepath.Join(dir, "host.img")}
	iso, tb, files := fixtureInputs(t, dir, is, syslinux, date)
	b.iso, b.files = iso, files
	in, err := builder.Open(b.iso, tb)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for name, data := range add {
		p := filepath.Join(dir, "driver-"+name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := in.AddModule(p, name); err != nil {
			t.Fatal(err)
		}
	}
	o := baseOptions()
	o.Timeout = 1
	if b.plan, err = in.Plan(o); err != nil {
		t.Fatal(err)
	}
	if _, err := b.plan.WriteFile(context.Background(), b.path, builder.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	requireBootable(t, b.path)
	return b
}

// moduleLine is the test kernel's line for module i with data.
func moduleLine(i int, cmdline string, data []byte) string {
	head := data[:min(16, len(data))]
	ascii := make([]byte, len(head))
	for j, c := range head {
		ascii[j] = c
		if c < 0x20 || c > 0x7E {
			ascii[j] = '.'
		}
	}
	return fmt.Sprintf("TESTKERNEL: module[%d]=%s size=%d first=%s |%s|", i, cmdline, len(data), hex.EncodeToString(head), ascii)
}

// TestAddedModule41BIOS: a 4.1 image with oem.tgz added boots through
// Debian's SYSLINUX 6.04 and its mboot.c32 from our syslinux.cfg, and the
// test kernel lists oem.tgz after the ISO's modules with its bytes.
func TestAddedModule41BIOS(t *testing.T) {
	t.Parallel()
	k, err := asm.BuildKernel(filepath.Join(t.TempDir(), "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	oem := driverBytes("OEM-DRIVER-4.1!", 5000)
	b := addedBuild(t, isogen.Spec{RockRidge: true, Files: map[string][]byte{"vmkboot.gz": k}}, "3.70", "2008-06-30",
		map[string][]byte{"oem.tgz": oem})
	b.modules = esxiModules["4.1"]
	var want []string
	for _, l := range kernelLines(t, b) {
		switch {
		case l == "TESTKERNEL: start magic=ok":
			want = append(want, "Loading oem.tgz... ok", l)
		case strings.HasPrefix(l, "TESTKERNEL: modules="):
			want = append(want, fmt.Sprintf("TESTKERNEL: modules=%d", len(b.modules)+1))
		case l == "TESTKERNEL: done":
			want = append(want, moduleLine(len(b.modules), "oem.tgz", oem), l)
		default:
			want = append(want, l)
		}
	}
	img := filepath.Join(t.TempDir(), "syslinux604.img")
	copyFile(t, b.path, img)
	installSyslinux604(t, b, img)
	r, err := boot(t, img, bootTimeout, append(res(`SYSLINUX 6\.04 `), lines(want...)...))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("booted in %.1fs (%s): %s", r.Duration.Seconds(), r.Accel, want[len(want)-2])
}

// TestAddedModule70 boots a 7.0 image with net.v00 added, whose kernel
// (b.b00) is the test kernel and whose BOOTX64.EFI is our stand-in:
//
//   - by BIOS: Debian's SYSLINUX 6.04 and its mboot.c32 load b.b00 and the
//     modules the image's BOOT.CFG names, read as VMware's mboot reads
//     modules= (layouts/bootcfg), through syslinux's file API as VMware's
//     mboot.c32 does without -p; the test kernel lists net.v00 last;
//   - by UEFI: the stand-in prints EFI/BOOT/BOOT.CFG, whose modules= ends
//     with /net.v00, and reads every file it names, net.v00 with its bytes.
func TestAddedModule70(t *testing.T) {
	t.Parallel()
	k, err := asm.BuildKernel(filepath.Join(t.TempDir(), "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	testutil.SkipOrFail(t, efistub.Toolchain())
	files := []efistub.File{{Path: "EFI/BOOT/BOOT.CFG", Cat: true}}
	for _, m := range append(isogen.Modules5("7.0"), "net.v00") {
		files = append(files, efistub.File{Path: m})
	}
	efi, err := efistub.Build(filepath.Join(t.TempDir(), "efi"), files)
	if err != nil {
		t.Fatal(err)
	}
	drv := driverBytes("NET-DRIVER-7.0!", 9000)
	// jumpstrt.gz is an empty gzip member on the ISO, which syslinux's
	// loader would inflate to nothing; here it holds plain bytes.
	b := addedBuild(t, isogen.Spec{Version: "7.0", Files: map[string][]byte{"b.b00": k, "EFI/BOOT/BOOTX64.EFI": efi,
		"jumpstrt.gz": []byte("JUMPSTRT-STANDIN\n")}}, "3.86", "2010-04-01", map[string][]byte{"NET.V00": drv})
	cfg := e5BootCfg("7.0", testKS)
	cfg = strings.Replace(cfg, " --- /imgpayld.tgz\n", " --- /imgpayld.tgz --- /net.v00\n", 1)
	for _, name := range []string{"BOOT.CFG", "EFI/BOOT/BOOT.CFG"} {
		if got := b.plan.Generated[name]; got != cfg {
			t.Fatalf("%s:\n%s\nwant\n%s", name, got, cfg)
		}
	}
	fileBytes := func(name string) []byte {
		if strings.EqualFold(name, "net.v00") {
			return drv
		}
		return b.isoFile(t, name)
	}

	t.Run("BIOS", func(t *testing.T) {
		t.Parallel()
		img := filepath.Join(t.TempDir(), "syslinux604.img")
		copyFile(t, b.path, img)
		installSyslinux604(t, b, img)
		f, err := bootcfg.Parse([]byte(mtoolsOut(t, b, img, "mtype", "::BOOT.CFG")))
		if err != nil {
			t.Fatal(err)
		}
		refs, err := f.Files("")
		if err != nil {
			t.Fatal(err)
		}
		var list []string
		want := []string{}
		for i, r := range refs {
			item := r.Name
			if i == 0 {
				item += " " + f.KernelOpt()
			} else if r.Args != "" {
				item += " " + r.Args
			}
			list = append(list, item)
			want = append(want, "Loading "+r.Name+"... ok")
		}
		want = append(want, "TESTKERNEL: start magic=ok", "TESTKERNEL: cmdline="+list[0],
			fmt.Sprintf("TESTKERNEL: modules=%d", len(refs)-1))
		for i, r := range refs[1:] {
			want = append(want, moduleLine(i, list[i+1], fileBytes(r.Path)))
		}
		want = append(want, "TESTKERNEL: done")
		if last := want[len(want)-2]; !strings.HasPrefix(last, fmt.Sprintf("TESTKERNEL: module[%d]=/net.v00 size=9000 first=4e45542d445249564552", len(refs)-2)) {
			t.Fatalf("BOOT.CFG's last module: %s", last)
		}
		sys := filepath.Join(t.TempDir(), "syslinux.cfg")
		text := "serial 0 115200\ndefault esxi\nlabel esxi\n  kernel mboot.c32\n  append " + strings.Join(list, " --- ") + "\n"
		if err := os.WriteFile(sys, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		mtoolsOut(t, b, img, "mcopy", "-o", sys, "::SYSLINUX.CFG")
		r, err := boot(t, img, bootTimeout, append(res(`SYSLINUX 6\.04 `), lines(want...)...))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("booted in %.1fs (%s): %s", r.Duration.Seconds(), r.Accel, want[len(want)-2])
	})
	t.Run("UEFI", func(t *testing.T) {
		t.Parallel()
		want := append([]string{efistub.StartLine}, efistub.CatLines([]byte(cfg))...)
		for _, f := range files[1:] {
			want = append(want, efistub.FileLine(f.Path, fileBytes(f.Path)))
		}
		want = append(want, efistub.DoneLine(len(files), 0))
		r, err := e5BootUEFI(t, b.path, e5BootTimeout, e5Lines(want...))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("booted in %.1fs (%s): %s", r.Duration.Seconds(), r.Accel, want[len(want)-2])
	})
}

// mtoolsOut runs an mtools command on the partition of img (laid out as
// b's image) and returns its output.
func mtoolsOut(t *testing.T, b built, img, cmd string, args ...string) string {
	t.Helper()
	testutil.Need(t, cmd)
	c := exec.Command(cmd, append([]string{"-i", img + "@@" + offsetArg(b)}, args...)...)
	c.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", cmd, strings.Join(args, " "), err, out)
	}
	return string(out)
}
