package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// ManPages writes a groff man(7) page in section 1 for the program,
// esxi-autopart.1, and one per command, esxi-autopart-COMMAND.1, into dir
// (which must exist), and returns their names. Every page is made from the
// text help prints (synopsis, about, flags, examples, exit codes), so
// that the two cannot drift apart; version and date go into each page's
// title line. The release build calls it (scripts/release).
func ManPages(dir, version string, date time.Time) ([]string, error) {
	pages := map[string]string{"esxi-autopart.1": topMan(version, date)}
	names := []string{"esxi-autopart.1"}
	for _, c := range commands {
		name := "esxi-autopart-" + c.name + ".1"
		pages[name] = c.man(version, date)
		names = append(names, name)
	}
	for _, name := range names { // a file already there is not ours to replace
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		_, err = f.WriteString(pages[name])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	return names, nil
}

// manHeader is a page's comment and title line.
func manHeader(title, version string, date time.Time) string {
	return fmt.Sprintf(".\\\" Made by esxi-autopart from its help text (internal/cli/man.go); do not edit.\n"+
		".TH %s 1 %s %s \"User Commands\"\n",
		strings.ToUpper(roffText(title)), date.UTC().Format("2006-01-02"), roffQuote("esxi-autopart "+version))
}

// topMan is esxi-autopart(1): what topHelp says, each command a
// paragraph naming its page.
func topMan(version string, date time.Time) string {
	var b strings.Builder
	b.WriteString(manHeader("esxi-autopart", version, date))
	b.WriteString(".SH NAME\nesxi\\-autopart \\- build, check and boot ESXi automation\\-partition disk images offline\n")
	b.WriteString(".SH SYNOPSIS\n\\fBesxi\\-autopart\\fR \\fICOMMAND\\fR [\\fIflags\\fR]\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(roffLines("Builds bootable ESXi automation-partition disk images offline, checks them and boots them in QEMU."))
	b.WriteString(".PP\n")
	b.WriteString(roffLines("esxi-autopart help COMMAND (or COMMAND --help) describes a command, its flags, examples and exit " +
		"codes; its manual page is esxi-autopart-COMMAND(1). esxi-autopart --version prints the version."))
	b.WriteString(".SH COMMANDS\n")
	for _, c := range commands {
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fR\n%s.br\nSee \\fBesxi\\-autopart\\-%s\\fR(1).\n",
			roffText(c.name), roffLines(c.summary), roffText(c.name))
	}
	b.WriteString(".SH SEE ALSO\n")
	var refs []string
	for _, c := range commands {
		refs = append(refs, fmt.Sprintf("\\fBesxi\\-autopart\\-%s\\fR(1)", roffText(c.name)))
	}
	b.WriteString(strings.Join(refs, ",\n") + "\n")
	return b.String()
}

// man is c's page: c.help's sections in man(7) form.
func (c *command) man(version string, date time.Time) string {
	fs, _ := c.flagSet(c.new())
	var b strings.Builder
	b.WriteString(manHeader("esxi-autopart-"+c.name, version, date))
	fmt.Fprintf(&b, ".SH NAME\nesxi\\-autopart\\-%s \\- %s", roffText(c.name), roffLines(c.summary))
	b.WriteString(".SH SYNOPSIS\n")
	for i, u := range c.usage {
		if i > 0 {
			b.WriteString(".br\n")
		}
		fmt.Fprintf(&b, "\\fBesxi\\-autopart\\fR %s", roffLines(u))
	}
	fmt.Fprintf(&b, ".SH DESCRIPTION\n%s", roffLines(c.about))
	if fs.HasAvailableFlags() {
		b.WriteString(".SH OPTIONS\n")
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			left, usage := flagHelp(f)
			fmt.Fprintf(&b, ".TP\n%s\n%s", roffFlag(left), roffLines(usage))
		})
	}
	if len(c.examples) > 0 {
		b.WriteString(".SH EXAMPLES\n.RS 4\n.nf\n")
		for _, e := range c.examples {
			b.WriteString(roffLines(e))
		}
		b.WriteString(".fi\n.RE\n")
	}
	b.WriteString(".SH EXIT STATUS\n")
	for _, e := range c.exits {
		code, text, _ := strings.Cut(e, " ")
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fR\n%s", roffText(code), roffLines(strings.TrimSpace(text)))
	}
	b.WriteString(".SH SEE ALSO\n\\fBesxi\\-autopart\\fR(1)\n")
	return b.String()
}

// flagHelp is f as help lists it: the left column (-o, --output IMAGE)
// and the description with (required) and the default.
func flagHelp(f *pflag.Flag) (left, usage string) {
	left = "--" + f.Name
	if f.Shorthand != "" {
		left = "-" + f.Shorthand + ", --" + f.Name
	}
	name, usage := pflag.UnquoteUsage(f)
	if name == "stringArray" {
		name = "string"
	}
	if !isBool(f) && name != "" {
		left += " " + name
	}
	if hasAnnotation(f, annRequired) {
		usage += " (required)"
	}
	if d := defaultText(f); d != "" {
		usage += " (default " + d + ")"
	}
	return left, usage
}

// roffFlag sets a flag's left column: the flags bold, the value's name
// italic.
func roffFlag(left string) string {
	var parts []string
	for _, p := range strings.Split(left, ", ") {
		flag, value, ok := strings.Cut(p, " ")
		s := "\\fB" + roffText(flag) + "\\fR"
		if ok {
			s += " \\fI" + roffText(value) + "\\fR"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// roffText escapes s for a line of text: backslashes print as themselves,
// every - is a minus (as in a flag or a command to copy), and a character
// past ASCII (…, —, ×) is named by its code point, which groff reads in
// any input encoding.
func roffText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 0x7E:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// roffLines is s escaped as text lines ending in a newline; a line that
// would start with a control character (. or ') is guarded with \&.
func roffLines(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = roffText(line)
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			line = `\&` + line
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// roffQuote is s as one quoted macro argument.
func roffQuote(s string) string {
	return `"` + strings.ReplaceAll(roffText(s), `"`, `""`) + `"`
}
