package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// TestMedia: media ISO says what an ISO is without a tarball or --ks, as
// text and as JSON (golden), with the loaders' banners.
func TestMedia(t *testing.T) {
	dir := t.TempDir()
	iso4, iso7 := filepath.Join(dir, "esxi41.iso"), filepath.Join(dir, "esxi70.iso")
	if err := isogen.Write(iso4, isogen.Spec{RockRidge: true}); err != nil {
		t.Fatal(err)
	}
	mboot := append([]byte("\x7fCOM32 stand-in\x00"), "VMware ESXi boot 7.0.3 (mboot.c32)\x00"...)
	if err := isogen.Write(iso7, isogen.Spec{Version: "7.0", Files: map[string][]byte{"mboot.c32": mboot}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, iso string
		want      []string
	}{
		{"media_4.1", iso4, []string{"syslinux   needs 3.70: build --syslinux syslinux-3.70.tar.gz", "ISOLINUX 3.70", "vmkboot.gz", "-> VMKBOOT.GZ"}},
		{"media_7.0", iso7, []string{"needs 3.86", "ISOLINUX 3.86 2010-04-01", "VMware ESXi boot 7.0.3", "fat        FAT32", "per host   BOOT.CFG", "EFI/BOOT/BOOTX64.EFI"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runCLI("media", tt.iso)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("media lacks %q:\n%s", w, stdout)
				}
			}
			js, _, err := runCLI("media", "--json", tt.iso)
			if err != nil {
				t.Fatal(err)
			}
			jsonGolden(t, tt.name, js, dir)
		})
	}
	_, _, err := runCLI("media", filepath.Join(dir, "none.iso"))
	if exitCode(err) != 1 {
		t.Errorf("missing ISO: %v", err)
	}
}
