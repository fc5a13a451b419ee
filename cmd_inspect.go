package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

func cmdInspect(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("inspect", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esxi-autopart inspect IMAGE [--iso ISO] [--json]")
		fs.PrintDefaults()
	}
	isoPath := fs.String("iso", "", "compare every copied file's SHA-256 with this ISO")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("inspect: want one IMAGE argument, got %d", fs.NArg())}
	}
	rep, err := inspectFile(fs.Arg(0), *isoPath)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(stdout, inspectDoc{SchemaVersion: schemaVersion, Type: "inspect", Image: fs.Arg(0), Report: rep}); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, rep.Text())
	}
	if !rep.Bootable {
		return &exitError{code: 3, inJSON: true, err: fmt.Errorf("%s would not boot: %d fault(s)", fs.Arg(0), len(rep.Faults))}
	}
	return nil
}

// inspectFile inspects the image at path, comparing with the ISO if given.
func inspectFile(path, isoPath string) (*inspect.Report, error) {
	path, done, err := unpacked(path) // a .zst/.xz/.gz image is read from a raw copy
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := regular.Open(path, true) // an image file, or a disk
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var opt inspect.Options
	if isoPath != "" {
		iso, err := isofs.Open(isoPath)
		if err != nil {
			return nil, err
		}
		defer iso.Close()
		opt.ISO = iso
		if opt.ISOLayout, err = layouts.Detect(iso); err != nil {
			return nil, fmt.Errorf("--iso %s: %w", isoPath, err)
		}
	}
	return inspect.Inspect(f, st.Size(), opt)
}

// inspectDoc is the document of `inspect --json`: the report's keys beside
// the schema's.
type inspectDoc struct {
	SchemaVersion int    `json:"schema_version"`
	Type          string `json:"type"` // "inspect"
	Image         string `json:"image"`
	*inspect.Report
}
