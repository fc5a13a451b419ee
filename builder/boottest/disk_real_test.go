package boottest

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// TestDiskRealLoaders boots 7.0- and 8.0-shaped images of every table a
// build makes (MBR with the default 0xEF, MBR with 0x0C, GPT) by BIOS and
// by UEFI through the real loaders built from their public sources on the
// developer's machine (docs real-loaders.md; never in the repository):
// SYSLINUX 3.86 from its release tarball with VMware's mboot.c32 (esx-boot
// 8.0U2; -S 1 logs on COM1) by BIOS, VMware's mboot64.efi as
// EFI/BOOT/BOOTX64.EFI by UEFI. Both start the Multiboot test kernel,
// which prints the command line BOOT.CFG gave it and every module. Set
// ESXI_AUTOPART_REAL_LOADERS to the folder that holds syslinux-3.86/,
// syslinux-3.86.tar.gz and esx-boot-8.0u2/; skipped without it, also
// under CI.
func TestDiskRealLoaders(t *testing.T) {
	dir := realLoaders(t)
	k, err := asm.BuildKernelELF(filepath.Join(t.TempDir(), "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"7.0", "8.0"} {
		for _, table := range []struct {
			name string
			set  func(*builder.Options)
		}{
			{"MBR 0xEF (default)", func(*builder.Options) {}},
			{"MBR 0x0C", func(o *builder.Options) { o.PartitionType = 0x0C }},
			{"GPT", func(o *builder.Options) { o.Table = builder.TableGPT }},
		} {
			files := readFiles(t, map[string]string{"mboot.c32": dir + "/esx-boot-8.0u2/mboot.c32",
				"menu.c32": dir + "/syslinux-3.86/com32/menu/menu.c32", "EFI/BOOT/BOOTX64.EFI": dir + "/esx-boot-8.0u2/mboot64.efi"})
			files["b.b00"] = k
			iso, img := filepath.Join(t.TempDir(), "esxi.iso"), filepath.Join(t.TempDir(), "host.img")
			spec := isogen.Spec{Version: version, Files: files,
				IsolinuxCfg: "SERIAL 0 115200\nDEFAULT install\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg -S 1\n"}
			if err := isogen.Write(iso, spec); err != nil {
				t.Fatal(err)
			}
			in, err := builder.Open(iso, dir+"/syslinux-3.86.tar.gz")
			if err != nil {
				t.Fatal(err)
			}
			o := baseOptions()
			o.Timeout = 1
			table.set(&o)
			p, err := in.Plan(o)
			if err == nil {
				_, err = p.WriteFile(context.Background(), img, builder.WriteOptions{})
			}
			in.Close()
			if err != nil {
				t.Fatal(err)
			}
			n := len(isogen.Modules5(version)) - 1 // the kernel is the first
			kernel := []string{`TESTKERNEL: cmdline=\S*b\.b00 runweasel ks=` + regexp.QuoteMeta(testKS),
				fmt.Sprintf(`TESTKERNEL: modules=%d`, n), `TESTKERNEL: done`}
			t.Run(version+" "+table.name+" BIOS", func(t *testing.T) {
				r, err := boot(t, img, bootTimeout, res(append([]string{`SYSLINUX 3\.86 `, fmt.Sprintf(`(?m)^Loaded %d/%d modules`, n+1, n+1)}, kernel...)...))
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%q", r.Matched)
			})
			t.Run(version+" "+table.name+" UEFI", func(t *testing.T) {
				r, err := e5BootUEFI(t, img, e5BootTimeout, res(kernel...))
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%q", r.Matched)
			})
		}
	}
}
