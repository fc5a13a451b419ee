// Command esxi-autopart builds bootable ESXi automation-partition images
// offline: an ESXi install ISO + the syslinux 3.70 tarball + a host's
// settings in, a verified raw disk image out.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: esxi-autopart COMMAND [flags]

commands:
  build     build an image for one host (esxi-autopart build --help)
  check     check an inventory and its kickstarts before anything is built
  inspect   check an image offline: would it boot, and what would it boot?
  media     say what an ESXi ISO is: layout, files, loaders, the syslinux it needs
  boot      boot an image in QEMU and wait for console markers
  manifest  merge the manifests of an inventory's shards (manifest merge -o DIR SHARD_DIR...)
  demo      build, inspect and boot a demo image from built-in sample inputs
  version   print the version
`

// exitError carries an exit status other than 1.
type exitError struct {
	code   int
	err    error
	inJSON bool // under --json, the document printed already carries the error
}

func (e *exitError) Unwrap() error { return e.err }

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = &exitError{code: 130, err: fmt.Errorf("interrupted (%v): %w", context.Cause(ctx), err)} // 128 + SIGINT, as shells report it
	}
	stop()
	if errors.Is(err, pflag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(reportError(os.Args[1:], err, os.Stdout, os.Stderr))
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "build":
		return cmdBuild(ctx, args[1:], stdout, stderr)
	case "check":
		return cmdCheck(ctx, args[1:], stdout, stderr)
	case "inspect":
		return cmdInspect(ctx, args[1:], stdout, stderr)
	case "media":
		return cmdMedia(ctx, args[1:], stdout, stderr)
	case "manifest":
		return cmdManifest(ctx, args[1:], stdout, stderr)
	case "boot":
		return cmdBoot(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "esxi-autopart", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", args[0])}
}
