package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Flag annotations: what help, completion and --config know of a flag
// beyond its type.
const (
	annPath     = "esxi-autopart/path"     // a file or folder: completed as one, relative to a --config file's folder
	annValues   = "esxi-autopart/values"   // the words it takes, for completion
	annRequired = "esxi-autopart/required" // shown as (required) in help
	annExts     = "esxi-autopart/exts"     // the endings of the files a path flag takes, for completion (none: any file)
)

func annotate(fs *pflag.FlagSet, key string, values []string, names ...string) {
	for _, n := range names {
		if err := fs.SetAnnotation(n, key, values); err != nil {
			panic(err) // a flag name misspelled in the code
		}
	}
}

func pathFlag(fs *pflag.FlagSet, names ...string) { annotate(fs, annPath, []string{"true"}, names...) }

// fileKinds says which files path flag name takes, by their endings
// ("iso", "tar.gz"): completion offers those (and folders) only.
func fileKinds(fs *pflag.FlagSet, name string, exts ...string) { annotate(fs, annExts, exts, name) }

func requiredFlag(fs *pflag.FlagSet, names ...string) {
	annotate(fs, annRequired, []string{"true"}, names...)
}
func valuesFlag(fs *pflag.FlagSet, name string, values ...string) {
	annotate(fs, annValues, values, name)
}

func hasAnnotation(f *pflag.Flag, key string) bool { return len(f.Annotations[key]) > 0 }

// isBool reports whether f takes no value (--dry-run, not --dry-run=true).
func isBool(f *pflag.Flag) bool { return f.NoOptDefVal == "true" && f.Value.Type() == "bool" }

// topHelp is `esxi-autopart --help`: every command and its summary.
func topHelp() string {
	var b strings.Builder
	b.WriteString("usage: esxi-autopart COMMAND [flags]\n\n")
	b.WriteString("Builds bootable ESXi automation-partition disk images offline, checks them and boots them in QEMU.\n\n")
	b.WriteString("Commands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-11s %s\n", c.name, c.summary)
	}
	b.WriteString("\nesxi-autopart help COMMAND (or COMMAND --help) describes a command, its flags, examples and exit codes.\n")
	b.WriteString("esxi-autopart --version prints the version.\n")
	return b.String()
}

// help is `esxi-autopart CMD --help`.
func (c *command) help(fs *pflag.FlagSet) string {
	var b strings.Builder
	for i, u := range c.usage {
		lead := "usage: "
		if i > 0 {
			lead = "       "
		}
		fmt.Fprintf(&b, "%sesxi-autopart %s\n", lead, u)
	}
	fmt.Fprintf(&b, "\n%s\n", wrap(c.about, 80, ""))
	if fs.HasAvailableFlags() {
		fmt.Fprintf(&b, "\nFlags:\n%s", flagUsages(fs))
	}
	if len(c.examples) > 0 {
		b.WriteString("\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	b.WriteString("\nExit codes:\n")
	for _, e := range c.exits {
		code, text, _ := strings.Cut(e, " ")
		fmt.Fprintf(&b, "  %-4s %s\n", code, strings.TrimLeft(wrap(strings.TrimSpace(text), 80, "       "), " "))
	}
	return b.String()
}

// flagUsages lists fs's flags in the order they were defined: bools bare
// (--dry-run), others with their value's name (--iso ISO), then what the
// flag does, (required) and its default.
func flagUsages(fs *pflag.FlagSet) string {
	const col = 28 // where the descriptions start
	var b strings.Builder
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left, usage := flagHelp(f)
		if f.Shorthand == "" {
			left = "    " + left // under the long names of flags with a short one
		}
		left = "  " + left
		if len(left)+2 > col {
			fmt.Fprintf(&b, "%s\n%s\n", left, wrap(usage, 80, strings.Repeat(" ", col)))
		} else {
			fmt.Fprintf(&b, "%-*s%s\n", col, left, strings.TrimLeft(wrap(usage, 80, strings.Repeat(" ", col)), " "))
		}
	})
	return b.String()
}

// defaultText is f's default as help shows it, "" when it is the zero value.
func defaultText(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "0", "false", "[]", "0s":
		return ""
	}
	if f.Value.Type() == "string" {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// wrap fills text into lines of at most width columns, each starting with
// indent.
func wrap(text string, width int, indent string) string {
	var lines []string
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}

// helpCmd is `esxi-autopart help [COMMAND]`.
type helpCmd struct{}

var helpCommand = &command{
	name:     "help",
	summary:  "describe a command: esxi-autopart help build",
	usage:    []string{"help [COMMAND]"},
	about:    "Prints the help of COMMAND (the same as COMMAND --help), or without one the list of commands, to standard output.",
	examples: []string{"esxi-autopart help build", "esxi-autopart help | less"},
	exits:    []string{"0  the help was printed", "2  no such command"},
	new:      func() runner { return &helpCmd{} },
}

func (*helpCmd) define(*pflag.FlagSet) {}

func (*helpCmd) run(_ context.Context, args []string, stdout, stderr io.Writer) error {
	switch len(args) {
	case 0:
		fmt.Fprint(stdout, topHelp())
		return nil
	case 1:
		c := lookupCommand(args[0])
		if c == nil {
			return unknownCommand("help: ", args[0])
		}
		fs, _ := c.flagSet(c.new())
		fmt.Fprint(stdout, c.help(fs))
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("help: one command at most, not %q", strings.Join(args, " "))}
}
