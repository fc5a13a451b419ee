package inspect

import (
	"maps"
	"slices"
	"testing"
)

// TestPayload: the bytes each firmware's default boot loads, from the
// entry syslinux boots (through the menu) and from EFI/BOOT/BOOT.CFG.
func TestPayload(t *testing.T) {
	sizes := func(files map[string][]byte, names ...string) int64 {
		var n int64
		for _, name := range names {
			n += int64(len(files[name]))
		}
		return n
	}
	e41, e7 := esxi41Files(esxi41Cfg), esxi7Files()
	e7BIOSOnly := esxi7Files()
	delete(e7BIOSOnly, "EFI/BOOT/BOOTX64.EFI")
	delete(e7BIOSOnly, "EFI/BOOT/BOOT.CFG")
	e41Local := esxi41Files("default 0\nlabel 1\nkernel mboot.c32\nappend vmkboot.gz --- sys.vgz\nlabel 0\nlocalboot 0x80\n")
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  Payload
	}{
		{"4.1 append line", e41, Payload{BIOS: sizes(e41, "MBOOT.C32", "VMKBOOT.GZ", "VMKERNEL.GZ", "SYS.VGZ", "CIM.VGZ", "IENVIRON.VGZ", "INSTALL.VGZ")}},
		{"7.0 menu, boot.cfg and UEFI", e7, Payload{
			BIOS: sizes(e7, "MBOOT.C32", "B.B00", "K.B00", "S.V00", "NET-E100.V00"),
			UEFI: sizes(e7, "EFI/BOOT/BOOTX64.EFI", "B.B00", "K.B00", "S.V00", "NET-E100.V00")}},
		{"7.0 BIOS only", e7BIOSOnly, Payload{BIOS: sizes(e7, "MBOOT.C32", "B.B00", "K.B00", "S.V00", "NET-E100.V00")}},
		{"localboot default", e41Local, Payload{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := buildImage(t, imgSpec{fat: 32, start: 2048, sectors: 135168, files: tc.files, order: slices.Sorted(maps.Keys(tc.files))})
			r := inspectFile(t, b.path)
			if got := r.Payload(); got != tc.want {
				t.Errorf("payload %+v, want %+v\n%s", got, tc.want, r.Text())
			}
		})
	}
}
