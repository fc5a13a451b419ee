package cli

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestHelp: every command's help goes to stdout with exit 0, the same for
// CMD --help, CMD -h and help CMD, and matches testdata/help/CMD.golden
// (go test -run TestHelp -update rewrites them).
func TestHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(c.name, "--help")
			if err != nil || stderr != "" {
				t.Fatalf("%s --help: %v, stderr %q", c.name, err, stderr)
			}
			for _, want := range []string{"usage: esxi-autopart " + c.name, "\nExamples:\n", "\nExit codes:\n  0 "} {
				if !strings.Contains(stdout, want) {
					t.Errorf("help lacks %q", want)
				}
			}
			if strings.Contains(stdout, "[=true|false]") {
				t.Errorf("a bool flag shows its value:\n%s", stdout)
			}
			golden(t, "help/"+c.name+".golden", stdout)
			for _, args := range [][]string{{c.name, "-h"}, {"help", c.name}} {
				if out, _, err := runCLI(args...); err != nil || out != stdout {
					t.Errorf("%q: %v, and it differs from --help:\n%s", args, err, out)
				}
			}
		})
	}
	top, _, err := runCLI("--help")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "help/esxi-autopart.golden", top)
	for _, args := range [][]string{{"-h"}, {"help"}} {
		if out, _, err := runCLI(args...); err != nil || out != top {
			t.Errorf("%q: %v, and it differs from --help:\n%s", args, err, out)
		}
	}
	for _, c := range commands {
		if !strings.Contains(top, "\n  "+c.name+" ") {
			t.Errorf("the top-level help does not list %s", c.name)
		}
	}
}

// TestUsageErrors: a mistake on the command line exits 2 with nothing on
// stdout and says where the flags are listed.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"build", "--bogus"}, {"inspect", "-x", "a.img"}, {"boot"}, {"help", "nosuch"}, {"nosuch"}, {"manifest", "split"},
		{"version", "extra"}, {"check", "--strict=maybe"},
	} {
		stdout, _, err := runCLI(args...)
		if exitCode(err) != 2 || strings.Contains(stdout, "Exit codes") {
			t.Errorf("%q: exit %d (%v), stdout %q", args, exitCode(err), err, stdout)
		}
	}
	_, _, err := runCLI("build", "--bogus")
	if err == nil || !strings.Contains(err.Error(), "unknown flag --bogus (esxi-autopart help build lists the flags)") {
		t.Errorf("build --bogus: %v", err)
	}
}

// TestShortFlags: -o, -f, -q, -j and -h mean one long flag each in every
// command that has them.
func TestShortFlags(t *testing.T) {
	want := map[string]string{"o": "output", "f": "force", "q": "quiet", "j": "jobs", "h": "help", "v": "verbose"}
	for _, c := range commands {
		fs, _ := c.flagSet(c.new())
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Shorthand != "" && want[f.Shorthand] != f.Name {
				t.Errorf("%s: -%s is --%s; want -%s only for --%s", c.name, f.Shorthand, f.Name, f.Shorthand, want[f.Shorthand])
			}
			for short, long := range want {
				if f.Name == long && f.Shorthand != short {
					t.Errorf("%s: --%s has no -%s", c.name, long, short)
				}
			}
		})
	}
}
