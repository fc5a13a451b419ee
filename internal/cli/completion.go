package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

var completionCommand = &command{
	name:    "completion",
	summary: "print a shell completion script: completion bash|zsh|fish",
	usage:   []string{"completion bash|zsh|fish"},
	about: "Prints a completion script for the shell, made from the commands' own flag sets (so it names every " +
		"flag this binary has): command names, flags, the words a flag takes (--firmware bios|uefi|both), " +
		"file names where a flag or argument is a file.",
	examples: []string{
		"source <(esxi-autopart completion bash)",
		"esxi-autopart completion zsh > \"${fpath[1]}/_esxi-autopart\"",
		"esxi-autopart completion fish > ~/.config/fish/completions/esxi-autopart.fish",
	},
	exits: []string{"0  the script was printed", "2  no shell, or one it does not know"},
	new:   func() runner { return &completionCmd{} },
}

type completionCmd struct{}

func (*completionCmd) define(*pflag.FlagSet) {}

func (*completionCmd) run(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) != 1 {
		return usageError(completionCommand, fmt.Errorf("want one shell (bash, zsh or fish), got %d arguments", len(args)))
	}
	gen := map[string]func() string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}[args[0]]
	if gen == nil {
		return usageError(completionCommand, fmt.Errorf("shell %q: want bash, zsh or fish", args[0]))
	}
	fmt.Fprint(stdout, gen())
	return nil
}

// The files some flags take, by ending (fileKinds).
var (
	tarballKinds   = []string{"tar.gz", "tar.bz2", "tar.xz"} // the syslinux release tarball
	inventoryKinds = []string{"csv", "json"}                 // inventory.Read: .json, else CSV
)

// compFlag is one flag as the completion scripts see it.
type compFlag struct {
	long, short, usage string
	takes              string   // "" (a bool), "path", "words" or "value"
	words              []string // for "words"
	exts               []string // for "path": the endings of the files it takes (none: any file)
	repeat             bool
}

// compFlags lists c's flags.
func compFlags(c *command) []compFlag {
	fs, _ := c.flagSet(c.new())
	var out []compFlag
	fs.VisitAll(func(f *pflag.Flag) {
		_, usage := pflag.UnquoteUsage(f)
		if i := strings.Index(usage, " ("); i > 0 {
			usage = usage[:i]
		}
		cf := compFlag{long: f.Name, short: f.Shorthand, usage: usage, repeat: strings.HasSuffix(f.Value.Type(), "Array")}
		switch {
		case isBool(f):
		case hasAnnotation(f, annPath):
			cf.takes, cf.exts = "path", f.Annotations[annExts]
		case hasAnnotation(f, annValues):
			cf.takes, cf.words = "words", f.Annotations[annValues]
		default:
			cf.takes = "value"
		}
		out = append(out, cf)
	})
	return out
}

// compArgs is what c's arguments are: words to offer, and whether files
// are arguments too.
func compArgs(c *command) (words []string, files bool) {
	switch c.name {
	case "help":
		return commandNames(), false
	case "completion":
		return []string{"bash", "zsh", "fish"}, false
	case "manifest":
		return []string{"merge"}, true
	case "inspect", "boot", "media":
		return nil, true
	}
	return nil, false
}

func commandNames() []string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return names
}
