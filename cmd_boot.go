package main

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

func cmdBoot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("boot", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esxi-autopart boot IMAGE --expect REGEX [--expect REGEX...] [flags]")
		fs.PrintDefaults()
	}
	expects := fs.StringArray("expect", nil, "regular expression the serial console must show, for every firmware (repeatable, in order)")
	expBIOS := fs.StringArray("expect-bios", nil, "like --expect, for the BIOS boot only (after the --expect ones)")
	expUEFI := fs.StringArray("expect-uefi", nil, "like --expect, for the UEFI boot only (after the --expect ones)")
	firmware := fs.String("firmware", "", "bios, uefi or both (default: both when the image has an EFI/BOOT loader, else bios)")
	ovmf := fs.String("ovmf", "", "UEFI firmware: OVMF.fd, or OVMF_CODE*.fd with its OVMF_VARS*.fd beside it (default: Debian's ovmf package)")
	timeout := fs.Duration("timeout", 60*time.Second, "give up on a boot after this long")
	silence := fs.Duration("silence", 30*time.Second, "give up when the console stays silent this long after a marker (0: never)")
	serialLog := fs.String("serial-log", "", "copy the serial console to this file (FILE.bios and FILE.uefi for both)")
	accel := fs.String("accel", qemu.AccelAuto, "auto (KVM when it works, else TCG; "+qemu.AccelEnv+" overrides), kvm or tcg")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	printCmd := fs.Bool("print-command", false, "print the QEMU command lines and exit")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("boot: want one IMAGE argument, got %d", fs.NArg())}
	}
	img, done, err := unpacked(fs.Arg(0)) // QEMU boots a raw copy of a .zst/.xz/.gz image
	if err != nil {
		return err
	}
	defer done()
	fws, why, err := bootFirmwares(img, *firmware)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	var fw qemu.OVMF
	if slices.Contains(fws, "uefi") {
		if fw, err = qemu.FindOVMF(*ovmf); err != nil {
			return err
		}
	}
	if _, _, err := qemu.ResolveAccel(*accel); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--accel: %w", err)}
	}
	opts := func(name string) qemu.Options {
		o := qemu.NewOptions(img)
		o.Timeout, o.Silence, o.Accel = *timeout, *silence, *accel
		o.SerialLog = *serialLog
		if o.SerialLog != "" && len(fws) > 1 {
			o.SerialLog += "." + name
		}
		if name == "uefi" {
			o.OVMF = &fw
		}
		return o
	}
	if *printCmd {
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
		extra := *expBIOS
		if name == "uefi" {
			extra = *expUEFI
		}
		for _, e := range append(append([]string(nil), *expects...), extra...) {
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
	if !*asJSON {
		fmt.Fprintf(stdout, "booting %s by %s (%s)\n", fs.Arg(0), strings.Join(fws, " and "), why)
	}
	var progress io.Writer = stdout
	if *asJSON {
		progress = nil
	}
	results := bootAll(ctx, fws, patterns, opts, progress)
	failed := 0
	for _, r := range results {
		if !r.OK {
			failed++
		}
	}
	if *asJSON {
		for i := range results {
			if results[i].Error != "" {
				results[i].ErrorJSON = &errorJSON{Message: results[i].Error}
			}
		}
		if err := writeJSON(stdout, bootDoc{SchemaVersion: schemaVersion, Type: "boot", Image: fs.Arg(0), Boots: results}); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if failed > 0 {
		return &exitError{code: 1, inJSON: true, err: fmt.Errorf("%s: %d of %d boots failed", fs.Arg(0), failed, len(results))}
	}
	return nil
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
func bootFirmwares(img, flag string) ([]string, string, error) {
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
	rep, err := inspectFile(img, "")
	switch {
	case err != nil:
		return []string{"bios"}, "inspect could not read it: " + err.Error(), nil
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
