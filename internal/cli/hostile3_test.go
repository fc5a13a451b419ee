//go:build linux

package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	binenc "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
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
	path     string // PATH for the binary ("" for the test's)
	cached   bool   // interrupt runs with the caches on (cache), not off
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a run that blocks fails, not hangs
	defer cancel()
	var c *exec.Cmd
	if umask != "" {
		c = exec.CommandContext(ctx, "sh", append([]string{"-c", `umask "$0"; exec "$@"`, umask, e.bin}, args...)...)
	} else {
		c = exec.CommandContext(ctx, e.bin, args...)
	}
	c.Env = append(os.Environ(), "ESXI_AUTOPART_CACHE="+e.cache, "XDG_STATE_HOME="+filepath.Join(e.cache, "state"))
	if e.path != "" {
		c.Env = append(c.Env, "PATH="+e.path)
	}
	var so, se bytes.Buffer
	c.Stdout, c.Stderr = &so, &se
	err := c.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	if ctx.Err() != nil {
		e.t.Fatalf("%q still running after 2 minutes (blocked?)\n%s", args, r.stderr)
	}
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

// sha256s are the image hash a --json build reports and the hash of the
// file's bytes.
func (e *env3) sha256s(r result, path string) (said, is string) {
	e.t.Helper()
	var doc struct {
		Hosts []struct {
			Result struct {
				SHA256 string `json:"sha256"`
			} `json:"result"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Hosts) != 1 {
		e.t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return doc.Hosts[0].Result.SHA256, hex.EncodeToString(s[:])
}

// forge rewrites every entry of a cache folder (kind "zeros" or
// "tarballs") with body changed by spoil and sealed by seal.
func (e *env3) forge(kind string, spoil func([]byte) []byte, seal func(name string, body []byte) []byte) {
	e.t.Helper()
	entries, _ := filepath.Glob(filepath.Join(e.cache, kind, "[0-9a-f]*"))
	if len(entries) == 0 {
		e.t.Fatalf("no %s entries to forge", kind)
	}
	for _, p := range entries {
		b, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		body := spoil(bytes.Clone(b[:len(b)-32]))
		if err := os.WriteFile(p, seal(filepath.Base(p), body), 0o600); err != nil {
			e.t.Fatal(err)
		}
	}
}

// selfSum seals an entry as the caches did before they were signed: with
// its own SHA-256, which whoever edits it recomputes.
func selfSum(_ string, body []byte) []byte {
	s := sha256.Sum256(body)
	return append(body, s[:]...)
}

// otherKey seals an entry with another user's key (a CI cache restored
// from elsewhere).
func (e *env3) otherKey(kind string) func(string, []byte) []byte {
	return func(name string, body []byte) []byte {
		f := cachestore.Open(e.t.TempDir(), filepath.Join(e.t.TempDir(), "key"))
		f.Write(kind, name, body)
		b, err := os.ReadFile(filepath.Join(f.Dir(), name))
		if err != nil {
			e.t.Fatal(err)
		}
		return b
	}
}

// wrongZeros spoils a zero-run entry: a chaining value of the state after
// the run changed, its length kept (so it still "ends where the run ends").
func wrongZeros(b []byte) []byte { b[20] ^= 1; return b }

// rebuildTrue builds a --size 256M image twice (the second restores its
// zero runs), lets spoil change the caches, builds again and wants the
// hash it reports to be the file's, and the same as the first build's.
func (e *env3) rebuildTrue(spoil func()) {
	img := filepath.Join(e.out, "a.img")
	args := []string{"--ks", "http://d/ks", "--size", "256M", "--force", "--json", "-o", img}
	first, _ := e.sha256s(e.ok(e.build(args...)), img)
	e.ok(e.build(args...))
	spoil()
	said, is := e.sha256s(e.ok(e.build(args...)), img)
	if said != is || is != first {
		e.t.Errorf("after the cache was spoiled the build says %s; the file hashes to %s, the first build's to %s", said, is, first)
	}
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
	{"secrets: a password column or --var with a space or a control byte is refused without quoting it", func(e *env3) {
		tmpl := e.file("ks.tmpl", strings.Replace(ks4, "rootpw "+password, "rootpw {{.pw}}", 1))
		for i, hosts := range []string{
			e.file("hosts.csv", "id,pw\nesx01,\""+password+" x\"\n"),
			e.file("hosts2.csv", "id,pw\nesx01,\""+password+"\nrootpw x\"\n"),
			e.file("hosts.json", `[{"id":"esx01","pw":"`+password+`\u00a0"}]`),
		} {
			r := e.build("--hosts", hosts, "--ks-template", tmpl, "--ks", "http://d/{{.id}}", "--embed-ks", "--out-dir", e.out)
			if r.code == 0 || !strings.Contains(r.stderr, "pw") {
				e.t.Fatalf("inventory %d: exit %d, want a refusal naming pw\n%s", i, r.code, r.stderr)
			}
			e.noSecret(r)
		}
		hosts := e.file("one.csv", "id\nesx01\n")
		r := e.build("--hosts", hosts, "--ks-template", tmpl, "--ks", "http://d/{{.id}}", "--embed-ks", "--out-dir", e.out, "--var", "pw="+password+"\t")
		if r.code == 0 {
			e.t.Fatalf("--var pw with a tab passed\n%s", r.stderr)
		}
		e.noSecret(r)
		// A good --var password is built, and manifest.json (0644, it
		// records the settings shards must share) holds only its hash.
		r = e.ok(e.build("--hosts", hosts, "--ks-template", tmpl, "--ks", "http://d/{{.id}}", "--embed-ks", "--out-dir", e.out, "--var", "pw="+password))
		if m, _ := os.ReadFile(filepath.Join(e.out, "manifest.json")); !strings.Contains(string(m), `"var pw"`) {
			e.t.Errorf("manifest.json records no var pw:\n%s", m)
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

func init() {
	hostile3Cases = append(hostile3Cases, []hostile3{
		// 4. Caches trusted as proof: what a cache entry says (a zero run's
		// hash state, a tarball's members) is used only if this user's
		// key signed it; the reported hash is the file's whoever wrote the
		// cache folder.
		{"caches: a zero-run entry spoiled, its own checksum recomputed", func(e *env3) {
			e.rebuildTrue(func() { e.forge("zeros", wrongZeros, selfSum) })
		}},
		{"caches: a zero-run entry spoiled and signed by another key (a restored CI cache)", func(e *env3) {
			e.rebuildTrue(func() { e.forge("zeros", wrongZeros, e.otherKey("esxi-autopart zero run 1")) })
		}},
		{"caches: the key made readable by others turns the caches off", func(e *env3) {
			e.rebuildTrue(func() {
				os.Chmod(filepath.Join(e.cache, "state", "esxi-autopart", "cache.key"), 0o644)
				e.forge("zeros", wrongZeros, selfSum)
			})
		}},
		{"caches: a tarball entry with another ldlinux.sys, its checksum recomputed", func(e *env3) {
			spoilSys := func(b []byte) []byte {
				i := bytes.Index(b, []byte("SYSLINUX 3.70"))
				if i < 0 {
					e.t.Fatal("no loader banner in the entry")
				}
				b[i+600] ^= 0x20 // a byte of ldlinux.sys's code, past its header
				return b
			}
			e.rebuildTrue(func() { e.forge("tarballs", spoilSys, selfSum) })
			e.rebuildTrue(func() { e.forge("tarballs", spoilSys, e.otherKey("esxi-autopart tarball cache 1\n")) })
		}},
	}...)
}

// interrupt runs `build` with the row's inputs and args, sends sig once
// ready (given the process id) says so, and wants: exit 130, within a few
// seconds of the signal (the steps left would take tens of seconds), and
// the output folder as it was.
func (e *env3) interrupt(sig syscall.Signal, ready func(pid int) bool, args ...string) {
	e.t.Helper()
	before := listDir(e.t, e.out)
	cmd := exec.Command(e.bin, append([]string{"build", "--iso", e.iso, "--syslinux", e.tar}, args...)...)
	cmd.Env = append(os.Environ(), "ESXI_AUTOPART_CACHE=off")
	if e.cached {
		cmd.Env = append(os.Environ(), "ESXI_AUTOPART_CACHE="+e.cache, "XDG_STATE_HOME="+filepath.Join(e.cache, "state"))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	var sent time.Time
	signalled, err := signalWhen(e.t, cmd, sig, func() bool {
		if ready(cmd.Process.Pid) {
			sent = time.Now()
			return true
		}
		return false
	})
	took := time.Since(sent)
	if !signalled {
		e.t.Fatalf("finished before the step to interrupt (err %v)\n%s", err, stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		e.t.Errorf("exit %d after %v, want 130\n%s", code, sig, stderr.String())
	}
	if took > 5*time.Second {
		e.t.Errorf("%v after %v; want about a second", took.Round(time.Millisecond), sig)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		e.t.Errorf("stderr does not say interrupted:\n%s", stderr.String())
	}
	if after := listDir(e.t, e.out); !slices.Equal(before, after) {
		e.t.Errorf("output folder changed:\nbefore %q\nafter  %q", before, after)
	}
}

// temps counts the unnamed temporary files process pid has open in dir.
func temps(pid int, dir string) int {
	n := 0
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if to, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && strings.HasPrefix(to, dir+"/#") {
			n++
		}
	}
	return n
}

func init() {
	hostile3Cases = append(hostile3Cases, []hostile3{
		// 5. Signals that nothing reads: every long step (hashing the
		// zeros of a big partition, compressing, hashing inputs) and
		// every child stops soon after SIGINT, SIGTERM or SIGHUP, exit
		// 130, old outputs as they were.
		{"signals: SIGINT while a --size 32G image's zeros are hashed", func(e *env3) {
			e.existing("esx01.img")
			e.interrupt(syscall.SIGINT, e.after(time.Second, func(pid int) bool { return temps(pid, e.out) > 0 }),
				"--ks", "http://d/ks", "--size", "32G", "--force", "-o", filepath.Join(e.out, "esx01.img"))
		}},
		{"signals: SIGHUP (terminal closed) while a --size 32G image's zeros are hashed", func(e *env3) {
			e.interrupt(syscall.SIGHUP, e.after(time.Second, func(pid int) bool { return temps(pid, e.out) > 0 }),
				"--ks", "http://d/ks", "--size", "32G", "-o", filepath.Join(e.out, "esx01.img"))
		}},
		{"signals: SIGINT while a single image is compressed with xz", func(e *env3) {
			e.interrupt(syscall.SIGINT, func(pid int) bool { return temps(pid, e.out) > 1 },
				"--ks", "http://d/ks", "--size", "3G", "-o", filepath.Join(e.out, "esx01.img.xz"))
		}},
		{"signals: SIGTERM while a batch compresses a host with xz", func(e *env3) {
			hosts := e.file("hosts.csv", "id\nesx01\nesx02\n")
			e.interrupt(syscall.SIGTERM, func(int) bool {
				p, _ := filepath.Glob(filepath.Join(e.out, ".esxi-autopart.stage-*", ".esx01.img.xz.partial-*"))
				return len(p) > 0
			}, "--hosts", hosts, "--ks", "http://d/{{.id}}", "--size", "3G", "--compress", "xz", "--jobs", "1", "--out-dir", e.out)
		}},
		{"signals: SIGTERM while a tarball followed by 16G is hashed for the tarball cache", func(e *env3) {
			b, err := os.ReadFile(e.tar)
			if err != nil {
				e.t.Fatal(err)
			}
			e.tar = e.file("syslinux-3.70.tar.gz", string(b))
			if err := os.Truncate(e.tar, 16<<30); err != nil {
				e.t.Fatal(err)
			}
			e.cached = true
			e.existing("esx01.img")
			e.interrupt(syscall.SIGTERM, e.after(300*time.Millisecond, func(pid int) bool { return opened(pid, e.tar) }),
				"--ks", "http://d/ks", "--force", "-o", filepath.Join(e.out, "esx01.img"))
		}},
		{"signals: SIGINT once a batch's images are in place, while its 2G ISO is hashed for manifest.json", func(e *env3) {
			b, err := os.ReadFile(e.iso)
			if err != nil {
				e.t.Fatal(err)
			}
			e.iso = e.file("esxi.iso", string(b))
			if err := os.Truncate(e.iso, 2<<30); err != nil { // zeros after the volume: seconds of hashing
				e.t.Fatal(err)
			}
			hosts := e.file("hosts.csv", "id\nesx01\n")
			cmd := exec.Command(e.bin, "build", "--iso", e.iso, "--syslinux", e.tar, "--hosts", hosts, "--ks", "http://d/{{.id}}", "--out-dir", e.out)
			cmd.Env = append(os.Environ(), "ESXI_AUTOPART_CACHE=off")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			signalled, _ := signalWhen(e.t, cmd, syscall.SIGINT, func() bool {
				_, err := os.Stat(filepath.Join(e.out, "esx01.img"))
				return err == nil
			})
			if !signalled {
				e.t.Fatalf("the ISO was hashed before the image was in place: nothing to interrupt\n%s", stderr.String())
			}
			// The outputs were in place when the signal came: the run
			// finishes them, manifest.json included, rather than leaving
			// images that no manifest describes.
			sums, _ := os.ReadFile(filepath.Join(e.out, "SHA256SUMS"))
			manifest, _ := os.ReadFile(filepath.Join(e.out, "manifest.json"))
			if !strings.Contains(string(sums), "esx01.img") || !strings.Contains(string(manifest), `"esx01"`) {
				e.t.Errorf("exit %d: SHA256SUMS %q, manifest.json %d bytes lacks esx01\n%s", cmd.ProcessState.ExitCode(), sums, len(manifest), stderr.String())
			}
		}},
		{"signals: SIGINT while an earlier run's 16G image is hashed (is it stale?)", func(e *env3) {
			hosts := e.file("hosts.csv", "id\nesx01\n")
			old := e.earlierImage("old01", 16<<30)
			e.interrupt(syscall.SIGINT, e.after(300*time.Millisecond, func(pid int) bool { return opened(pid, old) }),
				"--hosts", hosts, "--ks", "http://d/{{.id}}", "--force", "--out-dir", e.out)
		}},
	}...)
}

// earlierImage makes what an earlier batch left in the output folder: a
// sparse image of size bytes that its manifest.json records (by a hash
// the image does not have: StaleFiles reads it all to find out).
func (e *env3) earlierImage(id string, size int64) string {
	e.t.Helper()
	p := filepath.Join(e.out, id+".img")
	f, err := os.Create(p)
	if err == nil {
		err = f.Truncate(size)
		f.Close()
	}
	if err != nil {
		e.t.Fatal(err)
	}
	m := fmt.Sprintf(`{"tool":"esxi-autopart","hosts":[{"id":%q,"image":%q,"bytes":%d,"sha256":"%064x"}]}`, id, id+".img", size, 1)
	if err := os.WriteFile(filepath.Join(e.out, "manifest.json"), []byte(m), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// opened reports whether process pid has path open.
func opened(pid int, path string) bool {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if to, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && to == path {
			return true
		}
	}
	return false
}

// head runs `build` with the row's inputs and args, its stderr (or
// stdout) a pipe whose reader takes lines lines and goes away, as
// `2>&1 | head -N` does, and returns the exit status (128+N when killed
// by signal N).
func (e *env3) head(stderr bool, lines int, args ...string) int {
	e.t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(e.bin, append([]string{"build", "--iso", e.iso, "--syslinux", e.tar}, args...)...)
	cmd.Env = append(os.Environ(), "ESXI_AUTOPART_CACHE=off")
	if stderr {
		cmd.Stderr = pw
	} else {
		cmd.Stdout = pw
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	pw.Close()
	br := bufio.NewReader(pr)
	for i := 0; i < lines; i++ {
		if _, err := br.ReadString('\n'); err != nil {
			break
		}
	}
	pr.Close()
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// whole fails the row unless the output folder is as before, or holds the
// whole of a run that built ids: each image, listed in SHA256SUMS and in
// manifest.json with the same hash, and nothing hidden left behind.
func (e *env3) whole(before []string, ids ...string) {
	e.t.Helper()
	after := listDir(e.t, e.out)
	if slices.Equal(before, after) {
		return
	}
	for _, a := range after {
		if strings.HasPrefix(a, ".") {
			e.t.Errorf("left behind: %s", a)
		}
	}
	sums, err := os.ReadFile(filepath.Join(e.out, "SHA256SUMS"))
	if err != nil {
		e.t.Fatalf("the folder changed, but no SHA256SUMS: %v\n%q", err, after)
	}
	b, err := os.ReadFile(filepath.Join(e.out, "manifest.json"))
	if err != nil {
		e.t.Fatalf("the folder changed (images, SHA256SUMS), but no manifest.json: half published: %v\n%q", err, after)
	}
	var m struct {
		Hosts []struct{ ID, Image, SHA256 string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatal(err)
	}
	said := map[string]string{}
	for _, h := range m.Hosts {
		said[h.ID] = h.SHA256
		if !strings.Contains(string(sums), h.SHA256+"  "+h.Image) {
			e.t.Errorf("manifest.json's %s %s is not in SHA256SUMS:\n%s", h.Image, h.SHA256, sums)
		}
	}
	for _, id := range ids {
		if said[id] == "" {
			e.t.Errorf("manifest.json does not list %s", id)
		}
		if _, err := os.Stat(filepath.Join(e.out, id+".img")); err != nil {
			e.t.Error(err)
		}
	}
}

func init() {
	hostile3Cases = append(hostile3Cases, []hostile3{
		// A reader that goes away (`| head -N`): SIGPIPE is no signal to
		// stop on, but a write to the closed pipe must not kill the run
		// half way through putting its outputs in place.
		{"signals: -v lines into `2>&1 | head -10`: the note after the images are in place meets the closed pipe", func(e *env3) {
			hosts := e.file("hosts.csv", "id\nesx01\nesx02\nesx03\n")
			before := listDir(e.t, e.out)
			code := e.head(true, 10, "--hosts", hosts, "--ks", "http://d/{{.id}}", "--jobs", "1", "-v", "--out-dir", e.out)
			e.whole(before, "esx01", "esx02", "esx03")
			if code != 0 {
				e.t.Errorf("exit %d, want 0: every output was put in place", code)
			}
		}},
		{"signals: --json over an earlier run into `| head -1`", func(e *env3) {
			hosts := e.file("hosts.csv", "id\nesx01\nesx02\n")
			args := []string{"--hosts", hosts, "--ks", "http://d/{{.id}}", "--jobs", "1", "--json", "--force", "--out-dir", e.out}
			e.ok(e.build(args...))
			before := listDir(e.t, e.out)
			e.head(false, 1, args...)
			e.whole(before, "esx01", "esx02")
		}},
	}...)
}

// after is ready once ready has held for d: the image is written in
// milliseconds, its zeros then hashed for ~20 s.
func (e *env3) after(d time.Duration, ready func(pid int) bool) func(int) bool {
	var since time.Time
	return func(pid int) bool {
		switch {
		case !ready(pid):
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		}
		return !since.IsZero() && time.Since(since) >= d
	}
}

// fakeQEMU puts a qemu-system-x86_64 first on the rows' PATH that writes
// its serial log (logfile=) and console the way QEMU does, then exits.
func (e *env3) fakeQEMU() {
	dir := e.t.TempDir()
	script := `#!/bin/sh
for a in "$@"; do
	case "$a" in *logfile=*) log=${a#*logfile=}; log=${log%%,logappend*};; esac
done
[ -n "$log" ] && printf 'SYSLINUX fake console\n' > "$log"
printf 'SYSLINUX fake console\n'
`
	if err := os.WriteFile(filepath.Join(dir, "qemu-system-x86_64"), []byte(script), 0o755); err != nil {
		e.t.Fatal(err)
	}
	e.path = dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// image builds a small image in the output folder.
func (e *env3) image(name string) string {
	p := filepath.Join(e.out, name)
	e.ok(e.build("--ks", "http://d/ks", "-o", p))
	return p
}

// unchanged fails the row unless each file still holds want.
func (e *env3) unchanged(want map[string][]byte) {
	e.t.Helper()
	for p, b := range want {
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, b) {
			e.t.Errorf("%s changed (%d bytes, was %d): %v", p, len(got), len(b), err)
		}
	}
}

// snapshot reads each file.
func (e *env3) snapshot(paths ...string) map[string][]byte {
	m := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		m[p] = b
	}
	return m
}

// refused fails the row unless r failed naming each of want.
func (e *env3) refused(r result, want ...string) {
	e.t.Helper()
	if r.code == 0 {
		e.t.Errorf("exit 0, want a refusal\n%s%s", r.stdout, r.stderr)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			e.t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
}

func init() {
	hostile3Cases = append(hostile3Cases, []hostile3{
		// 2. Files the tool did not make: every path it writes is checked
		// like build's outputs (exists without --force, an input, a
		// symlink), and every name it takes from a manifest on disk is
		// used only when it is the name a run gives that host's file.
		{"not ours: boot --serial-log IMAGE", func(e *env3) {
			e.fakeQEMU()
			img := e.image("x.img")
			keep := e.snapshot(img)
			e.refused(e.cmd("", "boot", img, "--expect", "SYSLINUX", "--serial-log", img, "--force"), "--serial-log", "same file")
			e.unchanged(keep)
		}},
		{"not ours: boot --serial-log a symlink to the image", func(e *env3) {
			e.fakeQEMU()
			img := e.image("x.img")
			keep := e.snapshot(img)
			link := filepath.Join(e.in, "log")
			os.Symlink(img, link)
			e.refused(e.cmd("", "boot", img, "--expect", "SYSLINUX", "--serial-log", link, "--force"), "log")
			e.unchanged(keep)
		}},
		{"not ours: boot --serial-log over an older file, then with --force", func(e *env3) {
			e.fakeQEMU()
			img := e.image("x.img")
			old := e.file("console.log", "an older log\n")
			keep := e.snapshot(old)
			e.refused(e.cmd("", "boot", img, "--expect", "SYSLINUX", "--serial-log", old), "console.log", "--force")
			e.unchanged(keep)
			e.ok(e.cmd("", "boot", img, "--expect", "SYSLINUX", "--serial-log", old, "--force"))
			if b, _ := os.ReadFile(old); string(b) != "SYSLINUX fake console\n" {
				e.t.Errorf("--force: the log holds %q", b)
			}
		}},
		{"not ours: an earlier manifest naming another file as a host's bmap", func(e *env3) {
			hosts := e.file("hosts.csv", "id\nesx01\nesx02\n")
			args := []string{"--hosts", hosts, "--out-dir", e.out, "--ks", "http://d/{{.id}}", "--force"}
			e.ok(e.build(append(args, "--bmap")...))
			notes := filepath.Join(e.out, "notes.txt")
			os.WriteFile(notes, []byte("the user's notes\n"), 0o644)
			e.editManifest(func(m map[string]any) {
				h := m["hosts"].([]any)[1].(map[string]any)
				h["bmap"] = "notes.txt"
			})
			keep := e.snapshot(notes)
			e.ok(e.build(append(args[:0:0], "--hosts", e.file("one.csv", "id\nesx01\n"), "--out-dir", e.out, "--ks", "http://d/{{.id}}", "--force")...))
			e.unchanged(keep)
		}},
		{"not ours: a batch into a folder holding a SHA256SUMS, manifest.json and bmap it did not write", func(e *env3) {
			hosts := e.file("hosts.csv", "id\nesx01\n")
			var files []string
			for _, n := range []string{"SHA256SUMS", "manifest.json", "esx01.img.bmap"} {
				p := filepath.Join(e.out, n)
				os.WriteFile(p, []byte("somebody else's "+n+"\n"), 0o644)
				files = append(files, p)
			}
			keep := e.snapshot(files...)
			e.refused(e.build("--hosts", hosts, "--out-dir", e.out, "--ks", "http://d/{{.id}}", "--bmap"), "SHA256SUMS exists", "manifest.json exists", "esx01.img.bmap exists")
			e.unchanged(keep)
		}},
		{"not ours: manifest merge over a SHA256SUMS it did not write", func(e *env3) {
			shard := e.shard()
			dst := e.t.TempDir()
			sums := filepath.Join(dst, "SHA256SUMS")
			os.WriteFile(sums, []byte("0000  somebody-elses.iso\n"), 0o644)
			keep := e.snapshot(sums)
			e.refused(e.cmd("", "manifest", "merge", "-o", dst, shard), "SHA256SUMS", "--force")
			e.unchanged(keep)
		}},
		{"not ours: manifest merge of a shard naming ../ and newline files", func(e *env3) {
			for _, bad := range []string{"../../etc/passwd", "esx01.img\n0000  /etc/shadow", "/etc/passwd"} {
				shard := e.shard()
				e.editManifestIn(shard, func(m map[string]any) { m["hosts"].([]any)[0].(map[string]any)["image"] = bad })
				dst := e.t.TempDir()
				e.refused(e.cmd("", "manifest", "merge", "-o", dst, shard), "is not esx01.img")
				if ents, _ := os.ReadDir(dst); len(ents) != 0 {
					e.t.Errorf("%q: merge wrote %d files", bad, len(ents))
				}
			}
		}},
	}...)
}

// shard builds a one-host inventory as shard 1/1 into a new folder.
func (e *env3) shard() string {
	dir := e.t.TempDir()
	e.ok(e.build("--hosts", e.file("s.csv", "id\nesx01\n"), "--out-dir", dir, "--ks", "http://d/{{.id}}", "--shard", "1/1"))
	return dir
}

// editManifest rewrites the output folder's manifest.json through edit.
func (e *env3) editManifest(edit func(map[string]any)) { e.editManifestIn(e.out, edit) }

func (e *env3) editManifestIn(dir string, edit func(map[string]any)) {
	e.t.Helper()
	p := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// sparse makes a sparse file of n bytes at path.
func (e *env3) sparse(path string, n int64) {
	f, err := os.Create(path)
	if err == nil {
		err = f.Truncate(n)
		f.Close()
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// noCrash fails the row if the run ran out of memory or panicked.
func (e *env3) noCrash(r result) {
	e.t.Helper()
	for _, bad := range []string{"out of memory", "panic", "fatal error", "goroutine "} {
		if strings.Contains(r.stderr, bad) {
			e.t.Fatalf("crashed (%s):\n%.2000s", bad, r.stderr)
		}
	}
}

func init() {
	hostile3Cases = append(hostile3Cases, []hostile3{
		// 3. State read without bounds: every file read back that the
		// user did not just name as an input (manifests, cache entries,
		// firmware variables) is read only if it is a regular file within
		// a bound, and the xz decoder's dictionary is checked before the
		// header can size it.
		{"bounds: a 64 GiB sparse manifest.json in the out-dir", func(e *env3) {
			hosts := e.file("hosts.csv", "id\nesx01\n")
			e.sparse(filepath.Join(e.out, "manifest.json"), 64<<30)
			args := []string{"--hosts", hosts, "--out-dir", e.out, "--ks", "http://d/{{.id}}"}
			r := e.build(args...)
			e.noCrash(r)
			e.refused(r, "manifest.json exists")
			r = e.build(append(args, "--force")...)
			e.noCrash(r)
			e.ok(r)
			if st, _ := os.Stat(filepath.Join(e.out, "manifest.json")); st == nil || st.Size() > 1<<20 {
				e.t.Errorf("manifest.json not replaced: %v", st)
			}
		}},
		{"bounds: manifest.json a FIFO in the out-dir, --force", func(e *env3) {
			hosts := e.file("hosts.csv", "id\nesx01\n")
			if err := syscall.Mkfifo(filepath.Join(e.out, "manifest.json"), 0o644); err != nil {
				e.t.Fatal(err)
			}
			r := e.build("--hosts", hosts, "--out-dir", e.out, "--ks", "http://d/{{.id}}", "--force")
			e.noCrash(r)
			e.refused(r, "manifest.json is not a regular file")
		}},
		{"bounds: manifest merge of a shard whose manifest.json is 64 GiB", func(e *env3) {
			shard := e.shard()
			e.sparse(filepath.Join(shard, "manifest.json"), 64<<30)
			r := e.cmd("", "manifest", "merge", "-o", e.t.TempDir(), shard)
			e.noCrash(r)
			e.refused(r, "manifest.json", "more than")
		}},
		{"bounds: cache entries of 64 GiB", func(e *env3) {
			img := filepath.Join(e.out, "a.img")
			args := []string{"--ks", "http://d/ks", "--size", "256M", "--force", "--json", "-o", img}
			e.ok(e.build(args...))
			for _, kind := range []string{"zeros", "tarballs"} {
				ents, _ := filepath.Glob(filepath.Join(e.cache, kind, "[0-9a-f]*"))
				for _, p := range ents {
					e.sparse(p, 64<<30)
				}
			}
			r := e.build(args...)
			e.noCrash(r)
			if said, is := e.sha256s(e.ok(r), img); said != is {
				e.t.Errorf("says %s, the file is %s", said, is)
			}
		}},
		{"bounds: inspect of an .xz image whose header asks for a 4 GiB dictionary", func(e *env3) {
			img := e.image("x.img.xz")
			b, _ := os.ReadFile(img)
			hs := (int(b[12]) + 1) * 4
			bh := b[12 : 12+hs]
			i := bytes.Index(bh, []byte{0x21, 0x01})
			if i < 0 {
				e.t.Fatal("no LZMA2 filter")
			}
			bh[i+2] = 40
			binenc.LittleEndian.PutUint32(bh[hs-4:], crc32.ChecksumIEEE(bh[:hs-4]))
			os.WriteFile(img, b, 0o644)
			r := e.cmd("", "inspect", img)
			e.noCrash(r)
			e.refused(r, "x.img.xz", "dictionary of 4,294,967,295 bytes")
		}},
	}...)
}

// background starts `build` with the row's inputs and args and returns it
// once ready says its run has begun writing; done waits for its end.
func (e *env3) background(ready func() bool, args ...string) (cmd *exec.Cmd, done func() result) {
	e.t.Helper()
	cmd = exec.Command(e.bin, append([]string{"build", "--iso", e.iso, "--syslinux", e.tar}, args...)...)
	cmd.Env = append(os.Environ(), "ESXI_AUTOPART_CACHE=off")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for !ready() {
		select {
		case err := <-exited:
			e.t.Fatalf("the first run ended before it began writing: %v\n%s", err, se.String())
		case <-time.After(time.Millisecond): // polling, not timing
		}
	}
	return cmd, func() result {
		<-exited
		return result{stdout: so.String(), stderr: se.String(), code: cmd.ProcessState.ExitCode()}
	}
}

// staged reports whether a batch's stage folder exists in dir.
func staged(dir string) func() bool {
	return func() bool {
		p, _ := filepath.Glob(filepath.Join(dir, ".esxi-autopart.stage-*"))
		return len(p) > 0
	}
}

func init() {
	hostile3Cases = append(hostile3Cases, []hostile3{
		// 6. Two runs at once: a batch holds its out-dir (a flock on the
		// folder) from reading the earlier manifest to writing its own;
		// a second batch or merge there refuses at once, naming the run
		// that holds it; a killed run's hold dies with it.
		{"two runs: a second batch into a busy out-dir", func(e *env3) {
			a, b := e.file("a.csv", "id\nesx01\n"), e.file("b.csv", "id\nesx03\n")
			first, done := e.background(staged(e.out), "--hosts", a, "--out-dir", e.out, "--ks", "http://d/{{.id}}", "--size", "3G", "--jobs", "1")
			r := e.build("--hosts", b, "--out-dir", e.out, "--ks", "http://d/{{.id}}")
			e.refused(r, "in use by another esxi-autopart run", fmt.Sprintf("pid %d", first.Process.Pid))
			e.ok(done())
			m, _ := os.ReadFile(filepath.Join(e.out, "SHA256SUMS"))
			if !strings.Contains(string(m), "esx01.img") || strings.Contains(string(m), "esx03") {
				e.t.Errorf("SHA256SUMS of the first run:\n%s", m)
			}
		}},
		{"two runs: manifest merge into a batch's busy out-dir", func(e *env3) {
			shard := e.shard()
			a := e.file("a.csv", "id\nesx01\n")
			_, done := e.background(staged(e.out), "--hosts", a, "--out-dir", e.out, "--ks", "http://d/{{.id}}", "--size", "3G", "--jobs", "1")
			e.refused(e.cmd("", "manifest", "merge", "-o", e.out, "--force", shard), "in use by another esxi-autopart run")
			e.ok(done())
		}},
		{"two runs: a killed run's hold goes with it", func(e *env3) {
			a := e.file("a.csv", "id\nesx01\n")
			first, done := e.background(staged(e.out), "--hosts", a, "--out-dir", e.out, "--ks", "http://d/{{.id}}", "--size", "3G", "--jobs", "1")
			first.Process.Kill()
			done()
			e.ok(e.build("--hosts", a, "--out-dir", e.out, "--ks", "http://d/{{.id}}"))
		}},
	}...)
}

// manifestHosts reads the hosts of a folder's manifest.json.
func (e *env3) manifestHosts(dir string) []map[string]any {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	var m struct{ Hosts []map[string]any }
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatal(err)
	}
	return m.Hosts
}

// shardWith builds shard k/2 of a two-host inventory with extra flags into
// a new folder.
func (e *env3) shardWith(k int, extra ...string) string {
	dir := e.t.TempDir()
	inv := e.file("two.csv", "id\nesx01\nesx02\nesx03\nesx04\n")
	e.ok(e.build(append([]string{"--hosts", inv, "--out-dir", dir, "--ks", "http://d/{{.id}}", "--shard", fmt.Sprintf("%d/2", k)}, extra...)...))
	return dir
}

func init() {
	hostile3Cases = append(hostile3Cases, []hostile3{
		// 7. Values that change on the way: an inventory's value reaches
		// the kickstart and ks= as written, and what must agree between
		// shards (their build settings) is compared, by meaning.
		{"values kept: JSON inventory numbers reach ks= and the kickstart as written", func(e *env3) {
			for _, n := range []string{"2000000", "12345678901234567890", "1.0", "1e3", "-0", "0.1"} {
				out := e.t.TempDir()
				inv := e.file("hosts.json", `[{"id":"esx01","n":`+n+`}]`)
				e.ok(e.build("--hosts", inv, "--out-dir", out, "--ks", "http://d/{{.n}}", "--ks-template", e.file("ks.tmpl", ks4+"# n={{.n}}\n"), "--force"))
				if got := e.manifestHosts(out)[0]["ks"]; got != "http://d/"+n {
					e.t.Errorf("%s: ks= is %v", n, got)
				}
				if b, _ := os.ReadFile(filepath.Join(out, "esx01.cfg")); !strings.Contains(string(b), "# n="+n+"\n") {
					e.t.Errorf("%s: the kickstart says %q", n, b)
				}
			}
		}},
		{"values agree: shards built with another --size or --var do not merge", func(e *env3) {
			a := e.shardWith(1)
			for _, extra := range [][]string{{"--size", "64M"}, {"--var", "gateway=10.0.0.1"}, {"--timeout", "9s"}} {
				b := e.shardWith(2, extra...)
				e.refused(e.cmd("", "manifest", "merge", "-o", e.t.TempDir(), a, b), "different settings")
			}
		}},
		{"values agree: shards whose settings differ only in spelling merge", func(e *env3) {
			a := e.shardWith(1, "--timeout", "5s")
			b := e.shardWith(2, "--timeout", "5000ms")
			e.ok(e.cmd("", "manifest", "merge", "-o", e.t.TempDir(), a, b))
		}},
	}...)
}

// linkedTree makes in/real/ci/ and in/real/hosts.csv (host esx01), and
// in/other/ with a decoy hosts.csv (host esx99) and a link in/other/link
// to in/real/ci: "other/link/.." is "real" to the kernel, "other" as text.
func (e *env3) linkedTree() (real, other string) {
	real, other = filepath.Join(e.in, "real"), filepath.Join(e.in, "other")
	for _, d := range []string{filepath.Join(real, "ci"), filepath.Join(real, "images"), filepath.Join(other, "images")} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(real, "hosts.csv"), []byte("id\nesx01\n"), 0o644)
	os.WriteFile(filepath.Join(other, "hosts.csv"), []byte("id\nesx99\n"), 0o644)
	e.symlink(filepath.Join(real, "ci"), filepath.Join(other, "link"))
	return real, other
}

func (e *env3) symlink(target, link string) {
	if err := os.Symlink(target, link); err != nil {
		e.t.Fatal(err)
	}
}

// wantImages fails the row unless dir holds exactly the named images.
func (e *env3) wantImages(dir string, names ...string) {
	e.t.Helper()
	got, _ := filepath.Glob(filepath.Join(dir, "*.img"))
	for i := range got {
		got[i] = filepath.Base(got[i])
	}
	if !slices.Equal(got, names) {
		e.t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func init() {
	hostile3Cases = append(hostile3Cases, []hostile3{
		// 8. Paths resolved as text: a path with ".." after a symlink is
		// resolved by the file system where it enters (flags, config
		// values, shard folders), and the config file's relative paths
		// are taken from its real folder.
		{"paths: --config through a symlinked folder names ../hosts.csv", func(e *env3) {
			real, other := e.linkedTree()
			yaml := "iso: " + e.iso + "\nsyslinux: " + e.tar + "\nhosts: ../hosts.csv\nout-dir: ../images\nks: http://d/{{.id}}\n"
			os.WriteFile(filepath.Join(real, "ci", "build.yaml"), []byte(yaml), 0o644)
			e.ok(e.cmd("", "build", "--config", filepath.Join(other, "link", "build.yaml")))
			e.wantImages(filepath.Join(real, "images"), "esx01.img")
			e.wantImages(filepath.Join(other, "images"))
		}},
		{"paths: --config a symlink to a file in another folder", func(e *env3) {
			real, other := e.linkedTree()
			yaml := "iso: " + e.iso + "\nsyslinux: " + e.tar + "\nhosts: ../hosts.csv\nout-dir: ../images\nks: http://d/{{.id}}\n"
			os.WriteFile(filepath.Join(real, "ci", "build.yaml"), []byte(yaml), 0o644)
			os.MkdirAll(filepath.Join(other, "sub"), 0o755)
			e.symlink(filepath.Join(real, "ci", "build.yaml"), filepath.Join(other, "sub", "build.yaml"))
			e.ok(e.cmd("", "build", "--config", filepath.Join(other, "sub", "build.yaml")))
			e.wantImages(filepath.Join(real, "images"), "esx01.img")
			e.wantImages(filepath.Join(other, "images"))
		}},
		{"paths: --hosts and --out-dir with link/..", func(e *env3) {
			real, other := e.linkedTree()
			link := filepath.Join(other, "link")
			e.ok(e.build("--hosts", link+"/../hosts.csv", "--out-dir", link+"/../images", "--ks", "http://d/{{.id}}"))
			e.wantImages(filepath.Join(real, "images"), "esx01.img")
			e.wantImages(filepath.Join(other, "images"))
		}},
		{"paths: -o link/../x.img over an existing image, without --force", func(e *env3) {
			real, other := e.linkedTree()
			old := filepath.Join(real, "x.img")
			os.WriteFile(old, []byte("an older image\n"), 0o644)
			keep := e.snapshot(old)
			e.refused(e.build("--ks", "http://d/ks", "-o", filepath.Join(other, "link")+"/../x.img"), "x.img exists")
			e.unchanged(keep)
		}},
		{"paths: -o link/../ISO is the ISO (--force)", func(e *env3) {
			real, other := e.linkedTree()
			iso := filepath.Join(real, "media.img")
			b, _ := os.ReadFile(e.iso)
			os.WriteFile(iso, b, 0o644)
			keep := e.snapshot(iso)
			r := e.cmd("", "build", "--iso", iso, "--syslinux", e.tar, "--ks", "http://d/ks", "-o", filepath.Join(other, "link")+"/../media.img", "--force")
			e.refused(r, "same file")
			e.unchanged(keep)
		}},
		{"paths: inspect's IMAGE argument link/../x.img is the kernel's file", func(e *env3) {
			real, other := e.linkedTree()
			img := filepath.Join(real, "x.img")
			e.ok(e.build("--ks", "http://d/ks", "-o", img))
			os.WriteFile(filepath.Join(other, "x.img"), []byte("a decoy, no image\n"), 0o644)
			r := e.ok(e.cmd("", "inspect", "--json", filepath.Join(other, "link")+"/../x.img"))
			var doc struct{ Image string }
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Image != img {
				e.t.Errorf("inspect names %q (%v), want %s", doc.Image, err, img)
			}
		}},
		{"paths: manifest merge of link/../shard", func(e *env3) {
			real, other := e.linkedTree()
			shard := e.shard()
			os.Rename(shard, filepath.Join(real, "shard"))
			os.MkdirAll(filepath.Join(other, "shard"), 0o755) // a decoy with no manifest
			e.ok(e.cmd("", "manifest", "merge", "-o", e.t.TempDir(), filepath.Join(other, "link")+"/../shard"))
		}},
	}...)
}

// existing puts an older file in the output folder.
func (e *env3) existing(name string) {
	if err := os.WriteFile(filepath.Join(e.out, name), []byte("an older file\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
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
