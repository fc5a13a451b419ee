package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/check"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/config"
	"github.com/esxi-autopart/esxi-autopart/builder/diskwrite"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/inventory"
)

func (f *buildFlags) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("build: unexpected argument %q", args[0])}
	}
	format, err := outputFormat(f.out, f.format, f.compress)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	f.format = format
	if format == formatISO && len(f.addModules) > 0 {
		return &exitError{code: 2, err: errors.New("build: --add-module adds modules to disk images; install CDs (--format iso) do not take them")}
	}
	if f.verify != "" && f.verify != verifyWritten && f.verify != verifyFull {
		return &exitError{code: 2, err: fmt.Errorf("build: --verify %q: say written or full", f.verify)}
	}
	if format != formatISO && f.verify != "" {
		return &exitError{code: 2, err: fmt.Errorf("build: --verify %s says how much of an install CD (--format iso) is read back; a disk image is read back whole", f.verify)}
	}
	opts, err := f.options(ctx)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	f.warn(stderr, f.notes)
	if f.shard != "" && f.hosts == "" {
		return &exitError{code: 2, err: fmt.Errorf("build: --shard %s picks hosts of an inventory: give --hosts FILE too, or no --shard", f.shard)}
	}
	if f.hosts != "" {
		return buildHosts(ctx, f, opts, stdout, stderr)
	}
	if f.out == "" && !f.dryRun {
		return &exitError{code: 2, err: fmt.Errorf("build: -o/--output is required (or --dry-run)")}
	}
	if f.format == formatISO {
		return buildCD(ctx, f, opts, stdout, stderr)
	}
	kind, out, err := compression(f.out, f.compress)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if f.out != "" && !f.dryRun {
		if err := checkAliases(f.buildPaths(out, bmapName(out, kind))); err != nil {
			return err
		}
		// Every output is checked before anything is written: a late
		// refusal would have to remove an image that --force had replaced.
		for _, p := range []string{out, f.mbrOut, kickstartPath(f)} {
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
			return explainMissing(err, "", nil, opts.Vars)
		}
		if f.embedKS {
			opts.Kickstart = kickstart
		}
	}
	in, err := openInputs(ctx, f.iso, f.tarball)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := f.addTo(in); err != nil {
		return err
	}
	f.warn(stderr, in.Media.Warnings)
	if in.Media.UEFIOnly && f.mbrOut != "" {
		return &exitError{code: 2, err: fmt.Errorf("build: --mbr-out: %s is UEFI-only media: the image has no MBR boot code", f.iso)}
	}
	plan, err := in.Plan(opts)
	if err != nil {
		return explainMissing(err, "", nil, opts.Vars)
	}
	checked, _, err := f.preCheck(in, opts, nil, stderr)
	if err != nil {
		return err
	}
	for _, c := range checked {
		plan.Warnings = append(plan.Warnings, c.String())
	}
	if f.verbose && !f.asJSON {
		verbose(stderr, decisions(in, f, plan)...)
	}
	if f.dryRun {
		if f.asJSON {
			return writeJSON(stdout, buildJSON{SchemaVersion: schemaVersion, Type: "build", DryRun: true,
				Hosts: []hostJSON{{ID: opts.Vars["id"], Plan: newPlanJSON(plan)}}})
		}
		fmt.Fprint(stdout, planText(plan))
		return nil
	}
	start := time.Now()
	// Every output waits in a temporary file until all are complete: a
	// late failure leaves the old ones as they were.
	var set outputSet
	defer set.discard()
	zeros := zeroRuns()
	wo := builder.WriteOptions{Force: f.force, Sync: f.sync, ZeroRuns: zeros}
	var compressing func(int64)
	var bar *progress
	if !f.quiet && !f.asJSON && isTerminal(stderr) { // a bar with the rate and the time left
		bar = &progress{mode: "bars", p: mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(40)), bars: map[string]*mpb.Bar{},
			steps: map[string]*barStep{}, passes: 1, total: 1}
		if kind != compress.None {
			bar.passes = 2
		}
		name := filepath.Base(out)
		bar.event(batch.Event{Host: name, Phase: batch.Planned, Bytes: plan.ImageBytes})
		step := func(s string) func(int64) {
			return func(n int64) {
				bar.event(batch.Event{Host: name, Phase: batch.Working, Step: s, Bytes: plan.ImageBytes, Done: n})
			}
		}
		wo.Progress, compressing = step(batch.Verifying), step(batch.Compressing)
	}
	res, packed, err := deliver(ctx, plan, out, kind, f.bmap, wo, compressing, &set)
	if bar != nil {
		if err == nil {
			bar.event(batch.Event{Host: filepath.Base(out), Phase: batch.Written, Bytes: plan.ImageBytes})
		}
		bar.wait()
	}
	if err != nil {
		return err
	}
	if f.verbose && !f.asJSON {
		verbose(stderr, zeroNote(zeros))
	}
	if kickstart != nil {
		if err := set.stage(kickstartPath(f), kickstart, batch.KickstartMode(), f.force); err != nil {
			return err
		}
	}
	if f.mbrOut != "" {
		b := plan.BootCode() // with --table gpt: gptmbr.bin and the boot GUID
		if b == nil {
			b = make([]byte, 440)
			copy(b, in.Tarball.MBR)
		}
		if err := set.stage(f.mbrOut, b, fileio.Mode(false), f.force); err != nil {
			return err
		}
	}
	if err := set.publish(ctx); err != nil {
		return err
	}
	if f.quiet {
		return nil // errors only, and there were none
	}
	if f.asJSON {
		r := newResultJSON(res, packed, false)
		if kickstart != nil {
			r.Kickstart = &outputFileJSON{Path: kickstartPath(f), SHA256: sha256Hex(kickstart)}
		}
		if f.bmap {
			r.Bmap = bmapName(out, kind)
		}
		r.MBRCode = f.mbrOut
		return writeJSON(stdout, buildJSON{SchemaVersion: schemaVersion, Type: "build",
			Hosts:   []hostJSON{{ID: opts.Vars["id"], Plan: newPlanJSON(plan), Result: r}},
			Summary: &summaryJSON{Hosts: 1, Built: 1, Bytes: res.Bytes, Seconds: time.Since(start).Seconds()}})
	}
	fmt.Fprint(stdout, summaryText(plan, res, packed, time.Since(start)))
	if packed != nil {
		fmt.Fprintf(stdout, "compressed %s: %s bytes (%.1f%% of the image), sha256 %s\n", packed.Kind, human.Commas(packed.Bytes),
			100*float64(packed.Bytes)/float64(res.Bytes), packed.SHA256)
	}
	return nil
}

// Bounds of the disk and menu flags.
const (
	maxWholeStart = 1 << 26 // sectors before the partition in a whole image: 32 GiB
	maxTimeout    = 35996   // syslinux's TIMEOUT limit, in tenths of a second (about an hour)
)

// warn prints warnings on stderr, unless --quiet or --json (which has
// them in the plan).
func (f *buildFlags) warn(stderr io.Writer, warnings []string) {
	if f.quiet {
		return
	}
	warnings = slices.DeleteFunc(slices.Clone(warnings), func(s string) bool { return s == "" })
	printWarnings(stderr, warnings, f.asJSON)
}

// kickstartPath is where the rendered kickstart goes: beside the image,
// <image name>.cfg ("" without --ks-template).
func kickstartPath(f *buildFlags) string {
	if f.ksTemplate == "" || f.out == "" {
		return ""
	}
	return strings.TrimSuffix(f.out, filepath.Ext(f.out)) + ".cfg"
}

func (f *buildFlags) options(ctx context.Context) (builder.Options, error) {
	if f.iso == "" {
		return builder.Options{}, fmt.Errorf("build: --iso is required")
	}
	timeout, note, err := f.timeout.tenths()
	if err != nil {
		return builder.Options{}, err
	}
	f.notes = append(f.notes, note, f.serial.deprecated())
	o := builder.Options{
		Host: f.host, KS: f.ks, Timeout: timeout, NoSerial: !f.serial.on, PartitionStart: f.start, FATType: f.fatType,
		NoStupid: f.noStupid, RAID: f.raid, PartitionOnly: f.partOnly, Vars: map[string]string{},
	}
	if timeout == 0 {
		o.Timeout = builder.NoTimeout // --timeout 0: wait for a key
	}
	if err := config.CheckValue("--host", f.host); err != nil {
		return o, err
	}
	if f.embedKS && f.ksTemplate == "" {
		return o, fmt.Errorf("build: --embed-ks needs --ks-template")
	}
	if f.ks == "" && f.embedKS {
		f.ks = "usb:/" + builder.KickstartName
		if f.format == formatISO {
			f.ks = builder.CDKickstartKS
		}
		o.KS = f.ks
	}
	if f.ks == "" {
		return o, missingKS(ctx, f.iso)
	}
	if err := f.likeDiskOptions(&o); err != nil {
		return o, err
	}
	if f.start == 0 {
		return o, fmt.Errorf("--partition-start 0: sector 0 holds the MBR; the partition starts at 1 or later (default %d)", builder.DefaultPartitionStart)
	}
	if f.start > maxWholeStart && !f.partOnly {
		return o, fmt.Errorf("--partition-start %d: the image would hold %s bytes of zeros before the partition; at most %d sectors (32 GiB), or --partition-only for a partition that lies further in",
			f.start, human.Commas(int64(f.start)*512), maxWholeStart)
	}
	if f.fatType != 0 && f.fatType != 16 && f.fatType != 32 {
		return o, fmt.Errorf("--fat %d: use 16 or 32", f.fatType)
	}
	if f.table != "" && f.table != builder.TableMBR && f.table != builder.TableGPT {
		return o, fmt.Errorf("--table %q: use mbr or gpt", f.table)
	}
	o.Table = f.table
	if f.partType != "" {
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(f.partType), "0x"), 16, 8)
		if err != nil || n == 0 || !slices.Contains(builder.PartTypes, byte(n)) {
			return o, fmt.Errorf("--part-type %q: use a FAT type (0x01, 0x04, 0x06, 0x0B, 0x0C, 0x0E) or 0xEF (EFI system partition), in hex", f.partType)
		}
		if f.table == builder.TableGPT {
			return o, fmt.Errorf("--part-type %s: a GPT image has no MBR partition type (--table gpt makes an EFI system partition)", f.partType)
		}
		o.PartitionType = byte(n)
	}
	for _, kv := range f.vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return o, fmt.Errorf("--var %q: use KEY=VALUE", kv)
		}
		o.Vars[k] = v
	}
	if f.size != "" && f.likeDisk == "" {
		n, err := parseSize(f.size)
		if err != nil {
			return o, fmt.Errorf("--size %q: %w", f.size, err)
		}
		o.Size = n
	}
	if f.cfgTemplate != "" {
		text, err := readOptional(f.cfgTemplate)
		if err != nil {
			return o, fmt.Errorf("--cfg-template: %w", err)
		}
		o.CfgTemplate, o.CfgName = text, f.cfgTemplate
	}
	if f.hosts == "" {
		ksText, err := readOptional(f.ksTemplate)
		if err != nil {
			return o, err
		}
		if o.Host, err = singleID(f.host, f.id, o.Vars, map[string]string{"--ks": f.ks, "--ks-template": ksText, "--cfg-template": o.CfgTemplate}); err != nil {
			return o, err
		}
	}
	epoch, err := sourceDateEpoch()
	if err != nil {
		return o, err
	}
	o.Epoch = epoch
	return o, nil
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (reproducible-builds.org).
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 315532800 || n > 4354819199 { // FAT dates: 1980..2107
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: need seconds since 1970 between 1980 and 2107", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// parseSize reads 512M, 1G, 1048576 (bytes), 600MiB.
func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(s, "iB"), "B"))
	mult := int64(1)
	if n := len(u); n > 0 {
		switch u[n-1] {
		case 'K':
			mult, u = 1<<10, u[:n-1]
		case 'M':
			mult, u = 1<<20, u[:n-1]
		case 'G':
			mult, u = 1<<30, u[:n-1]
		case 'T':
			mult, u = 1<<40, u[:n-1]
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 || n > (4<<40)/mult {
		return 0, fmt.Errorf("not a size (use e.g. 512M or 1G)")
	}
	return n * mult, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func writeJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false) // "<.hostname>" in a message stays readable
	return e.Encode(nonNil(v))
}

// preCheck runs `check` on what is about to be built (hosts: the
// inventory's rows, nil for one host): errors stop the build before any
// output is written; warnings are printed (unless --quiet or --json) and
// returned for the plan or manifest. With --keep-going and an inventory,
// a host's own errors drop that host instead (failing: its messages).
func (f *buildFlags) preCheck(in *builder.Inputs, o builder.Options, hosts []inventory.Host, stderr io.Writer) (
	kept []check.Finding, failing map[string][]string, err error) {
	if f.noCheck {
		return nil, nil, nil
	}
	text, err := readOptional(f.ksTemplate)
	if err != nil {
		return nil, nil, err
	}
	findings, err := fleetFindings(fleetInput{hostsPath: f.hosts, hosts: hosts, base: o, ksTemplate: f.ksTemplate, ksText: text,
		version: in.Media.Version, family: in.Media.Family, embed: f.embedKS, external: f.ksExternal})
	if err != nil {
		return nil, nil, err
	}
	var errs []check.Finding
	for _, c := range findings {
		switch {
		case c.Severity == check.Error && f.keepGoing && f.hosts != "" && c.Host != "":
			if failing == nil {
				failing = map[string][]string{}
			}
			failing[c.Host] = append(failing[c.Host], findingText(c))
		case c.Severity == check.Error:
			errs = append(errs, c)
		default:
			kept = append(kept, c)
		}
	}
	if !f.quiet && !f.asJSON {
		for _, l := range findingLines(kept) {
			fmt.Fprintln(stderr, "esxi-autopart:", l)
		}
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%s; nothing was built (fix them, or --no-check to build anyway):\n  %s",
			check.Summary(findings, max(len(hosts), 1)), strings.Join(findingLines(errs), "\n  "))
	}
	return kept, failing, nil
}

// likeDiskOptions sets the partition's start, exact size and type from
// --like-disk's table.
func (f *buildFlags) likeDiskOptions(o *builder.Options) error {
	if f.likeDisk == "" {
		if f.likePart != 0 {
			return fmt.Errorf("--partition %d needs --like-disk DISK (the disk whose partition to build for)", f.likePart)
		}
		return nil
	}
	if f.size != "" || f.start != builder.DefaultPartitionStart {
		return fmt.Errorf("--like-disk %s takes the partition's start and size from the disk: drop --size and --partition-start", f.likeDisk)
	}
	q, err := diskwrite.LikeDisk(f.likeDisk, f.likePart)
	if err != nil {
		return err
	}
	f.start = q.Start
	o.PartitionStart, o.Size, o.ExactSize, o.PartitionType = q.Start, int64(q.Sectors)*512, true, q.Type
	table, kind, image := builder.TableMBR, "an MBR partition table", "an MBR image"
	if q.GUID != "" { // a GPT disk: a GPT image (gptmbr.bin), whose write names the target's partition GUID
		table, kind, image, o.PartitionType = builder.TableGPT, "a GPT", "a GPT image", 0
	}
	if f.fs != nil && f.fs.Changed("table") && f.table != table {
		return fmt.Errorf("--table %s: --like-disk %s has %s, and write puts an image only into a disk with the image's own table: drop --table (--like-disk builds %s for this disk)",
			f.table, f.likeDisk, kind, image)
	}
	f.table = table
	return nil
}
