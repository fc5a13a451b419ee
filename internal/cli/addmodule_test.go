package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAddModuleCLI: build --add-module puts the driver at the end of both
// BOOT.CFGs of a 7.0 batch, records it in manifest.json with its SHA-256,
// and inspect --iso names it as an added module, not as a mismatch; a
// clashing name is refused (exit 1) naming the file, before any output.
func TestAddModuleCLI(t *testing.T) {
	iso, tar := inputs7(t)
	dir := t.TempDir()
	drv, hosts, out := filepath.Join(dir, "net-e1000e.v00"), filepath.Join(dir, "hosts.csv"), filepath.Join(dir, "images")
	data := []byte("a NIC driver's bytes\n")
	os.WriteFile(drv, data, 0o644)
	os.WriteFile(hosts, []byte("id\nesx01\nesx02\n"), 0o644)
	_, stderr, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}.cfg",
		"--out-dir", out, "--add-module", drv+":NET.V00", "--no-check", "-q")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var m struct {
		Inputs []struct{ Role, Path, Name, SHA256 string }
	}
	b, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	last := m.Inputs[len(m.Inputs)-1]
	if last.Role != "module" || last.Path != drv || last.Name != "NET.V00" || last.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("manifest inputs = %+v", m.Inputs)
	}
	stdout, _, err := runCLI("inspect", "--iso", iso, filepath.Join(out, "esx02.img"))
	if err != nil {
		t.Fatalf("inspect: %v\n%s", err, stdout)
	}
	for _, w := range []string{"ISO: matches (esxi-7.0); 0 missing, 0 differ, 2 host edits of BOOT.CFG, 0 not on the ISO",
		"Added modules (not on the ISO, loaded at boot): /NET.V00", "26 modules (0 missing)"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("inspect lacks %q:\n%s", w, stdout)
		}
	}
	if strings.Contains(stdout, "warning") || strings.Contains(stdout, "FAULT") {
		t.Errorf("inspect:\n%s", stdout)
	}

	img := filepath.Join(dir, "clash.img")
	_, _, err = runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "http://d/ks.cfg", "-o", img, "--add-module", drv+":s.v00")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "--add-module "+drv+": its name S.V00 is already on the partition (the ISO's S.V00)") {
		t.Errorf("clash: exit %d, %v", exitCode(err), err)
	}
	if _, err := os.Stat(img); err == nil {
		t.Error("an image was written for a refused module")
	}
	// Install CDs do not take added modules: refused, not ignored.
	_, _, err = runCLI("build", "--iso", iso, "--ks", "http://d/ks.cfg", "-o", filepath.Join(dir, "esx01.iso"), "--add-module", drv+":NET.V00")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "install CDs (--format iso) do not take them") {
		t.Errorf("--format iso: exit %d, %v", exitCode(err), err)
	}
}
