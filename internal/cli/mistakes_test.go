package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// say runs a command line as Main does (the error printed as the user
// sees it) and returns stdout, stderr and the exit status.
func say(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := 0
	if err := run(context.Background(), args, &out, &errb); err != nil {
		code = reportError(args, err, &out, &errb)
	}
	return out.String(), errb.String(), code
}

// transcript is what a user sees for each command line: the line, the
// exit status and stderr, for a golden file.
func transcript(lines [][]string) string {
	var b strings.Builder
	for _, args := range lines {
		_, stderr, code := say(args...)
		fmt.Fprintf(&b, "$ esxi-autopart %s\n%s[exit %d]\n\n", strings.Join(args, " "), stderr, code)
	}
	return b.String()
}

// TestCommandLineMistakes: a misspelt command or flag gets one line, the
// error first, with the nearest name and where the names are listed, and
// no usage dump.
func TestCommandLineMistakes(t *testing.T) {
	golden(t, "mistakes/command_line.txt", transcript([][]string{
		{"biuld"}, {"frobnicate"}, {"help", "chek"},
		{"build", "--sylinux", "s.tar.gz"}, {"build", "-sylinux", "s.tar.gz"}, {"build", "--sys", "s.tar.gz"},
		{"check", "--hots", "hosts.csv"}, {"build", "-x"}, {"inspect", "--bogus", "a.img"},
	}))
}
