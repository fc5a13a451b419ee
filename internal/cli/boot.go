package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
)

// bootResult is one firmware's boot, as printed and in --json.
type bootResult struct {
	Firmware    string     `json:"firmware"` // bios or uefi
	OK          bool       `json:"ok"`
	Accel       string     `json:"accel"`
	AccelReason string     `json:"accel_reason"`
	Fallback    string     `json:"kvm_failure,omitempty"` // QEMU's words when KVM failed and TCG reran the boot
	Seconds     float64    `json:"seconds"`
	Matched     []string   `json:"matched"`
	Error       string     `json:"-"`
	ErrorJSON   *errorJSON `json:"error,omitempty"`        // the schema's error object for Error
	ConsoleTail string     `json:"console_tail,omitempty"` // on failure
}

// bootFlags are boot's flags.
type bootFlags struct {
	expects, expBIOS, expUEFI        []string
	firmware, ovmf, serialLog, accel string
	timeout, silence                 time.Duration
	asJSON, printCmd, force          bool
}

var bootCommand = &command{
	name:    "boot",
	summary: "boot an image in QEMU and wait for console markers",
	usage:   []string{"boot IMAGE --expect REGEX [--expect REGEX...] [flags]"},
	about: "Boots the image read-only (snapshot=on) in qemu-system-x86_64, by BIOS under SeaBIOS and, for an image " +
		"with an EFI/BOOT loader, by UEFI under OVMF, and succeeds as soon as every --expect pattern has appeared " +
		"on the serial console in order. QEMU exiting, the guest stopping, or a console silent for --silence after " +
		"a marker ends a boot early with the console's tail. --accel auto uses KVM when /dev/kvm works and TCG " +
		"otherwise, and says which and why.",
	examples: []string{
		"esxi-autopart boot esx01.img --expect 'SYSLINUX 3\\.70' --firmware bios",
		"esxi-autopart boot esx07.img.zst --expect-bios 'SYSLINUX 3\\.86' --expect-uefi 'ks=' --timeout 2m --json",
		"esxi-autopart boot esx01.img --expect x --print-command",
	},
	exits: []string{
		"0    every firmware's boot showed every pattern",
		"1    a boot failed (its console tail is printed), or QEMU or OVMF is missing",
		"2    usage: no image, no --expect, or a bad flag",
		"130  interrupted",
	},
	new: func() runner { return &bootFlags{} },
}

func (f *bootFlags) define(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.expects, "expect", nil, "`REGEX` the serial console must show, for every firmware (repeatable, in order)")
	fs.StringArrayVar(&f.expBIOS, "expect-bios", nil, "`REGEX` like --expect, for the BIOS boot only (after the --expect ones)")
	fs.StringArrayVar(&f.expUEFI, "expect-uefi", nil, "`REGEX` like --expect, for the UEFI boot only (after the --expect ones)")
	fs.StringVar(&f.firmware, "firmware", "", "`FIRMWARE`: bios, uefi or both (default: uefi for a UEFI-only image, both when the image has an EFI/BOOT loader, else bios)")
	fs.StringVar(&f.ovmf, "ovmf", "", "UEFI firmware `FILE`: OVMF.fd, or OVMF_CODE*.fd with its OVMF_VARS*.fd beside it (default: Debian's ovmf package)")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "give up on a boot after this long")
	fs.DurationVar(&f.silence, "silence", 30*time.Second, "give up when the console stays silent this long after a marker (0: never)")
	fs.StringVar(&f.serialLog, "serial-log", "", "copy the serial console to this `FILE` (FILE.bios and FILE.uefi for both)")
	fs.StringVar(&f.accel, "accel", qemu.AccelAuto, "`ACCEL`: auto (KVM when it works, else TCG; "+qemu.AccelEnv+" overrides), kvm or tcg")
	fs.BoolVar(&f.asJSON, "json", false, "print the results as JSON")
	fs.BoolVar(&f.printCmd, "print-command", false, "print the QEMU command lines and exit")
	fs.BoolVarP(&f.force, "force", "f", false, "replace an existing --serial-log FILE")
	pathFlag(fs, "ovmf", "serial-log")
	valuesFlag(fs, "firmware", "bios", "uefi", "both")
	valuesFlag(fs, "accel", "auto", "kvm", "tcg")
}

func (f *bootFlags) run(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) != 1 {
		return usageError(bootCommand, fmt.Errorf("want one IMAGE, got %d arguments", len(args)))
	}
	img, done, err := unpacked(ctx, args[0]) // QEMU boots a raw copy of a .zst/.xz/.gz image
	if err != nil {
		return err
	}
	defer done()
	fws, why, err := bootFirmwares(ctx, img, f.firmware)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	var fw qemu.OVMF
	if slices.Contains(fws, "uefi") {
		if fw, err = qemu.FindOVMF(f.ovmf); err != nil {
			return err
		}
	}
	if _, _, err := qemu.ResolveAccel(f.accel); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--accel: %w", err)}
	}
	cdrom := isISO(img)
	// The serial logs are outputs like build's: checked, written into
	// temporaries (QEMU opens them by their /proc name) and put in place
	// after the boots, so that no file the tool did not make (the image
	// itself, an old log without --force) is truncated.
	var logs outputSet
	defer logs.discard()
	logFor := map[string]string{}
	if f.serialLog != "" && !f.printCmd {
		if logFor, err = f.serialLogs(args[0], fws, &logs); err != nil {
			return err
		}
	}
	opts := func(name string) qemu.Options {
		o := qemu.NewOptions(img)
		o.CDROM = cdrom
		o.Timeout, o.Silence, o.Accel = f.timeout, f.silence, f.accel
		o.SerialLog = f.serialLog
		if o.SerialLog != "" && len(fws) > 1 {
			o.SerialLog += "." + name
		}
		if p, ok := logFor[name]; ok {
			o.SerialLog = p
		}
		if name == "uefi" {
			o.OVMF = &fw
		}
		return o
	}
	if f.printCmd {
		for _, name := range fws {
			o := opts(name)
			if o.Accel, _, err = qemu.ResolveAccel(o.Accel); err != nil {
				return err
			}
			bin, a := qemu.Command(o)
			fmt.Fprintf(stdout, "%s: %s %s\n", name, bin, strings.Join(a, " "))
		}
		return nil
	}
	patterns := map[string][]*regexp.Regexp{}
	for _, name := range fws {
		extra := f.expBIOS
		if name == "uefi" {
			extra = f.expUEFI
		}
		for _, e := range append(append([]string(nil), f.expects...), extra...) {
			re, err := regexp.Compile(e)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("--expect %q: %w", e, err)}
			}
			patterns[name] = append(patterns[name], re)
		}
		if len(patterns[name]) == 0 {
			return &exitError{code: 2, err: fmt.Errorf("boot: the %s boot needs an --expect (exit status alone proves nothing)", name)}
		}
	}
	if !f.asJSON {
		fmt.Fprintf(stdout, "booting %s by %s (%s)\n", args[0], strings.Join(fws, " and "), why)
	}
	var progress io.Writer = stdout
	if f.asJSON {
		progress = nil
	}
	results := bootAll(ctx, fws, patterns, opts, progress)
	failed := 0
	for _, r := range results {
		if !r.OK {
			failed++
		}
	}
	if f.asJSON {
		for i := range results {
			if results[i].Error != "" {
				results[i].ErrorJSON = &errorJSON{Message: results[i].Error}
			}
		}
		if err := writeJSON(stdout, bootDoc{SchemaVersion: schemaVersion, Type: "boot", Image: args[0], Boots: results}); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := logs.publish(ctx); err != nil { // a failed boot's log too: it says why
		return err
	}
	if failed > 0 {
		return &exitError{code: 1, inJSON: true, err: fmt.Errorf("%s: %d of %d boots failed", args[0], failed, len(results))}
	}
	return nil
}

// serialLogs stages --serial-log FILE (FILE.bios and FILE.uefi for two
// firmwares) in set and returns, per firmware, the name QEMU writes it by.
func (f *bootFlags) serialLogs(image string, fws []string, set *outputSet) (map[string]string, error) {
	var outs []namedPath
	for _, name := range fws {
		p := f.serialLog
		if len(fws) > 1 {
			p += "." + name
		}
		outs = append(outs, namedPath{"--serial-log", p})
	}
	if err := checkAliases([]namedPath{{"the image", image}, {"--ovmf", f.ovmf}}, outs); err != nil {
		return nil, err
	}
	logFor := map[string]string{}
	for i, name := range fws {
		t, err := set.temp(outs[i].path, f.force)
		if err != nil {
			return nil, err
		}
		n := t.Name()
		if rest, ok := strings.CutPrefix(n, "/proc/self/"); ok { // QEMU's /proc/self is not ours
			n = fmt.Sprintf("/proc/%d/%s", os.Getpid(), rest)
		}
		if err := set.add(t, outs[i].path, fileio.Mode(false), f.force); err != nil {
			return nil, err
		}
		logFor[name] = n
	}
	return logFor, nil
}

// bootAll boots with each firmware in turn (so that a KVM failure learned
// on the first is not repeated), printing each result to w unless it is nil.
func bootAll(ctx context.Context, fws []string, patterns map[string][]*regexp.Regexp,
	opts func(string) qemu.Options, w io.Writer) []bootResult {
	var results []bootResult
	for _, name := range fws {
		r, err := qemu.Run(ctx, opts(name), patterns[name])
		br := bootResult{Firmware: name, OK: err == nil, Accel: r.Accel, AccelReason: r.AccelReason,
			Fallback: r.Fallback, Seconds: r.Duration.Seconds(), Matched: r.Matched}
		if br.Matched == nil {
			br.Matched = []string{}
		}
		if err != nil {
			br.Error, _, _ = strings.Cut(err.Error(), "\nconsole tail:")
			br.ConsoleTail = r.Console
		}
		results = append(results, br)
		if w != nil {
			printBoot(w, br, len(patterns[name]))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return results
}

func printBoot(w io.Writer, r bootResult, want int) {
	accel := r.Accel + ": " + r.AccelReason
	if r.OK {
		fmt.Fprintf(w, "%s: booted in %.1fs under %s; matched %d of %d:\n", r.Firmware, r.Seconds, accel, len(r.Matched), want)
	} else {
		fmt.Fprintf(w, "%s: FAILED after %.1fs under %s: %s\n", r.Firmware, r.Seconds, accel, r.Error)
	}
	for _, m := range r.Matched {
		fmt.Fprintf(w, "  %s\n", m)
	}
	if !r.OK {
		fmt.Fprintf(w, "  console tail:\n%s\n", indentLines(lastLines(r.ConsoleTail, 20), "    | "))
	}
}

// bootFirmwares picks the firmwares to boot img with, and says why.
func bootFirmwares(ctx context.Context, img, flag string) ([]string, string, error) {
	switch flag {
	case "bios", "uefi":
		return []string{flag}, "--firmware " + flag, nil
	case "both":
		return []string{"bios", "uefi"}, "--firmware both", nil
	case "":
	default:
		return nil, "", fmt.Errorf("--firmware %q: want bios, uefi or both", flag)
	}
	if _, err := os.Stat(img); err != nil {
		return nil, "", err
	}
	if isISO(img) {
		fws, why := cdFirmwares(img)
		return fws, why, nil
	}
	rep, err := inspectFile(ctx, img, "")
	switch {
	case err != nil:
		return []string{"bios"}, "inspect could not read it: " + err.Error(), nil
	case rep.UEFIOnly:
		return []string{"uefi"}, "it is a UEFI-only image (no syslinux)", nil
	case rep.UEFI != nil:
		return []string{"bios", "uefi"}, "it has an EFI/BOOT loader", nil
	}
	return []string{"bios"}, "it has no EFI/BOOT loader", nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

func indentLines(s, prefix string) string {
	if s == "" {
		return prefix + "(nothing)"
	}
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// bootDoc is the document of `boot --json`.
type bootDoc struct {
	SchemaVersion int          `json:"schema_version"`
	Type          string       `json:"type"` // "boot"
	Image         string       `json:"image"`
	Boots         []bootResult `json:"boots"`
}
