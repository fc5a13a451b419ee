package boottest

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// esxiModules are the modules after vmkboot.gz on the append line of each
// ESXi version's isolinux.cfg, as fixtures/isogen writes it.
var esxiModules = map[string][]string{
	"4.1": {"vmkernel.gz", "sys.vgz", "cim.vgz", "ienviron.vgz", "install.vgz"},
	"4.0": {"vmkernel.gz", "sys.vgz", "cim.vgz", "ienviron.tgz", "image.tgz", "install.tgz"},
}

// kernelImage builds an image from an ESXi 4.x ISO fixture whose
// vmkboot.gz is the multiboot test kernel (loader: the stand-in; it is
// replaced where SYSLINUX 6.04 is installed).
func kernelImage(t *testing.T, version string, o builder.Options) built {
	t.Helper()
	testutil.SkipOrFail(t, asm.Toolchain())
	k, err := asm.BuildKernel(filepath.Join(t.TempDir(), "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	b := buildImage(t, isogen.Spec{Version: version, RockRidge: true, Files: map[string][]byte{"vmkboot.gz": k}}, o)
	b.modules = esxiModules[version]
	if b.modules == nil {
		t.Fatalf("no module list for ESXi %q", version)
	}
	return b
}

// installSyslinux604 installs Debian's SYSLINUX 6.04 on the image file img
// (a copy of b.path) with its own installer, then copies Debian's
// ldlinux.c32, libcom32.c32 and mboot.c32 over ours into the root folder.
func installSyslinux604(t *testing.T, b built, img string) {
	t.Helper()
	mods := []string{"ldlinux.c32", "libcom32.c32", "mboot.c32"}
	testutil.Need(t, "syslinux", "mcopy")
	for _, m := range mods {
		testutil.Need(t, debianModules+"/"+m)
	}
	testutil.Run(t, nil, "syslinux", "--install", "--offset", offsetArg(b), img)
	args := []string{"-o", "-i", img + "@@" + offsetArg(b)}
	for _, m := range mods {
		args = append(args, debianModules+"/"+m)
	}
	testutil.Run(t, []string{"MTOOLS_SKIP_CHECK=1"}, "mcopy", append(args, "::")...)
}

// kernelLines are the lines the test kernel prints when mboot.c32 started
// it from b's syslinux.cfg with every module of the ISO fixture.
func kernelLines(t *testing.T, b built) []string {
	t.Helper()
	var out []string
	for _, m := range append([]string{"vmkboot.gz"}, b.modules...) {
		out = append(out, "Loading "+m+"... ok") // mboot.c32 read it through our FAT
	}
	out = append(out,
		"TESTKERNEL: start magic=ok",
		"TESTKERNEL: cmdline=vmkboot.gz ks="+b.plan.KS,
		fmt.Sprintf("TESTKERNEL: modules=%d", len(b.modules)))
	for i, m := range b.modules {
		c := b.isoFile(t, m)
		head := c[:min(16, len(c))]
		ascii := make([]byte, len(head))
		for j, c := range head {
			ascii[j] = c
			if c < 0x20 || c > 0x7E {
				ascii[j] = '.'
			}
		}
		out = append(out, fmt.Sprintf("TESTKERNEL: module[%d]=%s size=%d first=%s |%s|", i, m, len(c), hex.EncodeToString(head), ascii))
	}
	return append(out, "TESTKERNEL: done")
}

// TestRealSyslinux boots images we built with Debian's real, unmodified
// SYSLINUX 6.04: its loader must find our syslinux.cfg, and mboot.c32 must
// read the kernel and all five modules through our FAT.
func TestRealSyslinux(t *testing.T) {
	tests := []struct {
		esxi string
		fat  int
	}{
		{"4.1", 16},
		{"4.1", 32},
		{"4.0", 16},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("ESXi %s FAT%d", tc.esxi, tc.fat), func(t *testing.T) {
			t.Parallel()
			o := baseOptions()
			o.FATType, o.Timeout = tc.fat, 1
			b := kernelImage(t, tc.esxi, o)
			if !strings.Contains(b.plan.Config, "append vmkboot.gz ks="+testKS+" --- vmkernel.gz") {
				t.Fatalf("syslinux.cfg does not put ks= right after vmkboot.gz:\n%s", b.plan.Config)
			}
			img := filepath.Join(t.TempDir(), "syslinux604.img")
			copyFile(t, b.path, img)
			installSyslinux604(t, b, img)
			r, err := boot(t, img, bootTimeout, append(res(`SYSLINUX 6\.04 `), lines(kernelLines(t, b)...)...))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("booted in %.1fs (%s)", r.Duration.Seconds(), r.Accel)
		})
	}
}
