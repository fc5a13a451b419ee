package builder_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// Build one host's image. Zero options are the CLI's defaults (syslinux
// -s, the serial console, a 5-second menu, the partition at 1 MiB); only
// the ks= value is required.
func Example_build() {
	dir, err := os.MkdirTemp("", "esxi-autopart-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// Stand-ins for VMware-VMvisor-Installer-4.1.0.x86_64.iso and syslinux-3.70.tar.gz.
	iso, tar := filepath.Join(dir, "esxi-4.1.iso"), filepath.Join(dir, "syslinux-3.70.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{RockRidge: true}); err != nil {
		log.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{}); err != nil {
		log.Fatal(err)
	}

	res, err := builder.Build(context.Background(), builder.Spec{
		ISO:      iso,
		Syslinux: tar,
		Output:   filepath.Join(dir, "esx01.img"),
		Options:  builder.Options{Host: "esx01", KS: "http://deploy/ks/esx01.cfg"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(res.Path), res.Bytes, "bytes, verified")
	// Output: esx01.img 17853952 bytes, verified
}

// Build an image from UEFI-only media (no isolinux.bin, no mboot.c32):
// no syslinux tarball is needed, and the image is GPT unless
// Options.Table says mbr. Modules adds a driver at the end of the boot
// module list.
func Example_buildUEFIOnly() {
	dir, err := os.MkdirTemp("", "esxi-autopart-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	iso, driver := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "net-e1000e.v00")
	if err := isogen.Write(iso, isogen.Spec{Version: "8.0", UEFIOnly: true}); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(driver, []byte("a NIC driver\n"), 0o644); err != nil {
		log.Fatal(err)
	}

	res, err := builder.Build(context.Background(), builder.Spec{
		ISO:     iso,
		Modules: []string{driver + ":NET.V00"},
		Output:  filepath.Join(dir, "esx01.img"),
		Options: builder.Options{Host: "esx01", KS: "http://deploy/ks/esx01.cfg"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(res.Path), res.Bytes, "bytes, verified")
	// Output: esx01.img 35256832 bytes, verified
}
