package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/check"
	"github.com/esxi-autopart/esxi-autopart/builder/inventory"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// fleetInput is what `check`, and the start of every build, looks at.
type fleetInput struct {
	hostsPath  string           // "" for one host (base.Host)
	hosts      []inventory.Host // the inventory's rows
	base       builder.Options  // --ks, --var, --host
	ksTemplate string           // template file, "" for none
	ksText     string
	version    string // ESXi version on the ISO ("" unknown)
	family     int    // 4 or 5 (0 unknown: 5)
	unique     []string
	embed      bool
	external   bool
}

// fleetFindings renders every host's ks= and kickstart as the build would
// and checks them with the inventory.
func fleetFindings(fi fleetInput) ([]check.Finding, error) {
	fl := check.Fleet{Inventory: fi.hostsPath, Template: fi.ksTemplate, Version: fi.version, Unique: fi.unique,
		Embedded: fi.embed, KSExternal: fi.external}
	rows := fi.hosts
	if fi.hostsPath == "" {
		rows = []inventory.Host{{ID: fi.base.Host, Vars: map[string]string{}}}
	}
	failed := hostFailures{inventory: fi.hostsPath}
	for _, h := range rows {
		o := fi.base
		if fi.hostsPath != "" {
			o.Host = h.ID
		}
		o.Vars = map[string]string{}
		for k, v := range fi.base.Vars {
			o.Vars[k] = v
		}
		for k, v := range h.Vars {
			o.Vars[k] = v
		}
		ks, err := builder.RenderKS(o)
		ch := check.Host{Row: check.Row{ID: o.Host, Line: h.Line, Vars: o.Vars}, KS: ks}
		if err == nil && fi.ksText != "" {
			ch.Kickstart, err = renderKickstart(fi.ksTemplate, fi.ksText, o)
		}
		if err != nil && fi.hostsPath == "" {
			return nil, explainMissing(err, "", nil, fi.base.Vars)
		} else if err != nil {
			failed.add(h, explainMissing(err, fi.hostsPath, h.Vars, fi.base.Vars))
			continue
		}
		if fi.family != 4 { // 5.x+: these go onto kernelopt= with ks=
			ch.Boot = map[string]string{}
			for _, k := range []string{"ip", "netmask", "gateway", "vlanid"} {
				if v := o.Vars[k]; v != "" {
					ch.Boot[k] = v
				}
			}
		}
		fl.Hosts = append(fl.Hosts, ch)
	}
	if errs := failed.errors(); len(errs) == 1 {
		return nil, errs[0] // located, for --json
	} else if len(errs) > 1 {
		return nil, failed.err()
	}
	if fi.hostsPath == "" {
		fl.VarsFile = "--var"
	}
	return fl.Check(), nil
}

// checkFlags are check's flags.
type checkFlags struct {
	fi                fleetInput
	vars              []string
	unique, esxi, iso string
	id                string
	strict, asJSON    bool
}

var checkCommand = &command{
	name:    "check",
	summary: "check an inventory and its kickstarts before anything is built",
	usage:   []string{"check [--hosts CSV] [--ks-template FILE] [--ks KS] [--var KEY=VALUE...] [--iso ISO | --esxi VERSION] [flags]"},
	about: "Renders every host's kickstart and boot options as build would and reports what the installer would " +
		"refuse or misread, one line per finding with its file and line, then a summary: duplicate or malformed " +
		"addresses and names in the inventory, kickstart commands and options the ESXi version on the ISO does not know, " +
		"missing required commands, boot options that disagree with the kickstart's network line, and a ks=usb: or " +
		"ks=cdrom: kickstart that is not put into the image. Every build runs the same checks first.",
	examples: []string{
		"esxi-autopart check --hosts hosts.csv --ks-template ks.tmpl --ks 'http://deploy/ks/{{.id}}.cfg' --iso ESXi-7.0.iso",
		"esxi-autopart check --hosts hosts.csv --ks-template ks.tmpl --esxi 8.0 --strict --json",
	},
	exits: []string{
		"0  no errors (with --strict: no warnings either)",
		"1  errors were found (with --strict: or warnings), or an input could not be read",
		"2  usage: a bad flag or argument",
	},
	new: func() runner { return &checkFlags{} },
}

func (c *checkFlags) define(fs *pflag.FlagSet) {
	fi := &c.fi
	fs.StringVar(&fi.hostsPath, "hosts", "", "inventory `FILE` (CSV with a header row and an id column, or .json)")
	fs.StringVar(&fi.ksTemplate, "ks-template", "", "kickstart template `FILE` rendered per host")
	fs.StringVar(&fi.base.KS, "ks", "", "ks= value (a template with {{.id}} in a batch)")
	fs.StringVar(&fi.base.Host, "host", "", "host `NAME`, without --hosts (also {{.id}} unless --id)")
	fs.StringVar(&c.id, "id", "", "host `ID` for {{.id}}, without --hosts (default: --host)")
	fs.StringArrayVar(&c.vars, "var", nil, "template variable `KEY=VALUE` (repeatable)")
	fs.StringVar(&c.iso, "iso", "", "ESXi `ISO`: check kickstarts for the version it holds")
	fs.StringVar(&c.esxi, "esxi", "", "ESXi `VERSION` to check kickstarts for, without --iso (default: 5.0-8.0's common commands)")
	fs.StringVar(&c.unique, "unique", strings.Join(check.DefaultUnique, ","), "inventory `COLUMNS` whose values must differ between hosts")
	fs.BoolVar(&fi.embed, "embed-ks", false, "the kickstart goes into each image (as build --embed-ks)")
	fs.BoolVar(&fi.external, "ks-external", false, "a ks=usb: or ks=cdrom: kickstart is on another medium")
	fs.BoolVar(&c.strict, "strict", false, "warnings are errors")
	fs.BoolVar(&c.asJSON, "json", false, "print the findings as JSON")
	pathFlag(fs, "hosts", "ks-template", "iso")
	fileKinds(fs, "iso", "iso")
	fileKinds(fs, "hosts", inventoryKinds...)
}

func (c *checkFlags) run(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("check: unexpected argument %q", args[0])}
	}
	fi := &c.fi
	fi.base.Vars = map[string]string{}
	for _, kv := range c.vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return &exitError{code: 2, err: fmt.Errorf("--var %q: use KEY=VALUE", kv)}
		}
		fi.base.Vars[k] = v
	}
	if c.unique != "" {
		fi.unique = strings.Split(c.unique, ",")
	} else {
		fi.unique = []string{}
	}
	if fi.embed && fi.base.KS == "" {
		fi.base.KS = "usb:/" + builder.KickstartName
	}
	var err error
	if fi.ksText, err = readOptional(fi.ksTemplate); err != nil {
		return err
	}
	if fi.hostsPath == "" {
		if fi.base.Host, err = singleID(fi.base.Host, c.id, fi.base.Vars, map[string]string{"--ks": fi.base.KS, "--ks-template": fi.ksText}); err != nil {
			return &exitError{code: 2, err: err}
		}
	} else if fi.base.Host != "" || c.id != "" {
		return &exitError{code: 2, err: errors.New("check: --host and --id are for one host; with --hosts, each row's id is its own")}
	}
	if fi.version, fi.family, err = esxiVersion(ctx, c.iso, c.esxi); err != nil {
		return err
	}
	if fi.hostsPath != "" {
		if fi.hosts, err = inventory.Read(fi.hostsPath); err != nil {
			return err
		}
	}
	findings, err := fleetFindings(*fi)
	if err != nil {
		return err
	}
	n := max(len(fi.hosts), 1)
	if c.strict {
		for i := range findings {
			findings[i].Severity = check.Error
		}
	}
	errs, warns := check.Count(findings)
	if c.asJSON {
		if findings == nil {
			findings = []check.Finding{}
		}
		if err := writeJSON(stdout, checkDoc{SchemaVersion: schemaVersion, Type: "check", Hosts: n, Errors: errs, Warnings: warns, Findings: findings}); err != nil {
			return err
		}
	} else {
		lines := findingLines(findings)
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
		}
		fmt.Fprintln(stdout, summaryOf(findings, lines, n))
	}
	if errs > 0 {
		return &exitError{code: 1} // the findings and the summary say it
	}
	return nil
}

// esxiVersion is the version to check kickstarts for: the ISO's, or --esxi.
func esxiVersion(ctx context.Context, iso, flag string) (string, int, error) {
	family := func(v string) int {
		if strings.HasPrefix(v, "4.") {
			return 4
		}
		return 5
	}
	if flag != "" {
		return flag, family(flag), nil
	}
	if iso == "" {
		return "", 0, nil
	}
	d, err := detectMedia(ctx, iso)
	if err != nil {
		return "", 0, err
	}
	return d.Version, d.Family, nil
}

// detectMedia reads which ESXi media the ISO holds.
func detectMedia(ctx context.Context, iso string) (*layouts.Detected, error) {
	im, err := isofs.OpenContext(ctx, iso)
	if err != nil {
		return nil, err
	}
	defer im.Close()
	d, err := layouts.Detect(im)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", iso, err)
	}
	if d == nil {
		return nil, errors.New(iso + ": not ESXi install media")
	}
	return d, nil
}

// missingKS is build's refusal without --ks, naming the ISO's layout when
// it can be read.
func missingKS(ctx context.Context, iso string) error {
	const how = "give --ks URL (e.g. http://deploy/ks/esx01.cfg), or --ks-template FILE --embed-ks for ks=usb:/KS.CFG"
	d, err := detectMedia(ctx, iso)
	if err != nil {
		return fmt.Errorf("build: --ks is required: the ESXi installer installs unattended only with a ks= kickstart location; %s", how)
	}
	where := "on syslinux.cfg's append line"
	if d.Family != 4 {
		where = "in BOOT.CFG's kernelopt="
	}
	return fmt.Errorf("build: --ks is required: %s holds %s media, whose installer installs unattended only with ks= %s; %s",
		iso, d.Layout, where, how)
}

// checkDoc is the document of `check --json`.
type checkDoc struct {
	SchemaVersion int             `json:"schema_version"`
	Type          string          `json:"type"` // "check"
	Hosts         int             `json:"hosts"`
	Errors        int             `json:"errors"`
	Warnings      int             `json:"warnings"`
	Findings      []check.Finding `json:"findings"`
}
