// Command esxi-autopart builds bootable ESXi automation-partition images
// offline: an ESXi install ISO + the syslinux 3.70 tarball + a host's
// settings in, a verified raw disk image out.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

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
	if err != nil {
		os.Exit(reportError(os.Args[1:], err, os.Stdout, os.Stderr))
	}
}
