package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/check"
	"github.com/esxi-autopart/esxi-autopart/builder/config"
	"github.com/esxi-autopart/esxi-autopart/builder/fileerr"
	"github.com/esxi-autopart/esxi-autopart/builder/inventory"
)

// explainMissing says where the variables a template could have used come
// from, when err is a template's use of one that does not exist: the
// inventory's columns (inventory "" for a single build), --var and the
// built-in values. It returns err.
func explainMissing(err error, inventoryPath string, columns, flagVars map[string]string) error {
	var m *config.MissingError
	if !errors.As(err, &m) || m.Sources != nil {
		return err
	}
	var cols, vars, builtin []string
	for _, k := range m.Known {
		_, isCol := columns[k]
		_, isVar := flagVars[k]
		switch {
		case isCol && inventoryPath != "":
			cols = append(cols, k)
		case k == "id" && inventoryPath == "":
			builtin = append(builtin, k) // a single build's --id (default: --host)
		case isVar || isCol:
			vars = append(vars, k)
		default:
			builtin = append(builtin, k)
		}
	}
	if inventoryPath != "" {
		m.Sources = append(m.Sources, config.Source{Name: "columns of " + inventoryPath, Keys: cols})
	}
	m.Sources = append(m.Sources, config.Source{Name: "--var", Keys: vars}, config.Source{Name: "built-in", Keys: builtin})
	return err
}

// hostFailures gathers the hosts of a batch whose ks= or kickstart does
// not render, so that one mistake (in a template every host uses) is said
// once, with the hosts it hits, instead of once per host.
type hostFailures struct {
	inventory string
	groups    []*hostsError
	byText    map[string]*hostsError
}

func (hf *hostFailures) add(h inventory.Host, err error) {
	if hf.byText == nil {
		hf.byText = map[string]*hostsError{}
	}
	g := hf.byText[err.Error()]
	if g == nil {
		g = &hostsError{inventory: hf.inventory, err: err}
		hf.byText[err.Error()] = g
		hf.groups = append(hf.groups, g)
	}
	g.hosts = append(g.hosts, h)
}

// errors are the distinct mistakes, in the order the rows first made them.
func (hf *hostFailures) errors() []error {
	out := make([]error, len(hf.groups))
	for i, g := range hf.groups {
		if m := (*config.MissingError)(nil); errors.As(g.err, &m) {
			m.Hosts = g.hostsText()
		}
		out[i] = g
	}
	return out
}

// err is every distinct mistake, one a line (nil: none).
func (hf *hostFailures) err() error { return errors.Join(hf.errors()...) }

// hostsError is one mistake and the inventory rows it stops. A mistake
// located in a template reads "ks.tmpl:4: … (30 hosts: esx01 … esx30)";
// one of a row's values, "hosts.csv: line 6: host esx05: …".
type hostsError struct {
	inventory string
	err       error
	hosts     []inventory.Host
}

// Unwrap is the mistake; one of a single host that no file locates (a
// --ks value's) is located at the host's inventory row.
func (e *hostsError) Unwrap() error {
	if file, _, _, _ := fileerr.Locate(e.err); file == "" && e.inventory != "" && len(e.hosts) == 1 && e.hosts[0].Line > 0 {
		return fileerr.MarkAt(e.inventory, inventory.Unit(e.inventory), e.hosts[0].Line, e.err)
	}
	return e.err
}

// Rows is the number of inventory rows the mistake stops.
func (e *hostsError) Rows() int { return len(e.hosts) }

func (e *hostsError) Error() string {
	if m := (*config.MissingError)(nil); errors.As(e.err, &m) && m.Hosts != "" {
		return e.err.Error() // it names the hosts
	}
	if file, _, _, ok := fileerr.Locate(e.err); ok && file != "" && file != e.inventory {
		return fmt.Sprintf("%v (%s)", e.err, e.hostsText())
	}
	if e.inventory == "" { // a host that failed while it was built
		if len(e.hosts) == 1 {
			return fmt.Sprintf("host %s: %v", e.hosts[0].ID, e.err)
		}
		return fmt.Sprintf("%s: %v", e.hostsText(), e.err)
	}
	h := e.hosts[0]
	s := fmt.Sprintf("%s: %s %d: host %s: %v", e.inventory, inventory.Unit(e.inventory), h.Line, h.ID, e.err)
	if len(e.hosts) > 1 {
		s += fmt.Sprintf(" (also %d more: %s)", len(e.hosts)-1, hostRange(e.hosts[1:]))
	}
	return s
}

// hostsText names the hosts: "host esx05 (hosts.csv line 6)", "30 hosts
// (esx01 … esx30)".
func (e *hostsError) hostsText() string {
	if len(e.hosts) == 1 && e.inventory == "" {
		return "host " + e.hosts[0].ID
	}
	if len(e.hosts) == 1 {
		return fmt.Sprintf("host %s (%s %s %d)", e.hosts[0].ID, e.inventory, inventory.Unit(e.inventory), e.hosts[0].Line)
	}
	return fmt.Sprintf("%d hosts (%s)", len(e.hosts), hostRange(e.hosts))
}

// hostRange names hosts briefly: "esx01", "esx01, esx02", "esx01 … esx30".
func hostRange(hosts []inventory.Host) string {
	switch len(hosts) {
	case 1:
		return hosts[0].ID
	case 2:
		return hosts[0].ID + ", " + hosts[1].ID
	}
	return hosts[0].ID + " … " + hosts[len(hosts)-1].ID
}

// rowsIn counts the inventory rows errs stop (a grouped mistake counts
// each of its hosts).
func rowsIn(errs []error) int {
	n := 0
	for _, e := range errs {
		var he *hostsError
		if errors.As(e, &he) {
			n += he.Rows()
		} else {
			n++
		}
	}
	return n
}

// listedError ends a run whose errors were listed already (the summary, or
// --quiet's lines): it says how many, and unwraps to them all.
type listedError struct {
	what string // "3 inventory rows not built"
	errs []error
}

func (e *listedError) Error() string   { return e.what + " (listed above)" }
func (e *listedError) Unwrap() []error { return e.errs }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// failedHosts is the hosts a batch failed to build, each distinct reason
// once with the hosts it stopped.
// A template's missing variable names the variables of inventoryPath's
// columns, --var (flagVars) and the built-in ones.
func failedHosts(results []batch.HostResult, inventoryPath string, flagVars map[string]string) []error {
	var hf hostFailures
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		columns := map[string]string{}
		for k, v := range r.Job.Options.Vars {
			if _, ok := flagVars[k]; !ok {
				columns[k] = v
			}
		}
		cause := explainMissing(r.Err, inventoryPath, columns, flagVars)
		if !strings.HasPrefix(cause.Error(), "host "+r.Job.ID+": ") {
			hf.add(inventory.Host{ID: r.Job.ID}, cause)
			continue
		}
		if inner := errors.Unwrap(cause); inner != nil && !strings.HasPrefix(inner.Error(), "host ") {
			cause = inner
		} else {
			cause = errors.New(strings.TrimPrefix(cause.Error(), "host "+r.Job.ID+": "))
		}
		hf.add(inventory.Host{ID: r.Job.ID}, cause)
	}
	return hf.errors()
}

// findingLines are check's findings as lines, a finding that several
// hosts share (a template's line, rendered for each) once, with the hosts:
// "error esx01 ks.tmpl:2: install: … (30 hosts: esx01 … esx30)".
func findingLines(findings []check.Finding) []string {
	type group struct {
		first check.Finding
		hosts []inventory.Host
	}
	var order []*group
	byKey := map[string]*group{}
	for _, f := range findings {
		noHost := f
		noHost.Host = ""
		key := noHost.String()
		g := byKey[key]
		if g == nil || f.Host == "" {
			g = &group{first: f}
			byKey[key] = g
			order = append(order, g)
		}
		g.hosts = append(g.hosts, inventory.Host{ID: f.Host})
	}
	lines := make([]string, len(order))
	for i, g := range order {
		lines[i] = g.first.String()
		if len(g.hosts) > 1 {
			lines[i] += fmt.Sprintf(" (%d hosts: %s)", len(g.hosts), hostRange(g.hosts))
		}
	}
	return lines
}

// findingText is a finding without its host: "error ks.tmpl:2: …".
func findingText(f check.Finding) string {
	f.Host = ""
	return strings.Replace(f.String(), " - ", " ", 1)
}

// summaryOf is check's closing line; when lines said findings that many
// hosts share once, it says so, so that the counts match what was shown.
func summaryOf(findings []check.Finding, lines []string, hosts int) string {
	s := check.Summary(findings, hosts)
	if len(lines) < len(findings) {
		s += fmt.Sprintf(" (in %d lines: a finding many hosts share is one line)", len(lines))
	}
	return s
}
