package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/kickstart"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

func TestMenuTimeout(t *testing.T) {
	tests := []struct {
		in      string
		tenths  int
		warn    bool
		wantErr string
	}{
		{"5s", 50, false, ""},
		{"0", 0, false, ""},
		{"0s", 0, false, ""},
		{"1m30s", 900, false, ""},
		{"150ms", 2, false, ""}, // rounded to the nearest tenth
		{"149ms", 1, false, ""},
		{"50ms", 1, false, ""},
		{"59m59.6s", 35996, false, ""},
		{"50", 50, true, ""}, // the old spelling: tenths
		{"35996", 35996, true, ""},
		{"49ms", 0, false, "rounds to 0, which waits for a key forever"},
		{"-1s", 0, false, "want 0 (wait for a key) or more"},
		{"1h", 0, false, "syslinux waits at most 59m59.6s (35996 tenths of a second)"},
		{"-1", 0, false, "want 0 (wait for a key) to 35996 tenths"},
		{"40000", 0, false, "35996"},
		{"5 s", 0, false, "want a duration such as 5s"},
	}
	for _, tt := range tests {
		mt := menuTimeout{tt.in}
		n, warn, err := mt.tenths()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--timeout "+tt.in+":") {
				t.Errorf("%q: %d, %v; want an error with %q", tt.in, n, err, tt.wantErr)
			}
			continue
		}
		if err != nil || n != tt.tenths || (warn != "") != tt.warn {
			t.Errorf("%q: %d, %q, %v; want %d (warning %v)", tt.in, n, warn, err, tt.tenths, tt.warn)
		}
	}
	if _, warn, _ := (&menuTimeout{"50"}).tenths(); warn != "--timeout 50: a bare number is read as tenths of a second (5s), as before; write --timeout 5s" {
		t.Errorf("warning: %q", warn)
	}
}

// TestBuildTimeoutSerial: --timeout takes a duration (and, with a warning,
// the old tenths); --serial is a bool that still takes on and off.
func TestBuildTimeoutSerial(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	base := []string{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks.cfg", "--dry-run"}
	tests := []struct {
		args     []string
		cfg      []string // lines syslinux.cfg must have
		noSerial bool
		warn     string
	}{
		{nil, []string{"  | timeout 50\n", "  | serial 0 115200\n"}, false, ""},
		{[]string{"--timeout", "1m", "--serial"}, []string{"  | timeout 600\n", "  | serial 0 115200\n"}, false, ""},
		{[]string{"--timeout", "30", "--serial=false"}, []string{"  | timeout 30\n"}, true, "warning: --timeout 30: a bare number is read as tenths"},
		{[]string{"--serial", "off"}, nil, true, "warning: --serial off: write --serial=false"},
		{[]string{"--serial=off"}, nil, true, "warning: --serial off: write --serial=false"},
		{[]string{"--serial", "on"}, []string{"  | serial 0 115200\n"}, false, "warning: --serial on: write --serial=true"},
		{[]string{"--serial=off", "--quiet"}, nil, true, ""},
	}
	for _, tt := range tests {
		stdout, stderr, err := runCLI(append(base, tt.args...)...)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		for _, want := range tt.cfg {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q: syslinux.cfg lacks %q:\n%s", tt.args, want, stdout)
			}
		}
		if strings.Contains(stdout, "serial 0 115200") == tt.noSerial {
			t.Errorf("%q: serial line present = %v", tt.args, !tt.noSerial)
		}
		if (tt.warn == "") != (stderr == "") || !strings.Contains(stderr, tt.warn) {
			t.Errorf("%q: stderr %q, want %q", tt.args, stderr, tt.warn)
		}
	}
	if _, _, err := runCLI(append(base, "--serial=maybe")...); exitCode(err) != 2 || !strings.Contains(err.Error(), "want true or false (or on, off)") {
		t.Errorf("--serial=maybe: %v", err)
	}
}

// TestBuildSingleID: {{.id}} works in a single build as in a batch (from
// --id, else --host), so one kickstart template serves both.
func TestBuildSingleID(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	ks := filepath.Join(dir, "ks.tmpl")
	os.WriteFile(ks, []byte(kickstart.V4+"network --bootproto=dhcp --hostname={{.id}}\n"), 0o644)
	base := []string{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/{{.id}}.cfg", "--ks-template", ks}
	for _, tt := range []struct {
		args []string
		ksID string
	}{
		{[]string{"--host", "esx01"}, "esx01"},
		{[]string{"--id", "esx02"}, "esx02"},
		{[]string{"--host", "esx03.example", "--id", "esx03"}, "esx03"},
		{[]string{"--var", "id=esx04"}, "esx04"},
	} {
		out := filepath.Join(dir, tt.ksID+".img")
		if _, stderr, err := runCLI(append(append(base, tt.args...), "-o", out, "-q")...); err != nil {
			t.Errorf("%q: %v\n%s", tt.args, err, stderr)
			continue
		}
		cfg, _ := os.ReadFile(filepath.Join(dir, tt.ksID+".cfg"))
		if !strings.Contains(string(cfg), "--hostname="+tt.ksID+"\n") {
			t.Errorf("%q: kickstart:\n%s", tt.args, cfg)
		}
		rep, err := inspectFile(context.Background(), out, "")
		if err != nil || !strings.Contains(rep.Text(), "ks=http://deploy/ks/"+tt.ksID+".cfg\n") {
			t.Errorf("%q: %v, ks= not the host's:\n%s", tt.args, err, rep.Text())
		}
	}
	_, _, err := runCLI(append(base, "--dry-run")...)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--ks uses {{.id}}, which a single build takes from --id or --host") {
		t.Errorf("no --id or --host: %v", err)
	}
	_, _, err = runCLI(append(base, "--dry-run", "--id", "a", "--var", "id=b")...)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--var id=b and --id/--host a disagree") {
		t.Errorf("--id and --var id: %v", err)
	}
}

// TestBuildMissingKS: without --ks, build names the layout it found.
func TestBuildMissingKS(t *testing.T) {
	iso4, tar4 := inputs(t, tarball.Spec{})
	iso7, tar7 := inputs7(t)
	for _, tt := range []struct{ iso, tar, want string }{
		{iso4, tar4, iso4 + " holds esxi-4.1 media, whose installer installs unattended only with ks= on syslinux.cfg's append line"},
		{iso7, tar7, iso7 + " holds esxi-7.0 media, whose installer installs unattended only with ks= in BOOT.CFG's kernelopt="},
		{filepath.Join(t.TempDir(), "none.iso"), tar4, "--ks is required: the ESXi installer installs unattended only with a ks="},
	} {
		_, _, err := runCLI("build", "--iso", tt.iso, "--syslinux", tt.tar, "-o", filepath.Join(t.TempDir(), "x.img"))
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want exit 2 and %q", err, tt.want)
		}
	}
}
