package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
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
	MemoryMiB   int        `json:"memory_mib"`              // guest RAM
	Payload     int64      `json:"payload_bytes,omitempty"` // what the firmware's default boot loads into RAM (inspect), when known
	MemoryFrom  string     `json:"-"`                       // why that much RAM, for the result line
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
	fs                               *pflag.FlagSet // which flags were given
	memory, cpus                     int
	asJSON, printCmd, force          bool
}

var bootCommand = &command{
	name:     "boot",
	pathArgs: true,
	summary:  "boot an image in QEMU and wait for console markers",
	usage:    []string{"boot IMAGE --expect REGEX [--expect REGEX...] [flags]"},
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
	f.fs = fs
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "give up on a boot after this long (by default plus 2s per MB the boot loads by BIOS, 1s per 2 MB by UEFI: a loader reads modules silently)")
	fs.DurationVar(&f.silence, "silence", 30*time.Second, "give up when the console stays silent this long after a marker (0: never; by default plus as much as --timeout)")
	fs.IntVar(&f.memory, "memory", 0, "guest RAM in `MIB` (default: sized from what the image's boot loads: twice the kernel and modules plus 256 MiB, at least 256)")
	fs.IntVar(&f.cpus, "cpus", 0, "virtual `N` CPUs (default: QEMU's, one)")
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
	if f.printCmd {
		// The raw copy QEMU would boot is removed when boot ends: a
		// command naming it would name a file that is gone.
		if k, err := compress.Sniff(args[0]); err == nil && k != compress.None {
			return &exitError{code: 2, err: fmt.Errorf("--print-command: %s is %s-compressed: boot runs QEMU on a raw copy it removes when it ends; decompress the image and print the command for that", args[0], k)}
		}
	}
	img, done, err := unpacked(ctx, args[0]) // QEMU boots a raw copy of a .zst/.xz/.gz image
	if err != nil {
		return err
	}
	defer done()
	if f.memory < 0 || f.cpus < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--memory %d, --cpus %d: want a positive number, or 0 for the default", f.memory, f.cpus)}
	}
	fws, why, payload, err := bootFirmwares(ctx, img, f.firmware)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	sizing := bootSizing(payload, f.memory)
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
		// Loaders read the modules without a word: the defaults grow with
		// what the boot loads (loadTime).
		load := loadTime(name, sizing[name].Payload)
		if !f.fs.Changed("timeout") {
			o.Timeout += load
		}
		if !f.fs.Changed("silence") && o.Silence > 0 {
			o.Silence += load
		}
		o.Memory, o.CPUs, o.AHCI = sizing[name].MiB, f.cpus, true // AHCI: DMA, not port I/O (real-size payloads under TCG)
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
	results := bootAll(ctx, fws, patterns, opts, progress, sizing)
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
		err := fmt.Errorf("%s: %d of %d boots failed", args[0], failed, len(results))
		if hint := onlyOneFirmware(results, f.expects, f.expBIOS, f.expUEFI); hint != "" {
			err = fmt.Errorf("%w; %s", err, hint)
		}
		return &exitError{code: 1, inJSON: true, err: err}
	}
	return nil
}

// loadTime is how much longer than --timeout and --silence a boot by
// firmware that loads payload bytes gets by default. By BIOS, SYSLINUX
// 3.86 installed with -s reads one sector per INT 13h call: VMware's
// mboot.c32 (8.0U2) loaded a real-size 7.0 image's 359 MB in 389 s under
// TCG on a busy 2-core machine (0.9 MB/s), so 2 s per MB (a margin of
// about 2; the old 1 s per 2 MB timed that boot out). By UEFI OVMF reads
// by DMA: mboot64.efi loaded the same in 31 s, and 1 s per 2 MB stays.
func loadTime(firmware string, payload int64) time.Duration {
	if firmware == "bios" {
		return time.Duration(payload/500e3) * time.Second
	}
	return time.Duration(payload/2e6) * time.Second
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
	opts func(string) qemu.Options, w io.Writer, sizing map[string]bootMemory) []bootResult {
	var results []bootResult
	for _, name := range fws {
		o := opts(name)
		r, err := qemu.Run(ctx, o, patterns[name])
		br := bootResult{Firmware: name, OK: err == nil, Accel: r.Accel, AccelReason: r.AccelReason,
			Fallback: r.Fallback, Seconds: r.Duration.Seconds(), Matched: r.Matched,
			MemoryMiB: cmp.Or(o.Memory, qemu.DefaultMemory), Payload: sizing[name].Payload, MemoryFrom: sizing[name].From}
		if br.Matched == nil {
			br.Matched = []string{}
		}
		if err != nil {
			br.Error, _, _ = strings.Cut(err.Error(), "\nconsole tail:")
			br.ConsoleTail = r.Console
			if m := sizing[name]; m.Flag && m.MiB < qemu.MemoryFor(m.Payload) {
				br.Error += fmt.Sprintf("; the guest had %d MiB (--memory) but this boot loads %s bytes into RAM, for which boot's default is %d MiB (leave --memory out)",
					m.MiB, human.Commas(m.Payload), qemu.MemoryFor(m.Payload))
			}
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
	ram := fmt.Sprintf("%d MiB RAM", r.MemoryMiB)
	if r.MemoryFrom != "" {
		ram += " (" + r.MemoryFrom + ")"
	}
	if r.OK {
		fmt.Fprintf(w, "%s: booted in %.1fs under %s, %s; matched %d of %d:\n", r.Firmware, r.Seconds, accel, ram, len(r.Matched), want)
	} else {
		fmt.Fprintf(w, "%s: FAILED after %.1fs under %s, %s: %s\n", r.Firmware, r.Seconds, accel, ram, r.Error)
	}
	for _, m := range r.Matched {
		fmt.Fprintf(w, "  %s\n", m)
	}
	if !r.OK {
		fmt.Fprintf(w, "  console tail:\n%s\n", indentLines(lastLines(r.ConsoleTail, 20), "    | "))
	}
}

// bootFirmwares picks the firmwares to boot img with, and says why. It
// returns what each firmware's boot loads too (inspect's Payload of the
// disk or the CD; zero when inspect could not read it), for the RAM each
// boot gets.
func bootFirmwares(ctx context.Context, img, flag string) ([]string, string, inspect.Payload, error) {
	fws, why, rep, err := pickFirmwares(ctx, img, flag)
	if err != nil || rep == nil {
		return fws, why, inspect.Payload{}, err
	}
	return fws, why, rep.Payload(), nil
}

// payloader is a disk's or a CD's inspect report.
type payloader interface{ Payload() inspect.Payload }

func pickFirmwares(ctx context.Context, img, flag string) ([]string, string, payloader, error) {
	switch flag {
	case "bios", "uefi", "both", "":
	default:
		return nil, "", nil, fmt.Errorf("--firmware %q: want bios, uefi or both", flag)
	}
	if _, err := os.Stat(img); err != nil {
		return nil, "", nil, err
	}
	if isISO(img) { // a CD: RAM for what its BOOT.CFGs (or isolinux.cfg) load
		var cdr payloader
		if r, err := inspect.InspectCD(img, nil); err == nil {
			cdr = r
		}
		switch flag {
		case "bios", "uefi":
			return []string{flag}, "--firmware " + flag, cdr, nil
		case "both":
			return []string{"bios", "uefi"}, "--firmware both", cdr, nil
		}
		fws, why := cdFirmwares(img)
		return fws, why, cdr, nil
	}
	rep, err := inspectFile(ctx, img, "") // a device's size from the device; .zst/.xz/.gz unpacked
	var disk payloader
	if rep != nil {
		disk = rep
	}
	switch {
	case flag == "bios" || flag == "uefi":
		return []string{flag}, "--firmware " + flag, disk, nil
	case flag == "both":
		return []string{"bios", "uefi"}, "--firmware both", disk, nil
	case err != nil:
		return []string{"bios"}, "inspect could not read it: " + err.Error(), nil, nil
	case rep.UEFIOnly:
		return []string{"uefi"}, "it is a UEFI-only image (no syslinux)", disk, nil
	case rep.UEFI != nil:
		return []string{"bios", "uefi"}, "it has an EFI/BOOT loader", disk, nil
	}
	return []string{"bios"}, "it has no EFI/BOOT loader", disk, nil
}

// bootMemory is the RAM one firmware's boot gets and why.
type bootMemory struct {
	MiB     int    // guest RAM
	Payload int64  // bytes the boot loads into RAM (0: unknown)
	Flag    bool   // --memory chose MiB
	From    string // for the result line: "--memory", "for a 340,531,570-byte payload"
}

// bootSizing gives each firmware's boot the RAM --memory says, or what
// qemu.MemoryFor gives for the payload inspect found on its boot path.
func bootSizing(p inspect.Payload, flag int) map[string]bootMemory {
	out := map[string]bootMemory{}
	for name, n := range map[string]int64{"bios": p.BIOS, "uefi": p.UEFI} {
		m := bootMemory{MiB: qemu.MemoryFor(n), Payload: n, From: "for a " + human.Commas(n) + "-byte payload"}
		switch {
		case flag > 0:
			m.MiB, m.Flag, m.From = flag, true, "--memory"
		case n == 0:
			m.From = "default: inspect found no payload"
		}
		out[name] = m
	}
	return out
}

// onlyOneFirmware explains a --firmware both run where one boot matched
// every --expect and the other did not, with no per-firmware patterns: a
// marker only one firmware prints (syslinux's banner is BIOS only) belongs
// in --expect-bios or --expect-uefi.
func onlyOneFirmware(results []bootResult, expects, bios, uefi []string) string {
	if len(results) != 2 || len(expects) == 0 || len(bios)+len(uefi) > 0 || results[0].OK == results[1].OK {
		return ""
	}
	ok, failed := results[0], results[1]
	if !ok.OK {
		ok, failed = failed, ok
	}
	missing := expects[len(failed.Matched):]
	if len(failed.Matched) >= len(expects) {
		return ""
	}
	return fmt.Sprintf("the %s boot showed every --expect but the %s boot never showed /%s/: a marker only one firmware prints belongs in --expect-%s (and the other's in --expect-%s), or boot one firmware with --firmware %s",
		ok.Firmware, failed.Firmware, missing[0], ok.Firmware, failed.Firmware, ok.Firmware)
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
