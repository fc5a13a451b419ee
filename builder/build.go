package builder

import (
	"context"
	"errors"
)

// Spec is one image to build: the inputs' paths, the host's settings and
// the output path. The zero Options and Write are the CLI's defaults.
type Spec struct {
	ISO      string       // ESXi install ISO
	Syslinux string       // syslinux release tarball (.tar.gz, .tar.bz2, .tar.xz); "" for UEFI-only media
	Modules  []string     // files added to the boot module list, each FILE or FILE:NAME (Inputs.AddModule)
	Output   string       // the image file to write
	Options  Options      // the host's settings (KS is required)
	Write    WriteOptions // how the output is put in place (Force to replace it)
}

// Build is Open, Inputs.Plan and Plan.WriteFile in one call, for one
// image: the inputs are read and checked, the image planned, written to a
// temporary file beside Output, read back, verified and renamed into place.
// For many hosts from the same inputs, Open once and Plan each host.
func Build(ctx context.Context, s Spec) (Result, error) {
	if s.ISO == "" || s.Output == "" {
		return Result{}, errors.New("builder.Build: Spec needs ISO and Output (and Syslinux, but for UEFI-only media)")
	}
	in, err := Open(s.ISO, s.Syslinux)
	if err != nil {
		return Result{}, err
	}
	defer in.Close()
	for _, m := range s.Modules {
		if err := in.AddModule(ParseAddModule(m)); err != nil {
			return Result{}, err
		}
	}
	p, err := in.Plan(s.Options)
	if err != nil {
		return Result{}, err
	}
	r, err := p.WriteFile(ctx, s.Output, s.Write)
	if err != nil {
		return Result{}, err
	}
	return *r, nil
}
