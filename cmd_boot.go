package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
)

func cmdBoot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("boot", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esxi-autopart boot IMAGE --expect REGEX [--expect REGEX...] [flags]")
		fs.PrintDefaults()
	}
	expects := fs.StringArray("expect", nil, "regular expression the serial console must show (repeatable, in order)")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	serialLog := fs.String("serial-log", "", "copy the serial console to this file")
	accel := fs.String("accel", "", "kvm or tcg (default: kvm when /dev/kvm is usable)")
	printCmd := fs.Bool("print-command", false, "print the QEMU command line and exit")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{code: 2}
	}
	o := qemu.NewOptions(fs.Arg(0))
	o.Timeout, o.SerialLog, o.Accel = *timeout, *serialLog, *accel
	if *printCmd {
		if o.Accel == "" {
			o.Accel = qemu.DetectAccel()
		}
		name, a := qemu.Command(o)
		fmt.Fprintln(stdout, name, strings.Join(a, " "))
		return nil
	}
	if len(*expects) == 0 {
		return &exitError{code: 2, err: fmt.Errorf("boot: at least one --expect is required (exit status alone proves nothing)")}
	}
	var res []*regexp.Regexp
	for _, e := range *expects {
		re, err := regexp.Compile(e)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--expect %q: %w", e, err)}
		}
		res = append(res, re)
	}
	r, err := qemu.Run(ctx, o, res)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "booted %s (%s) in %.1fs; matched:\n", fs.Arg(0), r.Accel, r.Duration.Seconds())
	for _, m := range r.Matched {
		fmt.Fprintf(stdout, "  %s\n", m)
	}
	return nil
}
