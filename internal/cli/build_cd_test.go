package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// TestOutputFormat: -o's extension (and --format) choose raw image or
// install CD; names of formats build does not write are refused, naming
// the ones it does.
func TestOutputFormat(t *testing.T) {
	tests := []struct {
		out, format, compress string
		want                  string // format, or the error's text
	}{
		{"esx01.img", "", "", formatImage},
		{"esx01", "", "", formatImage},
		{"esx01.img.zst", "", "", formatImage},
		{"esx01.raw", "", "zstd", formatImage},
		{"esx01.iso", "", "", formatISO},
		{"ESX01.ISO", "iso", "", formatISO},
		{"", "iso", "", formatISO},
		{"", "", "", formatImage},
		{"esx01.vmdk", "", "", ".vmdk names a VMware virtual disk, which build does not write; build writes raw disk images"},
		{"esx01.qcow2", "", "", ".qcow2 names a QEMU disk"},
		{"esx01.img.bz2", "", "", ".bz2 names bzip2 data"},
		{"esx01.iso.gz", "", "", "a compressed install CD is not written"},
		{"esx01.iso", "", "zstd", "install CDs are written as they are"},
		{"esx01.iso", "img", "", "a raw disk image named .iso would lie"},
		{"esx01.img", "iso", "", "-o esx01.img --format iso: name the install CD NAME.iso"},
		{"", "iso", "gzip", "--format iso --compress gzip"},
		{"x.img", "vmdk", "", `--format "vmdk": use img or iso`},
	}
	for _, tc := range tests {
		got, err := outputFormat(tc.out, tc.format, tc.compress)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("-o %q --format %q --compress %q: %q, want %q", tc.out, tc.format, tc.compress, got, tc.want)
		}
	}
	_, _, err := runCLI("build", "--iso", "x.iso", "--syslinux", "s.tar.gz", "--ks", "http://d/k", "-o", filepath.Join(t.TempDir(), "x.vmdk"))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), ".vmdk names a VMware virtual disk") {
		t.Errorf("build -o x.vmdk: exit %d, %v", exitCode(err), err)
	}
}

// TestBuildCD: build -o NAME.iso needs no tarball, writes the CD and the
// kickstart beside it, and isoinfo reads the host's BOOT.CFG and KS.CFG.
func TestBuildCD(t *testing.T) {
	dir := t.TempDir()
	iso := filepath.Join(dir, "esxi7.iso")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0", ElTorito: true}); err != nil {
		t.Fatal(err)
	}
	ks := filepath.Join(dir, "ks.tmpl")
	if err := os.WriteFile(ks, []byte("vmaccepteula\nrootpw secret\ninstall --firstdisk --overwritevmfs\nnetwork --bootproto=dhcp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "esx01.iso")
	stdout, stderr, err := runCLI("build", "--iso", iso, "--host", "esx01", "--ks-template", ks, "--embed-ks", "-o", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"file       KS.CFG added: ", "boot       UEFI: no emulation, EFIBOOT.IMG", "ks         cdrom:/KS.CFG\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "esx01.cfg")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("esx01.cfg: %v %v", st, err)
	}
	testutil.Need(t, "isoinfo")
	cfg := testutil.Run(t, nil, "isoinfo", "-i", out, "-x", "/EFI/BOOT/BOOT.CFG;1")
	if !strings.Contains(cfg, "\nkernelopt=runweasel cdromBoot ks=cdrom:/KS.CFG\n") {
		t.Errorf("EFI/BOOT/BOOT.CFG:\n%s", cfg)
	}
	if got := testutil.Run(t, nil, "isoinfo", "-i", out, "-x", "/KS.CFG;1"); !strings.HasPrefix(got, "vmaccepteula\n") {
		t.Errorf("KS.CFG: %q", got)
	}
	stdout, _, err = runCLI("inspect", out, "--iso", iso)
	if err != nil || !strings.Contains(stdout, "vs the ISO: rewritten BOOT.CFG, EFI/BOOT/BOOT.CFG; added KS.CFG\n") ||
		!strings.HasSuffix(stdout, "BOOTABLE: ks=cdrom:/KS.CFG\n") {
		t.Errorf("inspect: %v\n%s", err, stdout)
	}
	if _, _, err := runCLI("inspect", iso); exitCode(err) != 3 {
		t.Errorf("inspect of the media (no ks=): exit %d, want 3", exitCode(err))
	}
	stdout, _, err = runCLI("boot", out, "--print-command")
	if err != nil || strings.Count(stdout, "media=cdrom,readonly=on -boot d") != 2 || !strings.Contains(stdout, "uefi: ") {
		t.Errorf("boot --print-command: %v\n%s", err, stdout)
	}
	_, _, err = runCLI("build", "--iso", iso, "--host", "esx01", "--ks", "http://d/k", "--fat", "32", "--cfg-template", ks, "-o", filepath.Join(dir, "x.iso"))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--cfg-template, --fat shape(s) disk images") {
		t.Errorf("--fat with a CD: exit %d, %v", exitCode(err), err)
	}
	_, _, err = runCLI("build", "--iso", iso, "--host", "esx01", "--ks", "http://d/k", "-o", out)
	if exitCode(err) == 0 || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second build without --force: %v", err)
	}
}

// TestBuildCDHosts: --format iso with --hosts in two shards writes
// <id>.iso and <id>.cfg per host, and manifest merge joins the shards into
// one SHA256SUMS that checks the CDs.
func TestBuildCDHosts(t *testing.T) {
	dir := t.TempDir()
	iso := filepath.Join(dir, "esxi7.iso")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0", ElTorito: true}); err != nil {
		t.Fatal(err)
	}
	hosts, ks := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "ks.tmpl")
	if err := os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\nesx02,10.0.0.2\nesx03,10.0.0.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ks, []byte("vmaccepteula\nrootpw secret\ninstall --firstdisk --overwritevmfs\nnetwork --bootproto=dhcp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var shards []string
	for _, k := range []string{"1/2", "2/2"} {
		out := filepath.Join(dir, "shard-"+k[:1])
		shards = append(shards, out)
		if _, stderr, err := runCLI("build", "--iso", iso, "--hosts", hosts, "--ks-template", ks, "--embed-ks", "--format", "iso",
			"--var", "netmask=255.255.255.0", "--out-dir", out, "--shard", k, "-q"); err != nil {
			t.Fatalf("shard %s: %v\n%s", k, err, stderr)
		}
	}
	merged := filepath.Join(dir, "merged")
	if _, stderr, err := runCLI(append([]string{"manifest", "merge", "-o", merged}, shards...)...); err != nil {
		t.Fatalf("merge: %v\n%s", err, stderr)
	}
	sums, err := os.ReadFile(filepath.Join(merged, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 6 {
		t.Fatalf("SHA256SUMS:\n%s", sums)
	}
	for _, l := range lines {
		sum, name, _ := strings.Cut(l, "  ")
		var b []byte
		for _, s := range shards {
			if b, err = os.ReadFile(filepath.Join(s, name)); err == nil {
				break
			}
		}
		if b == nil || sha256Hex(b) != sum {
			t.Errorf("%s: not in a shard, or its SHA-256 is not %s", name, sum)
		}
		if strings.HasSuffix(name, ".iso") {
			testutil.Need(t, "isoinfo")
			cfg := testutil.Run(t, nil, "isoinfo", "-i", filepath.Join(filepath.Dir(findIn(shards, name)), name), "-x", "/BOOT.CFG;1")
			id := strings.TrimSuffix(name, ".iso")
			if want := "ks=cdrom:/KS.CFG ip=10.0.0." + id[len(id)-1:] + " netmask=255.255.255.0\n"; !strings.Contains(cfg, want) {
				t.Errorf("%s BOOT.CFG lacks %q:\n%s", name, want, cfg)
			}
		}
	}
}

// findIn returns the path of name in the first folder that has it.
func findIn(dirs []string, name string) string {
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return filepath.Join(d, name)
		}
	}
	return ""
}

// TestBuildCDAloneAsInBatch: a host's CD built alone (-o) is the batch's
// <id>.iso byte for byte, whichever hosts are beside it; the SHA-256 that
// build prints, SHA256SUMS and manifest.json give is sha256sum's, with
// --verify written (default) and full alike. --verify on a disk image is
// a usage error.
func TestBuildCDAloneAsInBatch(t *testing.T) {
	dir := t.TempDir()
	iso := filepath.Join(dir, "esxi7.iso")
	if err := isogen.Write(iso, isogen.Spec{Version: "7.0", ElTorito: true, Joliet: true}); err != nil {
		t.Fatal(err)
	}
	hosts, ks := filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "ks.tmpl")
	if err := os.WriteFile(hosts, []byte("id,ip\nesx01,10.0.0.1\nesx02,10.0.0.22\nesx03,10.0.0.103\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ks, []byte("vmaccepteula\nrootpw secret\ninstall --firstdisk --overwritevmfs\nnetwork --bootproto=static --ip={{.ip}} --netmask=255.255.255.0 --gateway=10.0.0.254 --nameserver=10.0.0.254 --hostname={{.id}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "batch")
	if _, stderr, err := runCLI("build", "--iso", iso, "--hosts", hosts, "--ks-template", ks, "--embed-ks", "--format", "iso", "--out-dir", out, "-q"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	testutil.Need(t, "sha256sum")
	for _, verify := range []string{"written", "full"} {
		alone := filepath.Join(dir, "esx02-"+verify+".iso")
		stdout, stderr, err := runCLI("build", "--iso", iso, "--host", "esx02", "--var", "ip=10.0.0.22", "--ks-template", ks, "--embed-ks",
			"--verify", verify, "-o", alone)
		if err != nil {
			t.Fatalf("--verify %s: %v\n%s", verify, err, stderr)
		}
		a, _ := os.ReadFile(alone)
		b, _ := os.ReadFile(filepath.Join(out, "esx02.iso"))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("--verify %s: esx02 alone (%d bytes) is not the batch's esx02.iso (%d bytes)", verify, len(a), len(b))
		}
		sum := strings.Fields(testutil.Run(t, nil, "sha256sum", alone))[0]
		if !strings.Contains(stdout, "sha256     "+sum+"\n") || !strings.Contains(string(sums), sum+"  esx02.iso\n") {
			t.Errorf("--verify %s: sha256sum says %s; build printed:\n%s\nSHA256SUMS:\n%s", verify, sum, stdout, sums)
		}
	}
	_, _, err = runCLI("build", "--iso", iso, "--syslinux", "x.tar.gz", "--host", "esx01", "--ks", "http://d/k", "--verify", "full", "-o", filepath.Join(dir, "x.img"))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "a disk image is read back whole") {
		t.Errorf("--verify with a disk image: exit %d, %v", exitCode(err), err)
	}
	_, _, err = runCLI("build", "--iso", iso, "--host", "esx01", "--ks", "http://d/k", "--verify", "some", "-o", filepath.Join(dir, "x.iso"))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "say written or full") {
		t.Errorf("--verify some: exit %d, %v", exitCode(err), err)
	}
}

// TestBootCDMemory: boot gives an install CD's guests RAM for what each
// firmware's boot loads, as for a disk: BIOS mboot.c32, UEFI
// EFI/BOOT/BOOTX64.EFI, each with the kernel and every module its
// BOOT.CFG names (here s.v00 of 100 MiB; the default 256 MiB would not
// hold twice that).
func TestBootCDMemory(t *testing.T) {
	dir := t.TempDir()
	spec := isogen.Spec{Version: "7.0", ElTorito: true, Sizes: map[string]int64{"s.v00": 100 << 20}}
	iso := filepath.Join(dir, "esxi7.iso")
	if err := isogen.Write(iso, spec); err != nil {
		t.Fatal(err)
	}
	files, err := isogen.Contents(spec)
	if err != nil {
		t.Fatal(err)
	}
	size := map[string]int64{}
	for _, f := range files {
		size[strings.ToLower(f.Path)] = int64(len(f.Bytes()))
	}
	var mods int64
	for _, m := range isogen.Modules5("7.0") {
		mods += size[m]
	}
	want := map[string]int64{"bios": size["mboot.c32"] + mods, "uefi": size["efi/boot/bootx64.efi"] + mods}
	out := filepath.Join(dir, "esx01.iso")
	if _, stderr, err := runCLI("build", "--iso", iso, "--host", "esx01", "--ks", "http://deploy/ks/esx01.cfg", "-o", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	stdout, _, err := runCLI("boot", out, "--print-command")
	if err != nil {
		t.Fatal(err)
	}
	for fw, payload := range want {
		mem := qemu.MemoryFor(payload)
		if payload < 100<<20 || mem <= qemu.DefaultMemory || !strings.Contains(stdout, fmt.Sprintf("%s: qemu-system-x86_64 -accel %s -m %d ", fw, qemu.DetectAccel(), mem)) &&
			!strings.Contains(stdout, fmt.Sprintf("%s: qemu-system-x86_64 -m %d ", fw, mem)) {
			t.Errorf("%s: want -m %d (a %d-byte payload):\n%s", fw, mem, payload, stdout)
		}
	}
	if stdout, _, err = runCLI("boot", out, "--print-command", "--memory", "300"); err != nil || strings.Count(stdout, " -m 300 ") != 2 {
		t.Errorf("--memory 300: %v\n%s", err, stdout)
	}
}
