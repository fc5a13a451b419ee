package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/kickstart"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// inputs writes a sample ISO and tarball and returns their paths.
func inputs(t *testing.T, ts tarball.Spec) (iso, tar string) {
	t.Helper()
	dir := t.TempDir()
	iso, tar = filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "syslinux.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{RockRidge: true}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, ts); err != nil {
		t.Fatal(err)
	}
	return iso, tar
}

// inputs7 writes a 7.0-shaped ISO and a syslinux-3.86-shaped tarball.
func inputs7(t *testing.T) (iso, tar string) {
	t.Helper()
	dir := t.TempDir()
	iso, tar = filepath.Join(dir, "esxi7.iso"), filepath.Join(dir, "syslinux-3.86.tar.gz")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0"}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{Version: "3.86", Date: "2010-04-16"}); err != nil {
		t.Fatal(err)
	}
	return iso, tar
}

func runCLI(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
}

func TestBuildCLI(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	out := filepath.Join(t.TempDir(), "esx01.img")
	stdout, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--host", "esx01",
		"--ks", "http://deploy/ks/esx01.cfg", "-o", out)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, stderr)
	}
	img, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(img)
	for _, want := range []string{"sha256     " + hex.EncodeToString(sum[:]), "ESXi 4.1", "syslinux   3.70", "FAT16", "ks         http://deploy/ks/esx01.cfg"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, err = runCLI("inspect", "--iso", iso, out)
	if err != nil || !strings.Contains(stdout, "bootable") {
		t.Errorf("inspect: %v\n%s", err, stdout)
	}
	// The same command again must refuse to replace the image.
	_, _, err = runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "usb", "-o", out)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second build: %v", err)
	}
}

func TestBuildDryRun(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	stdout, _, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "usb:/KS.CFG", "--ks-external", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ldlinux    sectors ", "LDLINUX.SYS", "SYS.VGZ", "append vmkboot.gz ks=usb:/KS.CFG --- vmkernel.gz"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, err = runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "usb", "--ks-external", "--dry-run", "--json", "--fat", "32")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Hosts []struct {
			Plan struct {
				Layout string `json:"layout"`
				FAT    struct {
					Type int `json:"type"`
				} `json:"fat"`
				Loader struct {
					Sectors []uint32 `json:"sectors"`
				} `json:"ldlinux"`
			} `json:"plan"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Hosts) != 1 {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	plan := doc.Hosts[0].Plan
	if plan.Layout != "esxi-4.1" || plan.FAT.Type != 32 || len(plan.Loader.Sectors) == 0 {
		t.Errorf("--json plan = %+v", plan)
	}
}

func TestBuildErrors(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	_, tar386 := inputs(t, tarball.Spec{Version: "3.86", Date: "2010-04-16"})
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "missing.tmpl")
	os.WriteFile(tmpl, []byte("append {{.nokey}}\n"), 0o644)
	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"no iso", []string{"--syslinux", tar, "--ks", "usb", "-o", "x"}, 2, "--iso is required"},
		{"no syslinux", []string{"--iso", iso, "--ks", "usb", "--dry-run"}, 2, "esxi-4.1 media boot by BIOS through syslinux: give the syslinux-3.70 release tarball (--syslinux)"},
		{"no ks", []string{"--iso", iso, "--syslinux", tar, "-o", "x"}, 2, "--ks is required"},
		{"ks space", []string{"--iso", iso, "--syslinux", tar, "--ks", "http://a b", "--dry-run"}, 1, "white space at byte 8"},
		{"wrong version", []string{"--iso", iso, "--syslinux", tar386, "--ks", "usb", "--dry-run"}, 1, "holds SYSLINUX 3.86, but esxi-4.1 media need syslinux 3.70"},
		{"too small", []string{"--iso", iso, "--syslinux", tar, "--ks", "usb", "--size", "40K", "--dry-run"}, 1, "partition size 40960 bytes: fat: FAT16 needs at least"},
		{"bad size", []string{"--iso", iso, "--syslinux", tar, "--ks", "usb", "--size", "lots", "--dry-run"}, 2, "not a size"},
		{"bad fat", []string{"--iso", iso, "--syslinux", tar, "--ks", "usb", "--fat", "12", "--dry-run"}, 2, "use 16 or 32"},
		{"bad var", []string{"--iso", iso, "--syslinux", tar, "--ks", "usb", "--var", "novalue", "--dry-run"}, 2, "KEY=VALUE"},
		{"missing key", []string{"--iso", iso, "--syslinux", tar, "--ks", "usb", "--cfg-template", tmpl, "--dry-run"}, 1, `{{.nokey}}: no variable nokey (--var: none; built-in: FirstModule, Host, KS, Kernel, Modules, Serial, Timeout)`},
		{"device", []string{"--iso", iso, "--syslinux", tar, "--ks", "usb", "-o", "/dev/null", "--force"}, 1, "is under /dev"},
		{"no iso file", []string{"--iso", filepath.Join(dir, "none.iso"), "--syslinux", tar, "--ks", "usb", "--dry-run"}, 1, "none.iso"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(append([]string{"build"}, tt.args...)...)
			if exitCode(err) != tt.code || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v (exit %d), want exit %d and %q", err, exitCode(err), tt.code, tt.wantErr)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := map[string]int64{"512M": 512 << 20, "1G": 1 << 30, "1048576": 1 << 20, "600MiB": 600 << 20, "64k": 64 << 10}
	for in, want := range tests {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "M", "-1M", "1.5G", "99999999T"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestBuildCRLFTemplate(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "crlf.tmpl")
	os.WriteFile(tmpl, []byte("default 1\r\nlabel 1\r\nkernel {{.Kernel}}\r\nappend {{.FirstModule}} ks={{.KS}}{{range .Modules}} --- {{.}}{{end}}\r\n"), 0o644)
	out := filepath.Join(dir, "h.img")
	stdout, _, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/h.cfg", "--cfg-template", tmpl, "-o", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "had 4 CR bytes; written with LF line endings only") {
		t.Errorf("summary does not report the conversion:\n%s", stdout)
	}
	rep, err := inspectFile(context.Background(), out, iso)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Config.CRBytes != 0 || !rep.Bootable {
		t.Errorf("inspect: %d CR bytes, bootable %v, faults %v", rep.Config.CRBytes, rep.Bootable, rep.Faults)
	}
}

func TestBuildDryRunESXi7(t *testing.T) {
	iso, tar := inputs7(t)
	stdout, _, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx07.cfg",
		"--var", "ip=10.0.0.7", "--var", "netmask=255.255.255.0", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAT32", "APPEND -c boot.cfg\n", "BOOT.CFG:\n", "EFI/BOOT/BOOT.CFG:\n",
		"ks=http://deploy/ks/esx07.cfg", "ip=10.0.0.7", "netmask=255.255.255.0"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "cdromBoot") {
		t.Errorf("dry run keeps cdromBoot:\n%s", stdout)
	}
}

// TestBuildMbootVolume: a syslinux.cfg template that gives mboot -p on
// FAT32 is refused, naming the template's line and the defect; on FAT16 it
// builds.
func TestBuildMbootVolume(t *testing.T) {
	iso, tar := inputs7(t)
	tmpl := filepath.Join(t.TempDir(), "usb.tmpl")
	os.WriteFile(tmpl, []byte("DEFAULT install\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg -p 1\n"), 0o644)
	args := []string{"build", "--iso", iso, "--syslinux", tar, "--ks", "http://deploy/ks/esx07.cfg", "--cfg-template", tmpl, "--dry-run"}
	_, _, err := runCLI(args...)
	want := tmpl + `: syslinux.cfg line 4 "APPEND -c boot.cfg -p 1" gives VMware's mboot -p 1 on FAT32`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "libfat/fatchain.c") {
		t.Errorf("-p 1 on FAT32: %v, want %q", err, want)
	}
	if _, _, err := runCLI(append(args, "--fat", "16")...); err != nil {
		t.Errorf("-p 1 on FAT16: %v", err)
	}
}

func TestBuildHostsCLI(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts, ks, out := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "ks.tmpl"), filepath.Join(dir, "images")
	os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\nesx02,10.0.0.2\n"), 0o644)
	os.WriteFile(ks, []byte(kickstart.V4+"network --bootproto=static --ip={{.ip}} --netmask=24 --hostname={{.id}}\n"), 0o644)
	stdout, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks-template", ks,
		"--embed-ks", "--out-dir", out, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if n := strings.Count(stdout, `"phase":"written"`); n != 2 || !strings.Contains(stdout, `{"schema_version":1,"type":"build","dry_run":false,"hosts":[{"id":"esx01","plan":{`) {
		t.Errorf("--json events:\n%s", stdout)
	}
	var m struct {
		Inputs []struct{ Role, SHA256 string }
		Hosts  []struct {
			ID, KS, SHA256, Kickstart string
		}
	}
	b, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	isoBytes, _ := os.ReadFile(iso)
	isoSum := sha256.Sum256(isoBytes)
	if len(m.Inputs) != 4 || m.Inputs[0].Role != "iso" || m.Inputs[0].SHA256 != hex.EncodeToString(isoSum[:]) {
		t.Errorf("manifest inputs = %+v", m.Inputs)
	}
	for i, id := range []string{"esx01", "esx02"} {
		img, _ := os.ReadFile(filepath.Join(out, id+".img"))
		sum := sha256.Sum256(img)
		h := m.Hosts[i]
		if h.ID != id || h.KS != "usb:/KS.CFG" || h.SHA256 != hex.EncodeToString(sum[:]) || h.Kickstart != id+".cfg" {
			t.Errorf("manifest host %d = %+v", i, h)
		}
		cfg, _ := os.ReadFile(filepath.Join(out, id+".cfg"))
		if want := kickstart.V4 + "network --bootproto=static --ip=10.0.0." + string(rune('1'+i)) + " --netmask=24 --hostname=" + id + "\n"; string(cfg) != want {
			t.Errorf("%s.cfg = %q, want %q", id, cfg, want)
		}
	}
	// A bad row names its line, and nothing is written.
	os.WriteFile(hosts, []byte("id,ip\nesx03,10.0.0.3\nesx03,10.0.0.4\n"), 0o644)
	out2 := filepath.Join(dir, "images2")
	_, _, err = runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "usb", "--out-dir", out2)
	if err == nil || !strings.Contains(err.Error(), `line 3: id "esx03" already used on line 2`) {
		t.Errorf("duplicate id: %v", err)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("an output folder was made for a refused inventory")
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/NAME (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -run %s -update rewrites it):\ngot:\n%s\nwant:\n%s", p, t.Name(), got, want)
	}
}

// TestCheckFleet: check on a realistic 50-host inventory with a handful of
// planted mistakes names each one's line (golden text and JSON), exits 1,
// and build refuses the same inventory before writing anything.
func TestCheckFleet(t *testing.T) {
	args := []string{"check", "--hosts", "testdata/fleet/hosts.csv", "--ks-template", "testdata/fleet/ks.tmpl",
		"--ks", "http://deploy/ks/{{.id}}.cfg", "--esxi", "7.0"}
	stdout, _, err := runCLI(args...)
	if exitCode(err) != 1 {
		t.Errorf("exit %d (%v), want 1", exitCode(err), err)
	}
	golden(t, "fleet/check.txt", stdout)
	stdout, _, err = runCLI(append(args, "--json")...)
	if exitCode(err) != 1 {
		t.Errorf("--json: exit %d, want 1", exitCode(err))
	}
	golden(t, "fleet/check.json", stdout)

	iso, tar := inputs7(t)
	out := filepath.Join(t.TempDir(), "images")
	_, _, err = runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", "testdata/fleet/hosts.csv",
		"--ks-template", "testdata/fleet/ks.tmpl", "--ks", "http://deploy/ks/{{.id}}.cfg", "--out-dir", out)
	if err == nil || !strings.Contains(err.Error(), "check: 9 errors, 0 warnings in 50 hosts; nothing was built") ||
		!strings.Contains(err.Error(), "error esx17 testdata/fleet/hosts.csv:18: ip: 10.20.0.15 is also host esx05's (line 6)") {
		t.Errorf("build: %v", err)
	}
	if _, serr := os.Stat(out); !os.IsNotExist(serr) {
		t.Errorf("build left %s (%v)", out, serr)
	}
}

// TestBuildCheckWarnings: a build prints check's warnings and records them
// in manifest.json; --no-check builds what check refuses.
func TestBuildCheckWarnings(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts, ks := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "ks.tmpl")
	os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\nesx02,10.0.0.1\n"), 0o644)
	os.WriteFile(ks, []byte(kickstart.V4+"network --bootproto=static --ip={{.ip}} --netmask=24\n"), 0o644)
	args := []string{"build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks-template", ks, "--ks", "http://d/{{.id}}"}
	_, _, err := runCLI(append(args, "--out-dir", filepath.Join(dir, "refused"))...)
	if err == nil || !strings.Contains(err.Error(), "ip: 10.0.0.1 is also host esx01's (line 2)") {
		t.Errorf("duplicate ip: %v", err)
	}
	out := filepath.Join(dir, "images")
	_, stderr, err := runCLI(append(args, "--out-dir", out, "--no-check")...)
	if err != nil {
		t.Fatalf("--no-check: %v\n%s", err, stderr)
	}
	os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\nesx02,10.0.0.2\n"), 0o644)
	_, stderr, err = runCLI(append(args, "--out-dir", out, "--force")...)
	warn := "warning esx01 " + ks + ":5: network: --bootproto=static without --gateway"
	if err != nil || !strings.Contains(stderr, warn) {
		t.Fatalf("build: %v\nstderr lacks %q:\n%s", err, warn, stderr)
	}
	var m struct {
		Checks []struct{ Severity, Host, Message string } `json:"check_warnings"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil || len(m.Checks) != 2 || m.Checks[1].Host != "esx02" || m.Checks[1].Severity != "warning" {
		t.Errorf("manifest check_warnings: %v %+v", err, m.Checks)
	}
}

// TestBuildHostsNothingBuilt: when every host fails, the run says so and
// writes neither SHA256SUMS nor manifest.json.
func TestBuildHostsNothingBuilt(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts, out := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "images")
	os.WriteFile(hosts, []byte("id\nesx01\nesx02\n"), 0o644)
	_, _, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}", "--out-dir", out,
		"--size", "64K", "--keep-going", "--quiet")
	if err == nil || !strings.Contains(err.Error(), "no host was built; no SHA256SUMS or manifest.json written") {
		t.Errorf("err = %v", err)
	}
	for _, name := range []string{"SHA256SUMS", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			t.Errorf("%s written", name)
		}
	}
}
