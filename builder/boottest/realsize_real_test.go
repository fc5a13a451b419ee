package boottest

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
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// TestWholeSectorsRealLoaders shows, through the real loaders built from
// their public sources on the developer's machine (docs real-loaders.md;
// never in the repository; ESXI_AUTOPART_REAL_LOADERS names the folder
// with syslinux-3.86/, syslinux-3.86.tar.gz and esx-boot-8.0u2/), what
// bootcfg.WholeSectors guards against: VMware's mboot.c32 (8.0U2, -S 1:
// its log on COM1) under SYSLINUX 3.86 never finishes loading a file of
// whole 512-byte sectors.
//
//   - A module of 4,096 bytes (put in with mcopy, as the builder refuses
//     it): the console stops after "Loading /sb.v00". The same image with
//     4,097 bytes starts the test kernel.
//   - A host whose ks= makes its BOOT.CFG 1,024 bytes: the builder adds a
//     line end, and the test kernel starts with that ks=.
//
// Skipped without the variable, also under CI.
func TestWholeSectorsRealLoaders(t *testing.T) {
	dir := realLoaders(t)
	testutil.Need(t, "mcopy")
	files := realLoaderFiles(t, dir)
	spec := isogen.Spec{Version: "7.0", Files: files,
		IsolinuxCfg: "DEFAULT install\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg -S 1\n"}
	n := len(isogen.Modules5("7.0"))

	t.Run("module", func(t *testing.T) {
		img, _ := realLoaderBuild(t, spec, dir, baseOptions())
		for _, size := range []int{4097, 4096} {
			mod := filepath.Join(t.TempDir(), "sb.v00")
			if err := os.WriteFile(mod, []byte(strings.Repeat("x", size)), 0o644); err != nil {
				t.Fatal(err)
			}
			mcopy := exec.Command("mcopy", "-o", "-i", img+"@@1M", mod, "::SB.V00")
			mcopy.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
			if out, err := mcopy.CombinedOutput(); err != nil {
				t.Fatalf("mcopy: %v\n%s", err, out)
			}
			o := qemu.NewOptions(img)
			o.Timeout, o.Silence = 4*time.Minute, 45*time.Second
			r, err := qemu.Run(context.Background(), o, res(`(?m)^Loading /sb\.v00`, fmt.Sprintf(`(?m)^Loaded %d/%d modules`, n, n), `TESTKERNEL: done`))
			why := "booted"
			if err != nil {
				why, _, _ = strings.Cut(err.Error(), "\n")
			}
			t.Logf("sb.v00 of %d bytes: %s; matched %q; last console line %q", size, why, r.Matched, lastLines(r.Console, 1))
			switch {
			case size%512 != 0 && err != nil:
				t.Fatalf("sb.v00 of %d bytes: %v", size, err)
			case size%512 == 0 && (err == nil || len(r.Matched) != 1 || strings.Contains(r.Console, "Loaded ")):
				t.Fatalf("sb.v00 of %d bytes: matched %q, want only %q (the hang)\n%s", size, r.Matched, "Loading /sb.v00", lastLines(r.Console, 5))
			}
		}
	})
	t.Run("BOOT.CFG", func(t *testing.T) {
		o := baseOptions()
		o.Timeout = 1
		_, p := realLoaderBuild(t, spec, dir, o)
		plain := len(bootCfgOf(t, p))
		o.KS += "?" + strings.Repeat("p", (plain/512+1)*512-plain-1)
		img, p := realLoaderBuild(t, spec, dir, o)
		if got := len(bootCfgOf(t, p)); bootcfg.WholeSectors(int64(got)) || got != (plain/512+1)*512+1 {
			t.Fatalf("the host's BOOT.CFG is %d bytes", got)
		}
		r, err := boot(t, img, 4*time.Minute, res(`(?m)^Loading boot\.cfg`, fmt.Sprintf(`(?m)^Loaded %d/%d modules`, n, n),
			`(?m)TESTKERNEL: cmdline=/b\.b00 runweasel ks=`+regexp.QuoteMeta(o.KS)+`$`, `TESTKERNEL: done`))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("BOOT.CFG of %d bytes (%d without the added line end): booted in %.1fs (%s), matched %d of 4", (plain/512+1)*512+1, (plain/512+1)*512, r.Duration.Seconds(), r.Accel, len(r.Matched))
	})
}

// TestRealSizeRealLoaders boots a real-size 7.0-shaped image (about 360
// MB of kernel and modules, FAT32) through the real loaders (see
// TestWholeSectorsRealLoaders) with `boot`'s defaults, by BIOS (mbr.bin,
// SYSLINUX 3.86 from the release tarball, menu.c32, VMware's mboot.c32
// -S 1) and by UEFI (VMware's mboot64.efi as EFI/BOOT/BOOTX64.EFI): both
// start the test kernel with the host's ks= and every module. Local only,
// and long: under TCG the BIOS boot reads the modules one sector per
// INT 13h call (syslinux -s).
func TestRealSizeRealLoaders(t *testing.T) {
	dir := realLoaders(t)
	bin := cliBinary(t)
	cfg := strings.Replace(isogen.Isolinux5("7.0"), "APPEND -c boot.cfg\n", "APPEND -c boot.cfg -S 1\n", 1)
	spec := isogen.Spec{Version: "7.0", RealSizes: true, Files: realLoaderFiles(t, dir), IsolinuxCfg: cfg}
	o := baseOptions()
	o.Timeout = 10 // syslinux.cfg's menu: 1 s
	img, p := realLoaderBuild(t, spec, dir, o)
	if p.ImageBytes < 350e6 || p.FAT.Type != 32 {
		t.Fatalf("image of %d bytes, FAT%d: want a real-size FAT32 image", p.ImageBytes, p.FAT.Type)
	}
	n := len(isogen.Modules5("7.0"))
	kernel := []string{`(?m)TESTKERNEL: cmdline=/b\.b00 runweasel ks=` + regexp.QuoteMeta(testKS) + `$`,
		fmt.Sprintf(`(?m)^TESTKERNEL: modules=%d$`, n-1), `TESTKERNEL: done`}
	// --expect-bios and --expect-uefi only: --expect patterns come first.
	args := []string{"boot", img, "--expect-bios", `SYSLINUX 3\.86 2010-04-01`, "--expect-bios", fmt.Sprintf(`(?m)^Loaded %d/%d modules`, n, n)}
	for _, k := range kernel {
		args = append(args, "--expect-bios", k)
	}
	for _, k := range kernel {
		args = append(args, "--expect-uefi", k)
	}
	stdout, stderr, code := runCLIFor(t, 45*time.Minute, bin, args...)
	if code != 0 {
		t.Fatalf("boot: exit status %d\n%s%s", code, stdout, stderr)
	}
	t.Logf("%s", stdout)
}

// realLoaderFiles are the loaders and the test kernel a 7.0 fixture gets
// for a boot through the real loaders: esx-boot 8.0U2's mboot.c32 and
// mboot64.efi, syslinux 3.86's menu.c32, the ELF test kernel as b.b00.
func realLoaderFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	k, err := asm.BuildKernelELF(filepath.Join(t.TempDir(), "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	files := readFiles(t, map[string]string{"mboot.c32": dir + "/esx-boot-8.0u2/mboot.c32",
		"menu.c32": dir + "/syslinux-3.86/com32/menu/menu.c32", "EFI/BOOT/BOOTX64.EFI": dir + "/esx-boot-8.0u2/mboot64.efi"})
	files["b.b00"] = k
	return files
}

// realLoaderBuild writes the ISO of spec and builds an image from it with
// the real syslinux 3.86 tarball.
func realLoaderBuild(t *testing.T, spec isogen.Spec, dir string, o builder.Options) (string, *builder.Plan) {
	t.Helper()
	iso, img := filepath.Join(t.TempDir(), "esxi.iso"), filepath.Join(t.TempDir(), "host.img")
	if err := isogen.Write(iso, spec); err != nil {
		t.Fatal(err)
	}
	in, err := builder.Open(iso, dir+"/syslinux-3.86.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p, err := in.Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteFile(context.Background(), img, builder.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return img, p
}

// bootCfgOf is the host's BOOT.CFG that plan p writes.
func bootCfgOf(t *testing.T, p *builder.Plan) []byte {
	t.Helper()
	b, ok := p.Generated["BOOT.CFG"]
	if !ok {
		t.Fatalf("the plan writes no BOOT.CFG (%v)", p.Generated)
	}
	return []byte(b)
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\r\n"), "\n")
	return strings.Join(ls[max(len(ls)-n, 0):], "\n")
}
