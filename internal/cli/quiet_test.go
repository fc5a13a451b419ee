package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/kickstart"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestBuildQuiet: -q prints nothing when one host builds; in a batch it
// still names every failed host and why.
func TestBuildQuiet(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	stdout, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--host", "esx01", "--ks", "http://d/ks.cfg",
		"--timeout", "50", "-o", filepath.Join(dir, "q.img"), "--quiet")
	if err != nil || stdout != "" || stderr != "" {
		t.Errorf("--quiet: %v, stdout %q, stderr %q", err, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "q.img")); err != nil {
		t.Error(err)
	}

	// Host b lacks the column x that the syslinux.cfg template uses: it
	// fails while the image is planned, after the checks passed.
	hosts, tmpl := filepath.Join(dir, "hosts.json"), filepath.Join(dir, "cfg.tmpl")
	os.WriteFile(hosts, []byte(`[{"id":"a","x":"1"},{"id":"b"},{"id":"c","x":"3"}]`), 0o644)
	os.WriteFile(tmpl, []byte("default 1\nlabel 1\nkernel {{.Kernel}}\nappend {{.FirstModule}} ks={{.KS}} x={{.x}}{{range .Modules}} --- {{.}}{{end}}\n"), 0o644)
	stdout, stderr, err = runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}",
		"--cfg-template", tmpl, "--out-dir", filepath.Join(dir, "images"), "--keep-going", "-q", "-j", "1")
	if exitCode(err) != 1 || stdout != "" {
		t.Errorf("batch: exit %d (%v), stdout %q", exitCode(err), err, stdout)
	}
	if want := "/cfg.tmpl:4: {{.x}}: no variable x in host b (columns of " + hosts + ": id; --var: none; built-in: "; !strings.HasPrefix(stderr, "esxi-autopart: ") || !strings.Contains(stderr, want) ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("batch stderr = %q, want one line with %q", stderr, want)
	}
	// A bad inventory row skipped by --keep-going is named too.
	csv := filepath.Join(dir, "hosts.csv")
	os.WriteFile(csv, []byte("id\nesx01\nesx01\n"), 0o644)
	stdout, stderr, err = runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", csv, "--ks", "http://d/{{.id}}",
		"--out-dir", filepath.Join(dir, "images2"), "--keep-going", "-q")
	if exitCode(err) != 1 || stdout != "" || !strings.Contains(stderr, "line 3") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("bad row: exit %d (%v), stdout %q, stderr %q", exitCode(err), err, stdout, stderr)
	}
}

// TestBuildLocalKS: a ks= on the boot medium (usb, usb:/PATH, cdrom:/PATH)
// without --embed-ks is refused before anything is written, by the checks
// every build runs; --ks-external or --embed-ks builds it.
func TestBuildLocalKS(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	ks := filepath.Join(dir, "ks.tmpl")
	os.WriteFile(ks, []byte(kickstart.V4), 0o644)
	out := filepath.Join(dir, "esx01.img")
	base := []string{"build", "--iso", iso, "--syslinux", tar, "--host", "esx01", "-o", out, "-f", "-q"}
	for _, v := range []string{"usb:/KS.CFG", "usb", "cdrom:/KS.CFG"} {
		_, _, err := runCLI(append(base, "--ks", v)...)
		want := "error esx01 --ks: ks: ks=" + v + " reads the kickstart from a local medium, but it is not put into the image"
		if exitCode(err) != 1 || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was built") {
			t.Errorf("--ks %s: %v, want exit 1 and %q", v, err, want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("--ks %s: the image was written", v)
		}
	}
	for _, extra := range [][]string{{"--ks", "usb:/KS.CFG", "--ks-external"}, {"--ks-template", ks, "--embed-ks"}} {
		if _, stderr, err := runCLI(append(base, extra...)...); err != nil {
			t.Errorf("%q: %v\n%s", extra, err, stderr)
		}
	}
}
