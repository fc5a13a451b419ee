//go:build linux

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// Round three of the catalogue: inputs whose damage is not a refused
// command but a wrong outcome (a secret left readable, a hash that is not
// the image's, a signal ignored, a file that was not ours overwritten).
// Each row runs the real binary and asserts the outcome itself; rows are
// grouped by class, each class with several instances.
type hostile3 struct {
	name string
	run  func(e *env3)
}

// env3 is one row's world: good inputs, an input and an output folder, a
// cache folder of its own, the binary.
type env3 struct {
	t        *testing.T
	bin      string
	in, out  string
	iso, tar string
	cache    string
}

// password is the root password the rows' kickstarts carry.
const password = "Pw-3xq7-S3cr3t"

// ks4 is a complete 4.x kickstart whose rootpw is password.
const ks4 = "accepteula\nautopart --firstdisk --overwritevmfs\ninstall usb\nrootpw " + password + "\n"

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// build runs `esxi-autopart ARGS` with the row's inputs in front of args.
func (e *env3) build(args ...string) result {
	return e.cmd("", append([]string{"build", "--iso", e.iso, "--syslinux", e.tar}, args...)...)
}

// cmd runs the binary under umask (octal, "" for the test's own).
func (e *env3) cmd(umask string, args ...string) result {
	e.t.Helper()
	var c *exec.Cmd
	if umask != "" {
		c = exec.Command("sh", append([]string{"-c", `umask "$0"; exec "$@"`, umask, e.bin}, args...)...)
	} else {
		c = exec.Command(e.bin, args...)
	}
	c.Env = append(os.Environ(), "ESXI_AUTOPART_CACHE="+e.cache)
	var so, se bytes.Buffer
	c.Stdout, c.Stderr = &so, &se
	err := c.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// ok fails the row unless r exited 0.
func (e *env3) ok(r result) result {
	e.t.Helper()
	if r.code != 0 {
		e.t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// file writes an input file.
func (e *env3) file(name, text string) string {
	p := filepath.Join(e.in, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// mode is the permission bits of path.
func (e *env3) mode(path string) os.FileMode {
	e.t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return st.Mode().Perm()
}

// wantMode fails the row unless each file in out named has mode m.
func (e *env3) wantMode(m os.FileMode, names ...string) {
	e.t.Helper()
	for _, n := range names {
		if got := e.mode(filepath.Join(e.out, n)); got != m {
			e.t.Errorf("%s: mode %04o, want %04o", n, got, m)
		}
	}
}

// noSecret fails the row if the password shows in r's output or in any
// file of the output folder that others than the owner can read.
func (e *env3) noSecret(r result) {
	e.t.Helper()
	if strings.Contains(r.stdout+r.stderr, password) {
		e.t.Errorf("the root password is in the output:\n%s%s", r.stdout, r.stderr)
	}
	filepath.Walk(e.out, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o044 != 0 {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(password)) {
				e.t.Errorf("%s (mode %04o) holds the root password", p, fi.Mode().Perm())
			}
		}
		return nil
	})
}

var hostile3Cases = []hostile3{
	// 1. Secrets leave their 0600 files: every output made from a
	// kickstart (the kickstart, an image that embeds it, its compressed
	// copy, its bmap) is 0600, every output honours the user's umask, and
	// no message quotes rootpw's words.
	{"secrets: batch --embed-ks --compress zstd --bmap", func(e *env3) {
		hosts := e.file("hosts.csv", "id\nesx01\nesx02\n")
		r := e.ok(e.build("--hosts", hosts, "--out-dir", e.out, "--ks-template", e.file("ks.tmpl", ks4), "--embed-ks", "--compress", "zstd", "--bmap"))
		e.wantMode(0o600, "esx01.img.zst", "esx02.img.zst", "esx01.img.bmap", "esx01.cfg")
		e.wantMode(0o644, "manifest.json", "SHA256SUMS")
		e.noSecret(r)
	}},
	{"secrets: single --embed-ks -o .gz with --bmap", func(e *env3) {
		r := e.ok(e.build("-o", filepath.Join(e.out, "esx01.img.gz"), "--ks-template", e.file("ks.tmpl", ks4), "--embed-ks", "--bmap"))
		e.wantMode(0o600, "esx01.img.gz", "esx01.img.bmap", "esx01.img.cfg")
		e.noSecret(r)
	}},
	{"secrets: umask 077 is honoured by every output", func(e *env3) {
		hosts := e.file("hosts.csv", "id\nesx01\n")
		e.ok(e.cmd("077", "build", "--iso", e.iso, "--syslinux", e.tar, "--hosts", hosts, "--out-dir", e.out, "--ks", "http://d/{{.id}}", "--compress", "gzip", "--bmap"))
		e.wantMode(0o600, "esx01.img.gz", "esx01.img.bmap", "manifest.json", "SHA256SUMS")
	}},
	{"secrets: umask 027 on a single build with --mbr-out", func(e *env3) {
		e.ok(e.cmd("027", "build", "--iso", e.iso, "--syslinux", e.tar, "--ks", "http://d/ks", "-o", filepath.Join(e.out, "a.img"), "--mbr-out", filepath.Join(e.out, "mbr.bin"), "--bmap"))
		e.wantMode(0o640, "a.img", "mbr.bin", "a.img.bmap")
	}},
	{"secrets: rootpw with two words is refused without quoting them", func(e *env3) {
		r := e.build("-o", filepath.Join(e.out, "a.img"), "--ks-template", e.file("ks.tmpl", strings.Replace(ks4, password, password+" "+password, 1)), "--embed-ks")
		if r.code == 0 || !strings.Contains(r.stderr, "rootpw") {
			e.t.Fatalf("exit %d, want a refusal naming rootpw\n%s", r.code, r.stderr)
		}
		e.noSecret(r)
	}},
	{"secrets: check --json on a rootpw with a stray value", func(e *env3) {
		hosts := e.file("hosts.csv", "id\nesx01\n")
		ks := strings.Replace(ks4, "rootpw "+password, "rootpw --iscrypted="+password+" x", 1)
		r := e.cmd("", "check", "--hosts", hosts, "--ks-template", e.file("ks.tmpl", ks), "--ks", "http://d/{{.id}}", "--esxi", "4.1", "--json")
		if r.code == 0 || !strings.Contains(r.stdout, "iscrypted") {
			e.t.Fatalf("exit %d, want findings on --iscrypted\n%s%s", r.code, r.stdout, r.stderr)
		}
		e.noSecret(r)
		r = e.cmd("", "check", "--hosts", hosts, "--ks-template", e.file("ks2.tmpl", strings.Replace(ks4, "rootpw "+password, "rootpw --"+password, 1)), "--ks", "http://d/{{.id}}", "--esxi", "4.1")
		if r.code == 0 {
			e.t.Fatalf("a rootpw of one option and no password passed")
		}
		e.noSecret(r)
	}},
}

func TestHostileRoundThree(t *testing.T) {
	bin := binary(t)
	good := t.TempDir()
	iso, tar := filepath.Join(good, "esxi.iso"), filepath.Join(good, "syslinux-3.70.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{RockRidge: true}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o022) // the rows' expected modes assume the usual umask
	defer syscall.Umask(old)
	for _, tc := range hostile3Cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(&env3{t: t, bin: bin, in: t.TempDir(), out: t.TempDir(), iso: iso, tar: tar, cache: t.TempDir()})
		})
	}
}
