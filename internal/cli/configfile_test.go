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

// TestOneConfig: one file drives every command: a key of another
// command's flag is left out, a command's section wins over the top level
// for that command only, and --var merges top level, section and command
// line in that order.
func TestOneConfig(t *testing.T) {
	iso, tar := inputs7(t)
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts.csv")
	os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\nesx02,10.0.0.2\n"), 0o644)
	cfg := filepath.Join(dir, "pipeline.yaml")
	os.WriteFile(cfg, []byte(`iso: `+iso+`
syslinux: `+tar+`
hosts: hosts.csv
ks: http://deploy/ks/{{.id}}.cfg
out-dir: images
var: {site: top, netmask: "24"}
check:
  strict: true
  var: {site: check}
build:
  ks: http://other/{{.id}}/{{.site}}.cfg
  dry-run: true
`), 0o644)
	stdout, stderr, err := runCLI("check", "--config", cfg, "--json")
	if err != nil || !strings.Contains(stdout, `"hosts": 2`) {
		t.Errorf("check: %v\n%s%s", err, stdout, stderr)
	}
	stdout, stderr, err = runCLI("build", "--config", cfg, "--var", "site=cli")
	if err != nil || !strings.Contains(stdout, "ks=http://other/esx01/cli.cfg") {
		t.Errorf("build: %v\n%s%s", err, stdout, stderr)
	}
	stdout, stderr, err = runCLI("build", "--config", cfg)
	if err != nil || !strings.Contains(stdout, "ks=http://other/esx02/top.cfg") {
		t.Errorf("build without --var: %v\n%s%s", err, stdout, stderr)
	}
	// check's section sets strict: a warning fails check, not build.
	os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\nesx02,10.0.0.2\n"), 0o644)
	os.WriteFile(cfg, []byte("hosts: hosts.csv\nks: http://deploy/ks.cfg\niso: "+iso+"\nsyslinux: "+tar+"\ncheck:\n  strict: true\nbuild:\n  dry-run: true\n  out-dir: images\n"), 0o644)
	if _, _, err := runCLI("check", "--config", cfg); exitCode(err) != 1 {
		t.Errorf("check with strict: from its section: exit %d (%v), want 1 (one ks= for all hosts)", exitCode(err), err)
	}
	if _, stderr, err := runCLI("build", "--config", cfg); err != nil || !strings.Contains(stderr, "all 2 hosts boot with this ks=") {
		t.Errorf("build: %v (strict: is check's alone)\n%s", err, stderr)
	}
}

// TestConfigErrors: every mistake in a config file names the file and
// the line, and exits 2.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ yaml, want string }{
		{"iso: a.iso\nisoo: b.iso\n", `line 2: unknown key "isoo": no command has --isoo; did you mean iso?`},
		{"frobnicate: 1\n", `line 1: unknown key "frobnicate": no command has --frobnicate (keys are long flag names, or a command's name for its own section)`},
		{"check:\n  strict: true\n  out-dir: x\n", `line 3: unknown key "out-dir" in section check: check has no --out-dir (build takes it)`},
		{"build:\n  strict: true\n", `line 2: unknown key "strict" in section build: build has no --strict (check takes it)`},
		{"strict: maybe\n", `line 1: strict: invalid argument "maybe"`}, // check's key, checked by build too
		{"boot:\n  timeout: soon\n", `line 2: timeout: invalid argument "soon"`},
		{"build:\n  iso: a\n  iso: b\n", "line 3: iso is set twice (first on line 2)"},
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
