// Command esxi-autopart builds bootable ESXi automation-partition images
// offline: an ESXi install ISO + the syslinux tarball + a host's settings
// in, a verified raw disk image out. The command line is internal/cli; the
// library is builder/.
package main

import (
	"os"

	"github.com/esxi-autopart/esxi-autopart/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
