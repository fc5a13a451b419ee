package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"io"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/spf13/pflag"
)

// command is one verb: its help and its flags, apart from running it, so
// that help, completion and --config see the flag set the run parses.
type command struct {
	name     string
	summary  string   // one line in the top-level list
	usage    []string // synopsis lines, after "esxi-autopart "
	about    string   // one paragraph
	examples []string
	exits    []string                // "N  meaning"
	rewrite  func([]string) []string // old spellings made current before parsing (nil: none)
	noConfig bool                    // no --config: nothing worth keeping in a file (version)
	pathArgs bool                    // every positional argument is a file or a device (inspect, boot, media, write)
	new      func() runner
}

// runner holds one command's flag values and runs it with the positional
// arguments left after parsing.
type runner interface {
	define(fs *pflag.FlagSet)
	run(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists every verb in the order the top-level help shows them.
// It is filled in init (the help command reads it).
var commands []*command

func init() {
	commands = []*command{buildCommand, writeCommand, checkCommand, inspectCommand, mediaCommand, bootCommand, manifestCommand,
		demoCommand, completionCommand, versionCommand, helpCommand}
}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// flagSet is c's flags as r defines them, plus --config (for a command
// with flags) and --help.
func (c *command) flagSet(r runner) (*pflag.FlagSet, *flagExtras) {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned; help goes to stdout
	fs.Usage = func() {}
	fs.SortFlags = false
	r.define(fs)
	x := &flagExtras{}
	if fs.HasFlags() && !c.noConfig { // a command with settings can take them from a file
		fs.StringVar(&x.config, "config", "", "read flags from this YAML `FILE` (keys: long flag names, other commands' ignored; check:, build: ... sections; the command line wins)")
		pathFlag(fs, "config")
		fileKinds(fs, "config", "yaml", "yml")
	}
	fs.BoolVarP(&x.help, "help", "h", false, "print this help and exit")
	return fs, x
}

// flagExtras are the flags every command has.
type flagExtras struct {
	config string
	help   bool
}

// execute parses args for c and runs it: --help prints c's help to
// stdout, a usage error exits 2.
func (c *command) execute(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r := c.new()
	fs, x := c.flagSet(r)
	if c.rewrite != nil {
		args = c.rewrite(args)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) { // -help, as Go's flag package spells it
			x.help = true
		} else {
			var ne *pflag.NotExistError
			if errors.As(err, &ne) {
				err = unknownFlag(fs, ne)
			}
			return usageError(c, err)
		}
	}
	if x.help {
		fmt.Fprint(stdout, c.help(fs))
		return nil
	}
	if x.config != "" {
		if err := applyConfig(fs, x.config); err != nil {
			return &exitError{code: 2, err: err}
		}
	}
	enterPaths(fs)
	args = fs.Args()
	if c.pathArgs {
		args = enteredArgs(args)
	}
	return r.run(ctx, args, stdout, stderr)
}

// enterPaths rewrites every file or folder flag given with a ".." element
// into the path the kernel reaches (fileio.Entered), so that what the
// commands check, join and compare as text is the file the kernel opens.
func enterPaths(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Changed || !hasAnnotation(f, annPath) {
			return
		}
		switch v := f.Value.(type) {
		case pflag.SliceValue: // --add-module FILE[:NAME]: the folder resolved, the last element kept
			v.Replace(enteredArgs(v.GetSlice()))
		default:
			if f.Value.Type() == "string" {
				if s := f.Value.String(); fileio.Entered(s) != s {
					f.Value.Set(fileio.Entered(s))
				}
			}
		}
	})
}

// enteredArgs is paths, each as the kernel reaches it (fileio.Entered).
func enteredArgs(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = fileio.Entered(p)
	}
	return out
}

// usageError is a command-line mistake: exit 2, with where to look.
func usageError(c *command, err error) error {
	return &exitError{code: 2, err: fmt.Errorf("%s: %w (esxi-autopart help %s lists the flags)", c.name, err, c.name)}
}

// unknownFlag says which flag of a command line is unknown, as typed, and the nearest one
// fs has: --sylinux (--syslinux), -syslinux (a long flag with one dash).
func unknownFlag(fs *pflag.FlagSet, ne *pflag.NotExistError) error {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	typed := "--" + ne.GetSpecifiedName()
	word := ne.GetSpecifiedName()
	if group := ne.GetSpecifiedShortnames(); group != "" {
		typed, word = "-"+group, group
		if len(group) == 1 {
			return fmt.Errorf("unknown flag %s", typed)
		}
	}
	if near := human.Nearest(word, names); near != "" {
		return fmt.Errorf("unknown flag %s; did you mean --%s?", typed, near)
	}
	return fmt.Errorf("unknown flag %s", typed)
}

// unknownCommand is a command name that is none of the commands, with
// the nearest one, or else the list.
func unknownCommand(prefix, name string) error {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	if near := human.Nearest(name, names); near != "" {
		return &exitError{code: 2, err: fmt.Errorf("%sunknown command %q; did you mean %s? (esxi-autopart help lists the commands)", prefix, name, near)}
	}
	return &exitError{code: 2, err: fmt.Errorf("%sunknown command %q; the commands are %s (esxi-autopart help describes them)", prefix, name, strings.Join(names, ", "))}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topHelp())
		return &exitError{code: 2}
	}
	name := args[0]
	switch name {
	case "--version":
		name = "version"
	case "-h", "--help":
		name = "help"
	}
	c := lookupCommand(name)
	if c == nil {
		return unknownCommand("", name)
	}
	return c.execute(ctx, args[1:], stdout, stderr)
}
