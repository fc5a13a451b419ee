package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// helpFlags parses the Flags section of a command's help into each flag's
// left column (-o, --output IMAGE) and its description, unwrapped.
func helpFlags(t *testing.T, help string) (lefts, descs []string) {
	t.Helper()
	_, section, ok := strings.Cut(help, "\nFlags:\n")
	if !ok {
		t.Fatalf("help has no Flags section:\n%s", help)
	}
	section, _, _ = strings.Cut(section, "\n\n")
	const col = 28
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "  -") || strings.HasPrefix(line, "      --") { // a new flag; descriptions start at col
			left, desc := line, ""
			if len(line) > col && line[col-2:col] == "  " {
				left, desc = line[:col], line[col:]
			}
			lefts = append(lefts, strings.TrimSpace(left))
			descs = append(descs, strings.TrimSpace(desc))
			continue
		}
		if len(descs) == 0 {
			t.Fatalf("help's Flags section starts with %q", line)
		}
		descs[len(descs)-1] = strings.TrimSpace(descs[len(descs)-1] + " " + strings.TrimSpace(line))
	}
	return lefts, descs
}

// unroff undoes roffText and the font changes, for reading a page's source
// as text.
func unroff(s string) string {
	return strings.NewReplacer(`\-`, "-", `\e`, `\`, `\fB`, "", `\fI`, "", `\fR`, "", `\&`, "").Replace(s)
}

// squash collapses every run of white space into one space.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestManPages: ManPages writes esxi-autopart.1 and one page per command;
// each command's page names every flag that help COMMAND lists, with the
// same words, and its examples and exit codes; groff formats every page
// without a warning, and the formatted text names every flag.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	date := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	names, err := ManPages(dir, "v9.8.7", date)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"esxi-autopart.1"}
	for _, c := range commands {
		want = append(want, "esxi-autopart-"+c.name+".1")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	if !slices.Equal(names, want) || !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Fatalf("ManPages returned %q and wrote %q; want %q", names, got, want)
	}

	groff, groffErr := exec.LookPath("groff")
	top, err := os.ReadFile(filepath.Join(dir, "esxi-autopart.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			page, err := os.ReadFile(filepath.Join(dir, "esxi-autopart-"+c.name+".1"))
			if err != nil {
				t.Fatal(err)
			}
			src := unroff(string(page))
			if !strings.Contains(string(page), `.TH ESXI\-AUTOPART\-`+strings.ToUpper(c.name)+` 1 2026-12-07 "esxi\-autopart v9.8.7"`) {
				t.Errorf("title line:\n%s", page)
			}
			if !strings.Contains(unroff(string(top)), "esxi-autopart-"+c.name+"(1)") {
				t.Errorf("esxi-autopart(1) does not name esxi-autopart-%s(1)", c.name)
			}
			stdout, _, err := runCLI("help", c.name)
			if err != nil {
				t.Fatal(err)
			}
			lefts, descs := helpFlags(t, stdout)
			if !slices.Contains(lefts, "-h, --help") {
				t.Fatalf("parsed no -h, --help from help %s: %q", c.name, lefts)
			}
			flat := squash(src)
			for i, left := range lefts {
				if !strings.Contains(src, "\n"+left+"\n") {
					t.Errorf("the page does not name %q as help does", left)
				}
				if !strings.Contains(flat, squash(left+" "+descs[i])) {
					t.Errorf("the page does not describe %q as help does: %q", left, descs[i])
				}
			}
			for _, u := range c.usage {
				if !strings.Contains(src, "esxi-autopart "+u+"\n") {
					t.Errorf("the synopsis lacks %q", u)
				}
			}
			for _, e := range c.examples {
				if !strings.Contains(src, "\n"+e+"\n") {
					t.Errorf("the examples lack %q", e)
				}
			}
			for _, e := range c.exits {
				code, text, _ := strings.Cut(e, " ")
				if !strings.Contains(flat, squash(code+" "+text)) {
					t.Errorf("the exit codes lack %q", e)
				}
			}
			if !strings.Contains(flat, squash(c.about)) {
				t.Errorf("the description differs from help's")
			}

			if groffErr != nil {
				return
			}
			var out, warn bytes.Buffer
			cmd := exec.Command(groff, "-man", "-Tascii", "-ww", "-rLL=5000n", "-P-cbou")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(page), &out, &warn
			if err := cmd.Run(); err != nil || warn.Len() > 0 {
				t.Fatalf("groff: %v\n%s", err, warn.Bytes())
			}
			text := squash(out.String())
			for i, left := range lefts {
				if !strings.Contains(text, squash(left+" "+descs[i])) {
					t.Errorf("groff's text lacks %q %q", left, descs[i])
				}
			}
			for _, e := range c.examples {
				if !strings.Contains(text, squash(e)) {
					t.Errorf("groff's text lacks the example %q", e)
				}
			}
		})
	}
	testutil.SkipOrFail(t, groffErr)
}

// TestManPagesKeepOthersFiles: a page already in the folder (someone's
// edited copy) is refused, not replaced.
func TestManPagesKeepOthersFiles(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "esxi-autopart-build.1")
	if err := os.WriteFile(mine, []byte("edited by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ManPages(dir, "v1", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	got, _ := os.ReadFile(mine)
	if !errors.Is(err, os.ErrExist) || string(got) != "edited by hand\n" {
		t.Errorf("err %v; %s holds %q", err, mine, got)
	}
}
