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
