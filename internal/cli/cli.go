// Package cli is esxi-autopart's command line: one file per command, its
// flags (pflag), what it prints (text, progress, --json) and exit codes.
// It knows no on-disk format: it calls builder and its packages for that.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
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

// interrupted is a command stopped by a signal: it says so once, without
// Go's "context canceled" after what was done.
type interrupted struct {
	cause, err error
}

func (e *interrupted) Unwrap() error { return e.err }

func (e *interrupted) Error() string {
	what := e.err.Error()
	if what == context.Canceled.Error() {
		return fmt.Sprintf("interrupted (%v)", e.cause)
	}
	return fmt.Sprintf("interrupted (%v): %s", e.cause, strings.ReplaceAll(what, ": "+context.Canceled.Error(), ""))
}

// Main runs the command line with args (os.Args[1:]) on the process's
// standard streams, stopping on SIGINT, SIGTERM or SIGHUP (the terminal
// closed), and returns the exit status.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// A reader that went away (`| head -1`) is no reason to stop: Go's
	// default SIGPIPE on a write to stdout or stderr killed the run where
	// it was, between putting images and SHA256SUMS in place and writing
	// manifest.json, or leaving a stage folder behind. Handled, SIGPIPE
	// only makes that write fail (EPIPE), and the run finishes. Children
	// get the default back at exec (it is handled, not ignored).
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)
	err := run(ctx, args, os.Stdout, os.Stderr)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = &exitError{code: 130, err: &interrupted{cause: context.Cause(ctx), err: err}} // 128 + SIGINT, as shells report it
	}
	stop()
	if err != nil {
		return reportError(args, err, os.Stdout, os.Stderr)
	}
	return 0
}
