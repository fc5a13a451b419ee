package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// MissingError is a template's {{.Key}} for which the data has no value.
type MissingError struct {
	Template string   // the template's name (a file, or a flag such as --ks)
	Line     int      // 1-based line in the template
	Key      string   // as the template spells it
	Known    []string // the data's keys, sorted
	// Sources, when set, says where the known keys come from (the
	// inventory's columns, --var, built-in), in the order they are listed.
	Sources []Source
	// Hosts, when set, names the hosts the template was rendered for
	// ("30 hosts (esx01 … esx30)").
	Hosts string
}

// Source is where some template variables come from.
type Source struct {
	Name string   // "columns of hosts.csv", "--var", "built-in"
	Keys []string // in the order the source has them
}

func (e *MissingError) Error() string {
	var b strings.Builder
	if e.Line > 0 && !strings.HasPrefix(e.Template, "-") {
		fmt.Fprintf(&b, "%s:%d: ", e.Template, e.Line)
	} else {
		fmt.Fprintf(&b, "%s: ", e.Template)
	}
	fmt.Fprintf(&b, "{{.%s}}: no variable %s", e.Key, e.Key)
	if e.Hosts != "" {
		fmt.Fprintf(&b, " in %s", e.Hosts)
	}
	if near := human.Nearest(e.Key, e.Known); near != "" {
		fmt.Fprintf(&b, "; did you mean {{.%s}}?", near)
	}
	b.WriteString(" (")
	if len(e.Sources) == 0 && len(e.Known) == 0 {
		b.WriteString("there are no variables")
	} else if len(e.Sources) == 0 {
		fmt.Fprintf(&b, "the variables are %s", list(e.Known))
	} else {
		for i, s := range e.Sources {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s", s.Name, list(s.Keys))
		}
	}
	b.WriteString(")")
	return b.String()
}

func list(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

var missingKeyRE = regexp.MustCompile(`map has no entry for key "((?:[^"\\]|\\.)*)"$`)

// missing makes an execution error for a key data lacks a *MissingError
// (nil for any other error).
func missing(name string, err error, data map[string]any) *MissingError {
	var ee template.ExecError
	if !errors.As(err, &ee) {
		return nil
	}
	m := missingKeyRE.FindStringSubmatch(ee.Error())
	if m == nil {
		return nil
	}
	known := make([]string, 0, len(data))
	for k := range data {
		known = append(known, k)
	}
	slices.Sort(known)
	return &MissingError{Template: name, Line: lineOf(name, err), Key: strings.Map(printable, m[1]), Known: known}
}
