package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildConfig: --config sets a command's flags from YAML, relative
// paths from the file's folder; the command line wins, --var merges.
func TestBuildConfig(t *testing.T) {
	iso, tar := inputs7(t)
	dir := filepath.Dir(iso) // the config file lies beside the inputs and names them relatively
	cfg := filepath.Join(dir, "build.yaml")
	os.WriteFile(cfg, []byte(`# settings for the 7.0 hosts
iso: `+filepath.Base(iso)+`
syslinux: ../`+filepath.Base(dir)+"/"+filepath.Base(tar)+`
ks: http://deploy/ks/{{.id}}.cfg
host: esx01
timeout: 2s
var:
  ip: 10.0.0.1
  netmask: 255.255.255.0
dry-run: true
`), 0o644)
	tar2 := filepath.Join(filepath.Dir(tar), filepath.Base(tar))
	stdout, stderr, err := runCLI("build", "--config", cfg, "--host", "esx02", "--var", "ip=10.0.0.2")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"from " + tar2 + " ", "host       esx02  ks=http://deploy/ks/esx02.cfg", "ip=10.0.0.2", "netmask=255.255.255.0", "TIMEOUT 20\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "ip=10.0.0.1") {
		t.Errorf("the config's ip won over --var's:\n%s", stdout)
	}
	// A repeatable flag takes a list too.
	os.WriteFile(cfg, []byte("iso: "+iso+"\nsyslinux: "+tar+"\nks: http://d/ks.cfg\nvar: [ip=10.0.0.5, netmask=255.255.0.0]\ndry-run: true\n"), 0o644)
	stdout, stderr, err = runCLI("build", "--config", cfg)
	if err != nil || !strings.Contains(stdout, "ip=10.0.0.5") || !strings.Contains(stdout, "netmask=255.255.0.0") {
		t.Errorf("var as a list: %v\n%s%s", err, stderr, stdout)
	}
}

// TestConfigErrors: every mistake in a config file names the file and
// the line, and exits 2.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ yaml, want string }{
		{"iso: a.iso\nisoo: b.iso\n", `line 2: unknown key "isoo": build has no --isoo flag to set from a file`},
		{"iso: [a, b]\n", "line 1: iso: want a single value, not a list (--iso is not repeatable)"},
		{"iso: a\n  b: c\n", "yaml: line 2: mapping values are not allowed"},
		{"- iso\n", "line 1: want flag names and their values (iso: ESXi.iso), not a list"},
		{"iso: a\niso: b\n", "line 2: iso is set twice (first on line 1)"},
		{"config: other.yaml\n", `line 1: unknown key "config"`},
		{"iso:\n", "line 1: iso: no value"},
		{"jobs: many\n", `line 1: jobs: invalid argument "many"`},
		{"var:\n  ip: [1, 2]\n", "line 2: variable ip: want a single value, not a list"},
	} {
		p := filepath.Join(dir, "c.yaml")
		os.WriteFile(p, []byte(tt.yaml), 0o644)
		_, _, err := runCLI("build", "--config", p, "--dry-run")
		if exitCode(err) != 2 || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v (exit %d), want %q", tt.yaml, err, exitCode(err), tt.want)
		}
	}
	_, _, err := runCLI("inspect", "--config", filepath.Join(dir, "none.yaml"), "x.img")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("missing config: %v", err)
	}
}
