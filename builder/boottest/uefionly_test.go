package boottest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/efistub"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestUEFIOnlyBoots builds an image from UEFI-only 7.0 media (no
// isolinux.bin, isolinux.cfg, mboot.c32 or menu.c32) without a syslinux
// tarball, with a driver added, as a GPT (the default: protective MBR
// without boot code, sgdisk -v clean) and as an MBR (--table mbr: type
// 0xEF, not active), and boots each under OVMF: the firmware finds our
// stand-in BOOTX64.EFI on the EFI system partition, which prints
// EFI/BOOT/BOOT.CFG with the host's ks= and the added module, and reads
// the kernel and every module it names, each with the bytes of the ISO
// (or the driver file).
func TestUEFIOnlyBoots(t *testing.T) {
	t.Parallel()
	testutil.SkipOrFail(t, efistub.Toolchain())
	files := []efistub.File{{Path: "EFI/BOOT/BOOT.CFG", Cat: true}}
	for _, m := range append(isogen.Modules5("7.0"), "net.v00") {
		files = append(files, efistub.File{Path: m})
	}
	dir := t.TempDir()
	efi, err := efistub.Build(filepath.Join(dir, "efi"), files)
	if err != nil {
		t.Fatal(err)
	}
	spec := isogen.Spec{Version: "7.0", UEFIOnly: true, Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi}}
	iso, drv := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "net-e1000e.v00")
	if err := isogen.Write(iso, spec); err != nil {
		t.Fatal(err)
	}
	isoFiles, err := isogen.Contents(spec)
	if err != nil {
		t.Fatal(err)
	}
	data := driverBytes("NET-DRIVER-UEFI!", 7000)
	if err := os.WriteFile(drv, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(e5BootCfg("7.0", testKS), " --- /imgpayld.tgz\n", " --- /imgpayld.tgz --- /net.v00\n", 1)
	want := append([]string{efistub.StartLine}, efistub.CatLines([]byte(cfg))...)
	for _, f := range files[1:] {
		b := data
		if f.Path != "net.v00" {
			b = nil
			for _, x := range isoFiles {
				if strings.EqualFold(x.Path, f.Path) {
					b = x.Bytes()
				}
			}
		}
		want = append(want, efistub.FileLine(f.Path, b))
	}
	want = append(want, efistub.DoneLine(len(files), 0))
	for _, tc := range []struct {
		name, table string
		gpt         bool
	}{
		{"GPT by default", "", true},
		{"MBR 0xEF", builder.TableMBR, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, err := builder.Open(iso, "")
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if err := in.AddModule(drv, "NET.V00"); err != nil {
				t.Fatal(err)
			}
			o := baseOptions()
			o.Table = tc.table
			p, err := in.Plan(o)
			if err != nil {
				t.Fatal(err)
			}
			img := filepath.Join(t.TempDir(), "host.img")
			if _, err := p.WriteFile(context.Background(), img, builder.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if !p.UEFIOnly || p.Partition.Type != builder.TypeESP || (p.GPT != nil) != tc.gpt {
				t.Fatalf("plan: UEFI-only %v, partition type %#x, GPT %+v", p.UEFIOnly, p.Partition.Type, p.GPT)
			}
			if r := inspectImage(t, img); !r.Bootable || !r.UEFIOnly || len(r.Faults) > 0 || r.UEFI == nil || len(r.UEFI.Modules) != len(files)-1 {
				t.Fatalf("inspect: bootable %v, UEFI-only %v, faults %q, UEFI %+v", r.Bootable, r.UEFIOnly, r.Faults, r.UEFI)
			}
			if tc.gpt {
				testutil.Need(t, "sgdisk")
				if out := testutil.Run(t, nil, "sgdisk", "-v", img); !strings.Contains(out, "No problems found") {
					t.Errorf("sgdisk -v:\n%s", out)
				}
			}
			r, err := e5BootUEFI(t, img, e5BootTimeout, e5Lines(want...))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("booted in %.1fs (%s): %s; %s", r.Duration.Seconds(), r.Accel, want[len(want)-2], want[len(want)-1])
		})
	}
}
