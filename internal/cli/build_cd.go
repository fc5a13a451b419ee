package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// buildCD writes one host's install CD (-o NAME.iso): the ISO with the
// host's boot options and, with --embed-ks, its kickstart; no syslinux
// tarball. The rendered kickstart goes beside it as NAME.cfg, as for disk
// images.
func buildCD(ctx context.Context, f *buildFlags, opts builder.Options, stdout, stderr io.Writer) error {
	if err := f.diskOnly(); err != nil {
		return &exitError{code: 2, err: err}
	}
	if f.out != "" && !f.dryRun {
		if err := checkAliases(f.buildPaths(f.out, "")); err != nil {
			return err
		}
		for _, p := range []string{f.out, kickstartPath(f)} {
			if p == "" {
				continue
			}
			if err := builder.CheckOutput(p, f.force); err != nil {
				return err
			}
		}
	}
	var kickstart []byte
	if f.ksTemplate != "" {
		text, err := readOptional(f.ksTemplate)
		if err != nil {
			return err
		}
		if kickstart, err = renderKickstart(f.ksTemplate, text, opts); err != nil {
			return err
		}
		if f.embedKS {
			opts.Kickstart = kickstart
		}
	}
	in, err := builder.OpenCDContext(ctx, f.iso)
	if err != nil {
		return err
	}
	defer in.Close()
	f.warn(stderr, in.Media.Warnings)
	plan, err := in.Plan(opts)
	if err != nil {
		return err
	}
	if _, _, err := f.preCheck(&builder.Inputs{Media: in.Media}, opts, nil, stderr); err != nil {
		return err
	}
	if f.dryRun {
		if f.asJSON {
			return writeJSON(stdout, buildJSON{SchemaVersion: schemaVersion, Type: "build", DryRun: true,
				Hosts: []hostJSON{{ID: opts.Vars["id"], CD: plan}}})
		}
		fmt.Fprint(stdout, cdPlanText(plan))
		return nil
	}
	start := time.Now()
	var set outputSet
	defer set.discard()
	pd, err := plan.WriteTemp(ctx, f.out, builder.WriteOptions{Force: f.force, Sync: f.sync, FullReadBack: f.verify == verifyFull})
	if err != nil {
		return err
	}
	set.addImage(pd)
	if kickstart != nil {
		if err := set.stage(kickstartPath(f), kickstart, batch.KickstartMode(), f.force); err != nil {
			return err
		}
	}
	if err := set.publish(ctx); err != nil {
		return err
	}
	if f.quiet {
		return nil
	}
	res := &pd.Result
	if f.asJSON {
		r := newResultJSON(res, nil, res.Reflink)
		if kickstart != nil {
			r.Kickstart = &outputFileJSON{Path: kickstartPath(f), SHA256: sha256Hex(kickstart)}
		}
		return writeJSON(stdout, buildJSON{SchemaVersion: schemaVersion, Type: "build",
			Hosts:   []hostJSON{{ID: opts.Vars["id"], CD: plan, Result: r}},
			Summary: &summaryJSON{Hosts: 1, Built: 1, Bytes: res.Bytes, Seconds: time.Since(start).Seconds()}})
	}
	fmt.Fprintf(stdout, "built      %s (%s bytes) in %.2fs\n", res.Path, human.Commas(res.Bytes), time.Since(start).Seconds())
	fmt.Fprintf(stdout, "sha256     %s\n", res.SHA256)
	fmt.Fprint(stdout, cdSummary(plan, res.Reflink))
	return nil
}

// cdSummary is what a CD build says after the file and hash lines.
func cdSummary(p *builder.CDPlan, reflink bool) string {
	var b strings.Builder
	how := "copied in the kernel"
	if reflink {
		how = "extents shared with the ISO (reflink)"
	}
	fmt.Fprintf(&b, "media      %s, volume %q, %s names; %s bytes of the ISO %s\n", p.Layout, p.VolumeID, p.Names, human.Commas(p.ISOBytes), how)
	for _, im := range p.Catalog.Images {
		fmt.Fprintf(&b, "boot       %s: %s, %s (%s bytes) at sector %d, kept\n", im.Platform, im.Media, im.Path, human.Commas(im.Size), im.LBA)
	}
	for _, f := range p.Files {
		verb := "rewritten"
		if f.Added {
			verb = "added"
		}
		fmt.Fprintf(&b, "file       %s %s: %s bytes at sector %d\n", f.Path, verb, human.Commas(f.Bytes), f.Sector)
	}
	fmt.Fprintf(&b, "ks         %s\n", p.KS)
	return b.String()
}

// cdPlanText is --dry-run's text for a CD: the summary, every patch and
// the per-host files.
func cdPlanText(p *builder.CDPlan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "install CD of %s: %s bytes (the ISO's %s, then %s appended)\n", p.ISO, human.Commas(p.ImageBytes),
		human.Commas(p.ISOBytes), human.Commas(p.ImageBytes-p.ISOBytes))
	b.WriteString(cdSummary(p, false))
	for _, pt := range p.Patches {
		fmt.Fprintf(&b, "write      bytes %s..%s: %s\n", human.Commas(pt.Offset), human.Commas(pt.Offset+pt.Bytes), pt.What)
	}
	for _, f := range p.Files {
		if text, ok := p.Generated[f.Path]; ok {
			fmt.Fprintf(&b, "\n--- %s\n%s", f.Path, text)
		}
	}
	return b.String()
}

// imageExt is the extension of each host's output in --out-dir.
func (f *buildFlags) imageExt() string {
	if f.format == formatISO {
		return ".iso"
	}
	return ".img"
}

// dryRunCDHosts prints every host's install CD plan.
func dryRunCDHosts(in *builder.CDInputs, jobs []batch.Job, rowErrs []error, f *buildFlags, stdout io.Writer) error {
	doc := buildJSON{SchemaVersion: schemaVersion, Type: "build", DryRun: true, Hosts: []hostJSON{}}
	for _, j := range jobs {
		p, err := in.Plan(j.Options)
		if err != nil {
			err = fmt.Errorf("host %s: %w", j.ID, err)
			if !f.keepGoing {
				return err
			}
			rowErrs = append(rowErrs, err)
			continue
		}
		doc.Hosts = append(doc.Hosts, hostJSON{ID: j.ID, CD: p})
		if !f.asJSON {
			fmt.Fprintf(stdout, "== %s\n%s", j.ID, cdPlanText(p))
		}
	}
	for _, e := range rowErrs {
		doc.Errors = append(doc.Errors, newErrorJSON(e))
		if !f.asJSON {
			fmt.Fprintf(stdout, "not planned: %v\n", e)
		}
	}
	if f.asJSON {
		if err := writeJSON(stdout, doc); err != nil {
			return err
		}
	}
	if len(rowErrs) > 0 {
		return &exitError{code: 1, inJSON: true, err: fmt.Errorf("%d inventory row(s) not planned", len(rowErrs))}
	}
	return nil
}

// diskOnly refuses flags that shape a disk image when the output is an
// install CD: they would be ignored without a word.
func (f *buildFlags) diskOnly() error {
	var set []string
	for _, x := range []struct {
		on   bool
		name string
	}{{f.mbrOut != "", "--mbr-out"}, {f.partOnly, "--partition-only"}, {f.bmap, "--bmap"}, {f.cfgTemplate != "", "--cfg-template"},
		{f.size != "", "--size"}, {f.fatType != 0, "--fat"}, {f.noStupid, "--no-stupid"}, {f.raid, "--raid"},
		{len(f.addModules) > 0, "--add-module"}, {f.likeDisk != "", "--like-disk"},
		{f.table == builder.TableGPT, "--table gpt"}, {f.partType != "", "--part-type"}} {
		if x.on {
			set = append(set, x.name)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return fmt.Errorf("build --format iso: %s shape(s) disk images; an install CD keeps the media's isolinux.cfg and boot loaders", strings.Join(set, ", "))
}
