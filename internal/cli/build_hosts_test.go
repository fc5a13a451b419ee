package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/kickstart"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestBatchKeepGoingBadRows: --keep-going builds the good rows of an
// inventory with bad ones, lists every bad row by line and exits non-zero;
// without it the first bad rows stop the run before anything is written.
func TestBatchKeepGoingBadRows(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts, out := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "out")
	os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\n../x,10.0.0.2\nesx03,10.0.0.3\nesx01,10.0.0.4\nesx05,10.0.0.5 x\nesx06,10.0.0.6\n"), 0o644)
	args := []string{"build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}", "--out-dir", out}
	_, _, err := runCLI(args...)
	if err == nil || !strings.Contains(err.Error(), "3 bad rows") || !strings.Contains(err.Error(), "line 3:") || !strings.Contains(err.Error(), "line 6:") {
		t.Errorf("without --keep-going: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output folder was made for a refused inventory")
	}
	_, stderr, err := runCLI(append(args, "--keep-going")...)
	if exitCode(err) != 1 {
		t.Fatalf("--keep-going: exit %d (%v)", exitCode(err), err)
	}
	for _, want := range []string{"3 inventory rows not built:", hosts + ": line 3: id \"../x\"", hosts + ": line 5: id \"esx01\" already used on line 2",
		hosts + ": line 6: host esx05: ip"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if got := names(t, out); !slices.Equal(got, []string{"SHA256SUMS", "esx01.img", "esx03.img", "esx06.img", "manifest.json"}) {
		t.Errorf("out-dir = %v", got)
	}
	m, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if !strings.Contains(string(m), `"inventory_errors"`) {
		t.Errorf("manifest lacks inventory_errors:\n%s", m)
	}
}

// TestBatchSkippedNamed: without --keep-going, hosts not started after a
// failure name themselves and the host that failed.
func TestBatchSkippedNamed(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts.csv")
	// --size too small: the first host fails, and --jobs 1 starts no other.
	os.WriteFile(hosts, []byte("id\nesx01\nesx02\nesx03\n"), 0o644)
	_, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}", "--out-dir", filepath.Join(dir, "out"),
		"--size", "64K", "--jobs", "1")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"host esx02: not built: host esx01 failed first", "host esx03: not built: host esx01 failed first"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestBatchStaleOutputs: a later run into the same out-dir refuses, then
// with --force removes, the files of the earlier run it does not write
// (recognised by the earlier manifest and their hashes), and leaves files
// the tool did not write; kickstarts are 0600.
func TestBatchStaleOutputs(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts, ks, out := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "ks.tmpl"), filepath.Join(dir, "out")
	os.WriteFile(ks, []byte(kickstart.V4+"network --bootproto=dhcp --hostname={{.id}}\n"), 0o644)
	args := []string{"build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}", "--ks-template", ks, "--out-dir", out}
	os.WriteFile(hosts, []byte("id\nesx01\nesx02\nesx03\n"), 0o644)
	if _, stderr, err := runCLI(args...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	st, err := os.Stat(filepath.Join(out, "esx01.cfg"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("esx01.cfg: %v, mode %v (want 0600: it carries rootpw)", err, st.Mode())
	}
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(out, "esx03.cfg"), []byte("edited by hand"), 0o600) // no longer the tool's bytes
	os.WriteFile(hosts, []byte("id\nesx01\n"), 0o644)
	_, _, err = runCLI(args...)
	if err == nil || !strings.Contains(err.Error(), "holds files of an earlier run that this run does not write (esx02.img, esx02.cfg, esx03.img)") {
		t.Errorf("without --force: %v", err)
	}
	if _, stderr, err := runCLI(append(args, "--force")...); err != nil {
		t.Fatalf("--force: %v\n%s", err, stderr)
	}
	if got := names(t, out); !slices.Equal(got, []string{"SHA256SUMS", "esx01.cfg", "esx01.img", "esx03.cfg", "manifest.json", "notes.txt"}) {
		t.Errorf("out-dir after --force = %v", got)
	}
}

// names lists the file names in dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestBatchKeepGoingCheckErrors: with --keep-going, a host with check
// errors (here an ip another host has) is listed and not built; the others
// are. A single build's kickstart is 0600 too.
func TestBatchKeepGoingCheckErrors(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts, ks, out := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "ks.tmpl"), filepath.Join(dir, "out")
	os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\nesx02,10.0.0.1\nesx03,10.0.0.3\n"), 0o644)
	os.WriteFile(ks, []byte(kickstart.V4+"network --bootproto=static --ip={{.ip}} --netmask=24 --gateway=10.0.0.254\n"), 0o644)
	args := []string{"build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks-template", ks, "--ks", "http://d/{{.id}}", "--out-dir", out}
	_, stderr, err := runCLI(append(args, "--keep-going")...)
	if exitCode(err) != 1 || !strings.Contains(stderr, hosts+": line 3: host esx02: error "+hosts+":3: ip: 10.0.0.1 is also host esx01's") {
		t.Errorf("exit %d (%v), stderr:\n%s", exitCode(err), err, stderr)
	}
	if got := names(t, out); !slices.Equal(got, []string{"SHA256SUMS", "esx01.cfg", "esx01.img", "esx03.cfg", "esx03.img", "manifest.json"}) {
		t.Errorf("out-dir = %v", got)
	}
	one := filepath.Join(dir, "one.img")
	if _, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks-template", ks, "--var", "ip=10.0.0.9", "--ks", "http://d/x", "-o", one); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if st, err := os.Stat(filepath.Join(dir, "one.cfg")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("one.cfg: %v %v, want mode 0600", err, st)
	}
}
