package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/check"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/config"
	"github.com/esxi-autopart/esxi-autopart/builder/inventory"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// buildHosts is `build --hosts`: one image per inventory row.
func buildHosts(ctx context.Context, f *buildFlags, base builder.Options, stdout, stderr io.Writer) error {
	if f.outDir == "" {
		return &exitError{code: 2, err: errors.New("build: --hosts needs --out-dir")}
	}
	if f.out != "" || f.host != "" || f.mbrOut != "" {
		return &exitError{code: 2, err: errors.New("build: -o, --host and --mbr-out are for one host; with --hosts, images go to --out-dir/<id>.img")}
	}
	hosts, err := inventory.Read(f.hosts)
	if err != nil {
		return err
	}
	ksTmpl, err := readOptional(f.ksTemplate)
	if err != nil {
		return err
	}
	kind, err := compress.Parse(f.compress)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	shard := batch.Shard{}
	if f.shard != "" {
		if shard, err = batch.ParseShard(f.shard, os.Getenv); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	var jobs []batch.Job
	for _, h := range hosts {
		if !shard.Has(h.ID) {
			continue
		}
		o := base
		o.Host = h.ID
		o.Vars = map[string]string{}
		for k, v := range base.Vars {
			o.Vars[k] = v
		}
		for k, v := range h.Vars {
			o.Vars[k] = v
		}
		j := batch.Job{ID: h.ID, Options: o}
		if ksTmpl != "" {
			if j.Kickstart, err = renderKickstart(f.ksTemplate, ksTmpl, o); err != nil {
				return fmt.Errorf("%s line %d (host %s): %w", f.hosts, h.Line, h.ID, err)
			}
			if f.embedKS {
				j.Options.Kickstart = j.Kickstart
			}
		}
		jobs = append(jobs, j)
	}
	if err := checkAliases(f.hostsPaths(jobs)); err != nil {
		return err
	}
	in, err := openInputs(f.iso, f.tarball)
	if err != nil {
		return err
	}
	defer in.Close()
	printWarnings(stderr, in.Media.Warnings, f.asJSON)
	checked, err := f.preCheck(in, base, hosts, stderr)
	if err != nil {
		return err
	}
	if f.dryRun {
		return dryRunHosts(in, jobs, f, stdout)
	}
	if err := os.MkdirAll(f.outDir, 0o755); err != nil {
		return err
	}
	hashing := batch.StartHashing(manifestInputs(f)) // beside the host builds
	prog := newProgress(f, stdout, stderr, len(jobs))
	start := time.Now()
	cfg := batch.Config{OutDir: f.outDir, Force: f.force, Jobs: f.jobs, KeepGoing: f.keepGoing, Progress: prog.event, Compress: kind}
	if f.bmap {
		cfg.AfterImage = func(raw string, p *builder.Plan, id string) error {
			return writeBmap(raw, filepath.Join(f.outDir, id+".img.bmap"), p, f.force)
		}
	}
	results, runErr := batch.Run(ctx, in, jobs, cfg)
	prog.wait()
	if runErr != nil && !errors.Is(runErr, batch.ErrFailed) {
		return runErr // interrupted: no manifest either
	}
	if built := countBuilt(results); built == 0 && len(jobs) > 0 {
		prog.summary(results, time.Since(start))
		return fmt.Errorf("no host was built; no SHA256SUMS or manifest.json written: %w", runErr)
	}
	var ids []string
	for _, h := range hosts {
		ids = append(ids, h.ID)
	}
	if err := writeManifest(f, in, base, hashing, results, checked, shard, ids); err != nil {
		return err
	}
	prog.summary(results, time.Since(start))
	return runErr
}

// renderKickstart renders the kickstart template for one host.
func renderKickstart(name, text string, o builder.Options) ([]byte, error) {
	data, err := config.Data(map[string]any{"Host": o.Host}, o.Vars)
	if err != nil {
		return nil, err
	}
	r, err := config.Render(name, text, data)
	return r.Text, err
}

// maxTemplate bounds a template file (a typo such as /dev/zero must not
// read forever).
const maxTemplate = 1 << 20

// readOptional reads a template file ("" reads as "").
func readOptional(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	f, err := regular.Open(path, false)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTemplate+1))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxTemplate {
		return "", fmt.Errorf("%s: larger than %d KiB: not a template", path, maxTemplate>>10)
	}
	return string(b), nil
}

// manifestInputs lists the input files the manifest records.
func manifestInputs(f *buildFlags) []batch.InputFile {
	var inputs []batch.InputFile
	for _, x := range [][2]string{{"iso", f.iso}, {"syslinux", f.tarball}, {"inventory", f.hosts},
		{"ks-template", f.ksTemplate}, {"cfg-template", f.cfgTemplate}} {
		if x[1] != "" {
			inputs = append(inputs, batch.InputFile{Role: x[0], Path: x[1]})
		}
	}
	return inputs
}

func writeManifest(f *buildFlags, in *builder.Inputs, o builder.Options, hashing *batch.Hashing, results []batch.HostResult,
	checked []check.Finding, shard batch.Shard, inventory []string) error {
	inputs, err := hashing.Wait()
	if err != nil {
		return err
	}
	src := "ISO creation date"
	if !o.Epoch.IsZero() {
		src = "SOURCE_DATE_EPOCH"
	}
	m := batch.NewManifest(version, in, inputs, src, results)
	m.Checks, m.Shard, m.Inventory = checked, shard.String(), inventory
	m.Epoch = in.Epoch(o).Format(time.RFC3339) // also for a shard with no hosts
	return m.Write(f.outDir)
}

func dryRunHosts(in *builder.Inputs, jobs []batch.Job, f *buildFlags, stdout io.Writer) error {
	var plans []*builder.Plan
	for _, j := range jobs {
		p, err := in.Plan(j.Options)
		if err != nil {
			return fmt.Errorf("host %s: %w", j.ID, err)
		}
		plans = append(plans, p)
	}
	if f.asJSON {
		return writeJSON(stdout, plans)
	}
	for i, p := range plans {
		fmt.Fprintf(stdout, "== %s\n%s", jobs[i].ID, planText(p))
	}
	return nil
}

// jsonLine writes one JSON event line.
func jsonLine(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", b)
}

func countBuilt(results []batch.HostResult) int {
	n := 0
	for _, r := range results {
		if r.Image != nil {
			n++
		}
	}
	return n
}
