// Package config renders per-host text files (syslinux.cfg, kickstarts) from
// Go text/templates and checks the values that go into them.
//
// It must not know FAT, ISOs or where the rendered files go.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/esxi-autopart/esxi-autopart/builder/fileerr"
)

// Rendered is a rendered file and what was done to it on the way.
type Rendered struct {
	Text []byte
	// CRLF counts the CR bytes removed from the template (CRLF and lone CR
	// become LF: syslinux.cfg and kickstarts are written with LF only).
	CRLF int
}

var keyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckKey reports whether name can be used as a template variable ({{.name}}).
func CheckKey(name string) error {
	if !keyRE.MatchString(name) {
		return fmt.Errorf("variable name %q: use letters, digits and _ (it is used as {{.%s}})", name, strings.Map(printable, name))
	}
	if slices.Contains(Builtins, name) {
		return fmt.Errorf("variable name %q is a built-in template value (%s): rename it", name, strings.Join(Builtins, ", "))
	}
	return nil
}

// Builtins are the template values the builder sets itself; a variable
// (an inventory column, --var) may not take one of their names.
var Builtins = []string{"Host", "KS", "Serial", "Timeout", "Kernel", "FirstModule", "Modules"}

// CheckValue refuses a value that would break a config line: white space,
// control bytes (CR, LF, NUL, ...) or DEL. what names the value in the error.
func CheckValue(what, v string) error { return checkValue(what, v, true) }

// CheckVariable is CheckValue for a template variable (an inventory cell,
// --var): its error names the byte but never quotes the value, which may be
// the root password a kickstart template puts on its rootpw line.
func CheckVariable(what, v string) error { return checkValue(what, v, false) }

func checkValue(what, v string, quote bool) error {
	shown := fmt.Sprintf("%s %q", what, v)
	if !quote {
		shown = fmt.Sprintf("%s (a %d-byte value, not shown: it may be a password)", what, len(v))
	}
	for i, r := range v {
		if r >= utf8.RuneSelf && (unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)) {
			return fmt.Errorf("%s: non-ASCII white space or format character U+%04X at byte %d (the installer would split or keep it)", shown, r, i)
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ' ' || c == '\t':
			return fmt.Errorf("%s: white space at byte %d (it would split the boot line)", shown, i)
		case c < 0x20 || c == 0x7F:
			return fmt.Errorf("%s: control byte 0x%02X at byte %d", shown, c, i)
		}
	}
	return nil
}

// Render executes the template text (named name in errors) with data. A key
// the template uses and data lacks is an error, not an empty string.
func Render(name, text string, data map[string]any) (Rendered, error) {
	crlf := strings.Count(text, "\r")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	t, err := template.New(name).Option("missingkey=error").Funcs(newBudget().funcs()).Parse(text)
	if err != nil {
		return Rendered{}, locate(name, fmt.Errorf("template %s: %w", name, err))
	}
	if err := checkWork(t); err != nil {
		return Rendered{}, fmt.Errorf("template %s: %w", name, err)
	}
	b := &limitBuffer{max: MaxRendered}
	if err := t.Execute(b, data); err != nil {
		if errors.Is(err, errTooLong) {
			return Rendered{}, fmt.Errorf("template %s: renders more than %d bytes (a {{range}} inside a {{range}}?): %w", name, MaxRendered, errTooLong)
		}
		if m := missing(name, err, data); m != nil && m.Line > 0 && !isFlag(name) {
			return Rendered{}, fileerr.Mark(name, m.Line, m)
		} else if m != nil {
			return Rendered{}, m
		}
		return Rendered{}, locate(name, fmt.Errorf("template %s: %w", name, err))
	}
	out := b.Bytes()
	if i := bytes.IndexAny(out, "\r\x00"); i >= 0 {
		return Rendered{}, fmt.Errorf("template %s: rendered text has byte 0x%02X at offset %d", name, out[i], i)
	}
	return Rendered{Text: out, CRLF: crlf}, nil
}

// isFlag reports whether a template's name is a flag's ("--ks"): its text
// is the flag's value, not a file, so its errors are not located in one.
func isFlag(name string) bool { return strings.HasPrefix(name, "-") }

// locate marks a text/template error ("template: NAME:LINE:…") with the
// template's name and line (fileerr), its text unchanged.
func locate(name string, err error) error {
	if n := lineOf(name, err); n > 0 && !isFlag(name) {
		return fileerr.Mark(name, n, err)
	}
	return err
}

// lineOf is the line a text/template error names in template name (0: none).
func lineOf(name string, err error) int {
	i := strings.Index(err.Error(), "template: "+name+":")
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range err.Error()[i+len("template: "+name+":"):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// Data merges the built-in values with user variables. A user variable may
// not shadow a built-in one, and every value is checked with CheckVariable.
func Data(builtin map[string]any, vars map[string]string) (map[string]any, error) {
	d := make(map[string]any, len(builtin)+len(vars))
	for k, v := range builtin {
		d[k] = v
	}
	for k, v := range vars {
		if err := CheckKey(k); err != nil {
			return nil, err
		}
		if _, ok := builtin[k]; ok {
			return nil, fmt.Errorf("variable %q is built in; choose another name", k)
		}
		if err := CheckVariable("variable "+k, v); err != nil {
			return nil, err
		}
		d[k] = v
	}
	return d, nil
}

// MaxRendered bounds what a template may render: syslinux.cfg, a
// kickstart or a ks= value are a few KB; a template that multiplies its
// output (nested {{range}}) stops here instead of filling the memory.
const MaxRendered = 1 << 20

var errTooLong = errors.New("rendered text too long")

// limitBuffer is a bytes.Buffer that refuses to grow past max.
type limitBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errTooLong
	}
	return b.Buffer.Write(p)
}

// printable keeps a name's printable ASCII, so that a message quoting it
// stays on one line.
func printable(r rune) rune {
	if r < 0x20 || r >= 0x7F {
		return '?'
	}
	return r
}
