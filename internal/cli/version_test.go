package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

func TestFormatVersion(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	bi := func(v string, settings ...string) *debug.BuildInfo {
		b := &debug.BuildInfo{Main: debug.Module{Path: "github.com/esxi-autopart/esxi-autopart", Version: v}}
		for i := 0; i+1 < len(settings); i += 2 {
			b.Settings = append(b.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return b
	}
	for _, tt := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{bi("v1.2.0"), "v1.2.0"}, // go install ...@v1.2.0
		{bi("v1.2.0", "vcs.revision", rev), "v1.2.0"},
		{bi("(devel)", "vcs.revision", rev, "vcs.modified", "false"), "0123456789ab"},
		{bi("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "0123456789ab-dirty"},
		{bi("", "vcs.revision", "abc"), "abc"},
		{bi("(devel)"), "dev"}, // -buildvcs=false
		{bi("v0.0.0-20261202133601-0123456789ab+dirty", "vcs.revision", rev, "vcs.modified", "true"), "0123456789ab-dirty"},
		{bi("v1.3.0+dirty", "vcs.revision", rev, "vcs.modified", "true"), "v1.3.0+dirty"}, // built at a tag
	} {
		if got := formatVersion(tt.bi); got != tt.want {
			t.Errorf("formatVersion(%+v) = %q, want %q", tt.bi, got, tt.want)
		}
	}
}

// TestVersionBinary builds the binary from a fresh git repository holding
// this tree's files (Go stamps no revision in a git worktree, whose .git is
// a file) and checks that version and --version print its revision, then
// the revision marked -dirty after a change.
func TestVersionBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	clone := testutil.CopyTree(t, repoRoot)
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", clone, "-c", "user.name=test", "-c", "user.email=test@example.com"}, args...)...)
		cmd.Env = withoutGit(clone)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "test")
	head := git("rev-parse", "HEAD")
	bin := filepath.Join(t.TempDir(), "esxi-autopart")
	rev := string(head[:12])
	for _, tree := range []string{"clean", "dirty"} {
		if tree == "dirty" { // an uncommitted change
			f, err := os.OpenFile(filepath.Join(clone, "main.go"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("\n// changed\n")
			f.Close()
			rev += "-dirty"
		}
		build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
		build.Dir, build.Env = clone, withoutGit(clone)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		for _, arg := range []string{"version", "--version"} {
			out, err := exec.Command(bin, arg).Output()
			if want := "esxi-autopart " + rev + "\n"; err != nil || string(out) != want {
				t.Errorf("%s tree, %s: %q, %v; want %q", tree, arg, out, err, want)
			}
		}
	}
	// manifest.json records the same version.
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hosts.csv"), []byte("id\nesx01\n"), 0o644)
	if out, err := exec.Command(bin, "build", "--iso", iso, "--syslinux", tar, "--hosts", filepath.Join(dir, "hosts.csv"),
		"--ks", "http://d/{{.id}}", "--out-dir", filepath.Join(dir, "out"), "-q").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var m struct{ Version string }
	b, _ := os.ReadFile(filepath.Join(dir, "out", "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil || m.Version != rev {
		t.Errorf("manifest.json version %q (%v), want %q", m.Version, err, rev)
	}
}

// withoutGit is the environment without git's variables, for commands on
// the temporary repository at dir: under git rebase --exec or a hook,
// GIT_DIR names this repository, and git init, add and commit would act on
// it (its shared config and its index) instead.
func withoutGit(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	return append(env, "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir), "GIT_CONFIG_NOSYSTEM=1")
}

// TestVersionJSON: version --json (and --version --json) is one document
// with the version manifest.json records, Go's release and the platform.
func TestVersionJSON(t *testing.T) {
	for _, args := range [][]string{{"version", "--json"}, {"--version", "--json"}} {
		stdout, _, err := runCLI(args...)
		var doc struct {
			SchemaVersion               int `json:"schema_version"`
			Type, Version, Go, Platform string
		}
		if err != nil || json.Unmarshal([]byte(stdout), &doc) != nil || doc.SchemaVersion != 1 || doc.Type != "version" ||
			doc.Version != versionString() || doc.Go != runtime.Version() || doc.Platform != runtime.GOOS+"/"+runtime.GOARCH {
			t.Errorf("%q: %v %+v\n%s", args, err, doc, stdout)
		}
	}
}
