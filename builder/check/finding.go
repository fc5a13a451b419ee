// Package check finds fleet mistakes before anything is built: values that
// clash across an inventory's hosts, malformed addresses, and kickstarts
// the ESXi installer would stop on or that disagree with the host's boot
// options. It reads; it never writes.
//
// It must not know how images are laid out or written.
package check

import (
	"fmt"
	"sort"
	"strings"
)

// Severities of a Finding.
const (
	Error   = "error"   // the installer would stop, or install the wrong thing
	Warning = "warning" // suspicious; --strict makes it an error
)

// Finding is one mistake, located.
type Finding struct {
	Severity string `json:"severity"`         // Error or Warning
	Host     string `json:"host,omitempty"`   // the host's id ("" for the whole inventory)
	File     string `json:"file"`             // the user's file: the inventory or the kickstart template
	Line     int    `json:"line,omitempty"`   // 1-based line in File (a kickstart's: of the host's rendered copy)
	Column   string `json:"column,omitempty"` // inventory column, or kickstart command
	Value    string `json:"value,omitempty"`  // the value at fault
	Message  string `json:"message"`          // why
}

// String is the one-line form: "error esx01 hosts.csv:12: column ip: …".
func (f Finding) String() string {
	host := f.Host
	if host == "" {
		host = "-"
	}
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	what := ""
	if f.Column != "" {
		what = f.Column + ": "
	}
	return fmt.Sprintf("%s %s %s: %s%s", f.Severity, host, loc, what, f.Message)
}

// Count returns the numbers of errors and warnings.
func Count(fs []Finding) (errors, warnings int) {
	for _, f := range fs {
		if f.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Sort orders findings by file, line, host and message, so output is stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		return a.Message < b.Message
	})
}

// Summary is the closing line: "check: 3 errors, 1 warning in 50 hosts".
func Summary(fs []Finding, hosts int) string {
	e, w := Count(fs)
	return fmt.Sprintf("check: %s, %s in %s", plural(e, "error"), plural(w, "warning"), plural(hosts, "host"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// quote shows a value in a message, escaping what would not print.
func quote(v string) string {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7F || r == '"' || r > 0x7E }) {
		return fmt.Sprintf("%q", v)
	}
	return v
}
