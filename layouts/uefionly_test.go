package layouts_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil/testiso"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// TestDetectUEFIOnly: media with EFI/BOOT/BOOTX64.EFI and its BOOT.CFG
// but no isolinux.bin or mboot.c32 are UEFI-only: no syslinux, the EFI
// loaders and every file EFI/BOOT/BOOT.CFG names are copied, and
// EFI/BOOT/BOOT.CFG is the one per-host file. One BIOS loader left on the
// media makes them 5.x+ media again (or unknown, without isolinux.cfg).
func TestDetectUEFIOnly(t *testing.T) {
	for _, v := range []string{"7.0", "8.0"} {
		t.Run(v, func(t *testing.T) {
			im, _ := testiso.Open(t, isogen.Spec{Version: v, UEFIOnly: true})
			d, err := layouts.Detect(im)
			if err != nil {
				t.Fatal(err)
			}
			if !d.UEFIOnly || d.Layout != "esxi-"+v || d.Syslinux != "" || d.Template != "" || d.UEFI != "EFI/BOOT/BOOTX64.EFI" || d.FAT != 32 {
				t.Errorf("detected %+v", d)
			}
			var want []string
			for _, n := range isogen.EFIFiles5(v) {
				want = append(want, "EFI/BOOT/"+n)
			}
			slices.Sort(want)
			for _, m := range isogen.Modules5(v) {
				want = append(want, strings.ToUpper(m))
			}
			if got := dsts(d); !slices.Equal(got, want) {
				t.Errorf("files %q\nwant %q", got, want)
			}
			if len(d.Generated) != 1 || d.Generated[0].Dst != "EFI/BOOT/BOOT.CFG" || !slices.Equal(d.Modules, isogen.Modules5(v)) {
				t.Errorf("generated %+v, modules %q", d.Generated, d.Modules)
			}
			if !strings.Contains(d.Found, "UEFI-only: no isolinux.bin or mboot.c32; boots by UEFI through EFI/BOOT/BOOTX64.EFI") {
				t.Errorf("found %q", d.Found)
			}
		})
	}
	im, _ := testiso.Open(t, isogen.Spec{Version: "7.0", Omit: []string{"isolinux.cfg", "mboot.c32", "menu.c32"}})
	if d, err := layouts.Detect(im); err == nil || d != nil {
		t.Errorf("media with isolinux.bin: %+v %v", d, err)
	}
	im, _ = testiso.Open(t, isogen.Spec{Version: "7.0", UEFIOnly: true, Omit: []string{"EFI/BOOT/BOOT.CFG"}})
	if _, err := layouts.Detect(im); err == nil || !strings.Contains(err.Error(), "no known ESXi layout") {
		t.Errorf("UEFI-only media without EFI/BOOT/BOOT.CFG: %v", err)
	}
}
