package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
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

// transcript is what a user sees for each command line: the line, stdout,
// stderr and the exit status, for a golden file.
func transcript(lines [][]string) string {
	var b strings.Builder
	for _, args := range lines {
		stdout, stderr, code := say(args...)
		fmt.Fprintf(&b, "$ esxi-autopart %s\n%s%s[exit %d]\n\n", strings.Join(args, " "), stdout, stderr, code)
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

// scrub makes a transcript stable: durations and temporary folders.
func scrub(s string, dirs map[string]string) string {
	for dir, name := range dirs {
		s = strings.ReplaceAll(s, dir, name)
	}
	return durationRE.ReplaceAllString(s, "in Ts")
}

var durationRE = regexp.MustCompile(`in \d+\.\d+s`)

// TestTemplateMistakes: a template's unknown variable is said once for the
// hosts it hits, with the variables there are and the nearest one (case
// aside); --keep-going lists each mistake once and ends with a count.
func TestTemplateMistakes(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	out := t.TempDir()
	base := []string{"--hosts", "testdata/mistakes/hosts30.csv", "--ks", "http://deploy/ks/{{.id}}.cfg"}
	build := append([]string{"build", "--iso", iso, "--syslinux", tar, "--out-dir", out, "--ks-external", "--no-check"}, base...)
	got := transcript([][]string{
		append(append([]string{"check"}, base...), "--ks-template", "testdata/mistakes/ks_typo.tmpl", "--var", "site=lab"),
		append(slices.Clone(build), "--ks-template", "testdata/mistakes/ks_typo.tmpl"),
		append(slices.Clone(build), "--ks-template", "testdata/mistakes/ks_typo.tmpl", "--keep-going"),
		append(slices.Clone(build), "--cfg-template", "testdata/mistakes/cfg_site.tmpl", "--keep-going", "--force", "-j", "1"),
		append(slices.Clone(build), "--cfg-template", "testdata/mistakes/cfg_site.tmpl", "--keep-going", "--force", "-q", "-j", "1"),
		{"check", "--hosts", "testdata/mistakes/hosts30.csv", "--ks", "http://deploy/ks/{{.ip}}/{{.ID}}.cfg"},
	})
	golden(t, "mistakes/template.txt", scrub(got, map[string]string{iso: "$ISO", tar: "$TAR", out: "$OUT"}))
}

// TestCheckMistakes: what check says of the mistakes a new user made: an
// odd gateway in a subnet, a bad netmask (said once, not as a difference),
// ESXi 4.x's install on 7.0, a ';'-separated inventory, one ks= for every
// host, and --shard without --hosts.
func TestCheckMistakes(t *testing.T) {
	iso, tar := inputs7(t)
	got := transcript([][]string{
		{"check", "--hosts", "testdata/mistakes/hosts30_gw254.csv", "--ks", "http://deploy/ks/{{.id}}.cfg"},
		{"check", "--hosts", "testdata/mistakes/hosts_badmask.csv", "--ks", "http://deploy/ks/{{.id}}.cfg", "--ks-template", "testdata/mistakes/ks_7x.tmpl",
			"--esxi", "7.0"},
		{"check", "--hosts", "testdata/mistakes/hosts_semicolon.csv", "--ks", "http://deploy/ks/{{.id}}.cfg"},
		{"check", "--hosts", "testdata/mistakes/hosts30.csv", "--ks", "http://deploy/ks/esx.cfg"},
		{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx01.cfg", "--shard", "1/2", "-o", "esx01.img"},
	})
	golden(t, "mistakes/check.txt", scrub(got, map[string]string{iso: "$ISO", tar: "$TAR"}))
}

// TestConfigMistakes: a settings file's mistakes name the file and line:
// a key no command takes (with the nearest), a key in the wrong command's
// section, a value of the wrong type even for another command's key.
func TestConfigMistakes(t *testing.T) {
	golden(t, "mistakes/config.txt", transcript([][]string{
		{"check", "--config", "testdata/mistakes/config_typo.yaml"},
		{"check", "--config", "testdata/mistakes/config_section.yaml"},
		{"check", "--config", "testdata/mistakes/config_type.yaml"},
	}))
}

// TestInterruptedSays: an interrupted command says so once, with what was
// done, and never Go's "context canceled".
func TestInterruptedSays(t *testing.T) {
	sig := errors.New("interrupt signal received")
	for _, c := range []struct {
		err  error
		want string
	}{
		{context.Canceled, "interrupted (interrupt signal received)"},
		{fmt.Errorf("esx01.img: writing: %w", context.Canceled), "interrupted (interrupt signal received): esx01.img: writing"},
		{&batch.Stopped{Msg: "4 of 30 hosts built and verified before the run was stopped, none put in place; no SHA256SUMS written", Err: context.Canceled},
			"interrupted (interrupt signal received): 4 of 30 hosts built and verified before the run was stopped, none put in place; no SHA256SUMS written"},
	} {
		err := &interrupted{cause: sig, err: c.err}
		if err.Error() != c.want || !errors.Is(err, context.Canceled) {
			t.Errorf("%v: %q, want %q", c.err, err, c.want)
		}
	}
}

// TestVerbose: build -v says on stderr what it decided and why: layout,
// syslinux and the tarball cache, FAT type, sizes, the zero-run cache.
func TestVerbose(t *testing.T) {
	t.Setenv("ESXI_AUTOPART_CACHE", t.TempDir())
	cache := os.Getenv("ESXI_AUTOPART_CACHE")
	iso, tar := inputs(t, tarball.Spec{})
	iso7, tar7 := inputs7(t)
	dir := t.TempDir()
	var b strings.Builder
	for _, args := range [][]string{
		{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks", "-o", filepath.Join(dir, "a.img"), "-v"},
		{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks", "-o", filepath.Join(dir, "b.img"), "-v", "--size", "40M", "--fat", "32"},
		{"build", "--iso", iso7, "--syslinux", tar7, "--ks", "http://d/ks", "--dry-run", "-v"},
	} {
		_, stderr, code := say(args...)
		fmt.Fprintf(&b, "[exit %d]\n%s", code, stderr)
	}
	golden(t, "output/verbose.txt", scrub(b.String(), map[string]string{cache: "$CACHE", iso: "$ISO", tar: "$TAR", iso7: "$ISO7", tar7: "$TAR7"}))
}
