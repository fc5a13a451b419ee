package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type versionCmd struct{}

var versionCommand = &command{
	name:     "version",
	summary:  "print the version (also esxi-autopart --version)",
	usage:    []string{"version", "--version"},
	about:    "Prints the version of this esxi-autopart binary, the one manifest.json records.",
	examples: []string{"esxi-autopart version", "esxi-autopart --version"},
	exits:    []string{"0  the version was printed", "2  usage: an unexpected argument"},
	new:      func() runner { return &versionCmd{} },
}

func (*versionCmd) define(*pflag.FlagSet) {}

func (*versionCmd) run(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("version: unexpected argument %q", args[0])}
	}
	fmt.Fprintln(stdout, "esxi-autopart", version)
	return nil
}
