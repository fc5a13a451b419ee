package cli

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/check"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/config"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/inventory"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// buildHosts is `build --hosts`: one image per inventory row. With
// --keep-going, rows that cannot be built (a bad row, a template that
// fails for the host, a check error of the host) are listed and the rest
// are built; the run then exits non-zero.
func buildHosts(ctx context.Context, f *buildFlags, base builder.Options, stdout, stderr io.Writer) error {
	if f.outDir == "" {
		return &exitError{code: 2, err: errors.New("build: --hosts needs --out-dir")}
	}
	if f.out != "" || f.host != "" || f.id != "" || f.mbrOut != "" {
		return &exitError{code: 2, err: errors.New("build: -o, --host, --id and --mbr-out are for one host; with --hosts, images go to --out-dir/<id>.img")}
	}
	if f.format == formatISO {
		if err := f.diskOnly(); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	var rowErrs []error // rows not built, located in the inventory (--keep-going)
	hosts, err := inventory.Read(f.hosts)
	if bad := (*inventory.BadRows)(nil); errors.As(err, &bad) && f.keepGoing && len(hosts) > 0 {
		rowErrs, err = bad.Each(), nil
	}
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
	jobs, rowFails, err := hostJobs(f, base, hosts, ksTmpl, shard)
	if err != nil {
		return err
	}
	rowErrs = append(rowErrs, rowFails...)
	if err := checkAliases(f.hostsPaths(jobs)); err != nil {
		return err
	}
	var in *builder.Inputs
	var cdIn *builder.CDInputs // install CDs (--format iso): no tarball
	if f.format == formatISO {
		if cdIn, err = builder.OpenCDContext(ctx, f.iso); err != nil {
			return err
		}
		defer cdIn.Close()
		in = &builder.Inputs{ISOPath: f.iso, Media: cdIn.Media, ISOCreated: cdIn.ISOCreated}
	} else {
		if in, err = openInputs(ctx, f.iso, f.tarball); err != nil {
			return err
		}
		defer in.Close()
		if err := f.addTo(in); err != nil {
			return err
		}
	}
	f.warn(stderr, in.Media.Warnings)
	// Every row is checked (values unique across all shards), but for the
	// rows that did not render (--keep-going).
	checked, failing, err := f.preCheck(in, base, withoutFailed(hosts, shard, jobs), stderr)
	if err != nil {
		return err
	}
	jobs, rowErrs = dropFailing(f.hosts, jobs, hosts, failing, rowErrs)
	if f.dryRun && cdIn != nil {
		return dryRunCDHosts(cdIn, jobs, rowErrs, f, stdout)
	}
	if f.verbose && !f.asJSON && len(jobs) > 0 && cdIn == nil {
		if p, err := in.Plan(jobs[0].Options); err == nil { // a failure is the host's, said when it is built
			verbose(stderr, fmt.Sprintf("%-9s %s, the first; every host is planned alike, with its own values", "host", jobs[0].ID))
			verbose(stderr, decisions(in, f, p)...)
		}
	}
	if f.dryRun {
		return dryRunHosts(in, jobs, rowErrs, f, stdout)
	}
	if err := os.MkdirAll(f.outDir, 0o755); err != nil {
		return err
	}
	// One run at a time in an out-dir: from reading its state (the earlier
	// manifest, stale files) to writing manifest.json and SHA256SUMS.
	lock, err := fileio.LockDir(f.outDir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	stale, err := staleOutputs(ctx, f, jobs, kind)
	if err != nil {
		return err
	}
	if err := runOutputs(f, jobs); err != nil {
		return err
	}
	// The inputs are hashed for manifest.json beside the host builds. Not
	// under ctx: once the run has put outputs in place, a signal must not
	// leave them without their manifest; a stopped run cancels it itself.
	hashCtx, stopHashing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHashing()
	hashing := batch.StartHashing(hashCtx, manifestInputs(f))
	prog := newProgress(f, stdout, stderr, len(jobs))
	prog.inventory, prog.flagVars = f.hosts, base.Vars
	start := time.Now()
	cfg := batch.Config{OutDir: f.outDir, Force: f.force, Jobs: f.jobs, KeepGoing: f.keepGoing, Progress: prog.event, Compress: kind, ZeroRuns: zeroRuns(), CD: cdIn, CDFullReadBack: f.verify == verifyFull}
	if f.bmap {
		cfg.Extra = func(raw string, p *builder.Plan, id string) (string, []byte, error) {
			name := id + ".img.bmap"
			b, err := readBmap(raw, name, p)
			return name, b, err
		}
	}
	results, runErr := batch.Run(ctx, in, jobs, cfg)
	prog.wait()
	if f.verbose && !f.asJSON {
		verbose(stderr, zeroNote(cfg.ZeroRuns))
	}
	if runErr != nil && !errors.Is(runErr, batch.ErrFailed) {
		return runErr // interrupted: no manifest either
	}
	if built := countBuilt(results); built == 0 && len(jobs) > 0 {
		prog.summary(results, rowErrs, time.Since(start))
		if !f.keepGoing { // the error says why, with the first failure
			return &exitError{code: 1, inJSON: true, err: fmt.Errorf("no host was built; no SHA256SUMS or manifest.json written: %w", runErr)}
		}
		return &exitError{code: 1, inJSON: true, err: &listedError{what: "no host was built; no SHA256SUMS or manifest.json written", errs: append([]error{runErr}, rowErrs...)}}
	}
	if err := batch.RemoveStale(f.outDir, stale); err != nil {
		return err
	}
	var ids []string
	for _, h := range hosts {
		ids = append(ids, h.ID)
	}
	if err := writeManifest(f, in, base, hashing, results, checked, shard, ids, rowErrs); err != nil {
		return err
	}
	prog.summary(results, rowErrs, time.Since(start))
	if f.keepGoing && (runErr != nil || len(rowErrs) > 0) { // the summary (or --quiet's lines) said why
		var what []string
		if n := len(results) - countBuilt(results); n > 0 {
			what = append(what, fmt.Sprintf("%d of %d hosts failed", n, len(results)))
		}
		if len(rowErrs) > 0 {
			what = append(what, plural(rowsIn(rowErrs), "inventory row")+" not built")
		}
		runErr = &listedError{what: strings.Join(what, ", "), errs: append([]error{runErr}, rowErrs...)}
	}
	if runErr != nil {
		return &exitError{code: 1, inJSON: true, err: runErr}
	}
	return nil
}

// hostJobs makes a job of every inventory row in the shard. A row whose
// ks= or kickstart does not render fails the run, or with --keep-going is
// returned among rowErrs.
func hostJobs(f *buildFlags, base builder.Options, hosts []inventory.Host, ksTmpl string, shard batch.Shard) (jobs []batch.Job, rowErrs []error, err error) {
	failed := hostFailures{inventory: f.hosts}
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
		_, err := builder.RenderKS(o)
		if err == nil && ksTmpl != "" {
			j.Kickstart, err = renderKickstart(f.ksTemplate, ksTmpl, o)
		}
		if err != nil {
			failed.add(h, explainMissing(err, f.hosts, h.Vars, base.Vars))
			continue
		}
		if f.embedKS {
			j.Options.Kickstart = j.Kickstart
		}
		jobs = append(jobs, j)
	}
	if errs := failed.errors(); len(errs) == 1 && !f.keepGoing {
		return nil, nil, errs[0] // located, for --json
	} else if len(errs) > 0 && !f.keepGoing {
		return nil, nil, failed.err()
	}
	return jobs, failed.errors(), nil
}

// withoutFailed are the inventory's rows but those of the shard that have
// no job (they did not render).
func withoutFailed(hosts []inventory.Host, shard batch.Shard, jobs []batch.Job) []inventory.Host {
	job := map[string]bool{}
	for _, j := range jobs {
		job[j.ID] = true
	}
	var out []inventory.Host
	for _, h := range hosts {
		if job[h.ID] || !shard.Has(h.ID) {
			out = append(out, h)
		}
	}
	return out
}

// dropFailing removes the jobs of hosts with check errors (--keep-going)
// and adds their errors to rowErrs.
func dropFailing(path string, jobs []batch.Job, hosts []inventory.Host, failing map[string][]string, rowErrs []error) ([]batch.Job, []error) {
	if len(failing) == 0 {
		return jobs, rowErrs
	}
	line := map[string]int{}
	for _, h := range hosts {
		line[h.ID] = h.Line
	}
	kept := jobs[:0:0]
	failed := hostFailures{inventory: path}
	for _, j := range jobs {
		if msgs, bad := failing[j.ID]; bad {
			failed.add(inventory.Host{ID: j.ID, Line: line[j.ID]}, errors.New(strings.Join(msgs, "; ")))
			continue
		}
		kept = append(kept, j)
	}
	return kept, append(rowErrs, failed.errors()...)
}

// runOutputs refuses, before anything is written, the run's own files in
// --out-dir (SHA256SUMS, manifest.json, the bmaps) where a file is that
// --force does not allow replacing: a SHA256SUMS or a manifest.json the
// tool did not write is not its to replace (batch.Run checks the images
// and kickstarts).
func runOutputs(f *buildFlags, jobs []batch.Job) error {
	names := []string{"SHA256SUMS", "manifest.json"}
	for _, j := range jobs {
		if f.bmap {
			names = append(names, j.ID+".img.bmap")
		}
	}
	var errs []error
	for _, n := range names {
		if err := builder.CheckOutput(filepath.Join(f.outDir, n), f.force); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// staleOutputs are the files an earlier run left in --out-dir that this
// run does not write (batch.StaleFiles): refused without --force, removed
// with it once the run has built its hosts.
func staleOutputs(ctx context.Context, f *buildFlags, jobs []batch.Job, kind compress.Kind) ([]string, error) {
	keep := map[string]bool{}
	for _, j := range jobs {
		keep[j.ID+f.imageExt()+kind.Ext()] = true
		if j.Kickstart != nil {
			keep[j.ID+".cfg"] = true
		}
		if f.bmap {
			keep[j.ID+".img.bmap"] = true
		}
	}
	stale, err := batch.StaleFiles(ctx, f.outDir, keep)
	if err != nil && ctx.Err() != nil {
		return nil, err // interrupted while an earlier image was hashed
	}
	if err != nil {
		return nil, fmt.Errorf("--out-dir %s: reading the earlier run's manifest: %w", f.outDir, err)
	}
	if len(stale) > 0 && !f.force {
		return nil, fmt.Errorf("--out-dir %s holds files of an earlier run that this run does not write (%s); --force removes them", f.outDir, strings.Join(stale, ", "))
	}
	return stale, nil
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
	checked []check.Finding, shard batch.Shard, inventory []string, rowErrs []error) error {
	inputs, err := hashing.Wait()
	if err != nil {
		return err
	}
	src := "ISO creation date"
	if !o.Epoch.IsZero() {
		src = "SOURCE_DATE_EPOCH"
	}
	m := batch.NewManifest(versionString(), in, inputs, src, results)
	m.Checks, m.Shard, m.Inventory = checked, shard.String(), inventory
	m.Settings = batchSettings(f, o)
	m.Epoch = in.Epoch(o).Format(time.RFC3339) // also for a shard with no hosts
	for _, e := range rowErrs {
		m.RowErrors = append(m.RowErrors, e.Error())
	}
	if f.bmap {
		for i, r := range results {
			if r.Image != nil {
				m.Hosts[i].Bmap = r.Job.ID + ".img.bmap"
			}
		}
	}
	return m.Write(f.outDir)
}

// batchSettings are the settings every host of a run shares, as the build
// read them (a duration in tenths, a size in bytes), so that shards built
// with other flags do not merge as one run. Inputs are compared by their
// SHA-256 instead (and --var values too, which may be a password), paths
// and run-local flags (--jobs, --out-dir, --shard) not at all.
func batchSettings(f *buildFlags, o builder.Options) map[string]string {
	kind, _ := compress.Parse(f.compress)
	s := map[string]string{
		"ks": f.ks, "timeout": strconv.Itoa(o.Timeout), "serial": strconv.FormatBool(!o.NoSerial),
		"partition_start": strconv.FormatUint(uint64(o.PartitionStart), 10), "size": strconv.FormatInt(o.Size, 10),
		"fat": strconv.Itoa(o.FATType), "no_stupid": strconv.FormatBool(o.NoStupid), "raid": strconv.FormatBool(o.RAID),
		"partition_only": strconv.FormatBool(o.PartitionOnly), "embed_ks": strconv.FormatBool(f.embedKS),
		"compress": string(kind), "bmap": strconv.FormatBool(f.bmap), "no_check": strconv.FormatBool(f.noCheck), "format": f.format,
	}
	for k, v := range o.Vars { // by hash: a --var may be the root password, and manifest.json is not secret
		s["var "+k] = fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(v)))
	}
	return s
}

// dryRunHosts prints every host's plan (rowErrs: rows not planned).
func dryRunHosts(in *builder.Inputs, jobs []batch.Job, rowErrs []error, f *buildFlags, stdout io.Writer) error {
	doc := buildJSON{SchemaVersion: schemaVersion, Type: "build", DryRun: true, Hosts: []hostJSON{}}
	var plans []*builder.Plan
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
		plans = append(plans, p)
		doc.Hosts = append(doc.Hosts, hostJSON{ID: j.ID, Plan: newPlanJSON(p)})
	}
	for _, e := range rowErrs {
		doc.Errors = append(doc.Errors, newErrorJSON(e))
	}
	if f.asJSON {
		if err := writeJSON(stdout, doc); err != nil {
			return err
		}
	} else {
		for i, p := range plans {
			fmt.Fprintf(stdout, "== %s\n%s", doc.Hosts[i].ID, planText(p))
		}
		for _, e := range rowErrs {
			fmt.Fprintf(stdout, "not planned: %v\n", e)
		}
	}
	if len(rowErrs) > 0 {
		return &exitError{code: 1, inJSON: true, err: &listedError{what: plural(rowsIn(rowErrs), "inventory row") + " not planned", errs: rowErrs}}
	}
	return nil
}

// jsonLine writes one JSON event line.
func jsonLine(w io.Writer, v any) {
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false)
	e.Encode(nonNil(v))
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
