package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// jsonGolden compares stdout (one JSON document, or JSON lines) with
// testdata/json/NAME.golden, each document indented, the temporary folders
// dirs written as $TMP and timings as 0.
func jsonGolden(t *testing.T, name, stdout string, dirs ...string) {
	t.Helper()
	var b strings.Builder
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", name, err, stdout)
		}
		checkConventions(t, name, raw)
		var ind bytes.Buffer
		json.Indent(&ind, raw, "", "  ")
		b.Write(ind.Bytes())
		b.WriteString("\n")
	}
	got := b.String()
	for _, d := range dirs {
		got = strings.ReplaceAll(got, d, "$TMP")
	}
	got = regexp.MustCompile(`"seconds": [0-9.e+-]+`).ReplaceAllString(got, `"seconds": 0`)
	golden(t, filepath.Join("json", name+".golden"), got)
}

// planOf returns the plan objects of a build document, by host id.
func planOf(t *testing.T, doc string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(doc), "\n")
	var d struct {
		Type  string `json:"type"`
		Hosts []struct {
			ID   string `json:"id"`
			Plan any    `json:"plan"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &d); err != nil || d.Type != "build" {
		if err := json.Unmarshal([]byte(doc), &d); err != nil || d.Type != "build" {
			t.Fatalf("not a build document (%v):\n%s", err, doc)
		}
	}
	out := map[string]any{}
	for _, h := range d.Hosts {
		out[h.ID] = h.Plan
	}
	return out
}

// TestJSONShapes: every document `build` prints under --json, goldens of
// their shape, and one plan object for a dry run and a build, one host and
// an inventory.
func TestJSONShapes(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	iso, tar := inputs(t, tarball.Spec{})
	in := filepath.Dir(iso)
	dir := t.TempDir()
	one := []string{"build", "--iso", iso, "--syslinux", tar, "--host", "esx01", "--ks", "http://deploy/ks/esx01.cfg", "--json"}
	dry, _, err := runCLI(append(one, "--dry-run")...)
	if err != nil {
		t.Fatal(err)
	}
	jsonGolden(t, "build_dry_run", dry, in, dir)
	built, stderr, err := runCLI(append(one, "-o", filepath.Join(dir, "esx01.img"))...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	jsonGolden(t, "build", built, in, dir)
	if a, b := planOf(t, dry), planOf(t, built); !reflect.DeepEqual(a, b) {
		t.Errorf("single host: the dry run's plan differs from the build's:\n%v\n%v", a, b)
	}
	hosts := filepath.Join(dir, "hosts.csv")
	os.WriteFile(hosts, []byte("id\nesx01\nesx02\n"), 0o644)
	batch := []string{"build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://deploy/ks/{{.id}}.cfg", "--json", "--jobs", "1"}
	bdry, _, err := runCLI(append(batch, "--dry-run", "--out-dir", filepath.Join(dir, "out"))...)
	if err != nil {
		t.Fatal(err)
	}
	jsonGolden(t, "batch_dry_run", bdry, in, dir)
	bbuilt, stderr, err := runCLI(append(batch, "--out-dir", filepath.Join(dir, "out"))...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	jsonGolden(t, "batch_build", bbuilt, in, dir)
	bp, dp := planOf(t, bbuilt), planOf(t, bdry)
	if !reflect.DeepEqual(bp, dp) {
		t.Errorf("inventory: the dry run's plans differ from the build's")
	}
	if !reflect.DeepEqual(bp["esx01"], planOf(t, dry)["esx01"]) {
		t.Errorf("host esx01: the inventory's plan differs from the single host's")
	}
	ins, _, err := runCLI("inspect", "--json", filepath.Join(dir, "esx01.img"))
	if err != nil {
		t.Fatal(err)
	}
	jsonGolden(t, "inspect", ins, in, dir)
}

// TestJSONErrors: a failure under --json is an error object on stdout,
// located when it is in the user's file, with the exit status as code.
func TestJSONErrors(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts.csv")
	os.WriteFile(hosts, []byte("id\nesx01\n../x\n"), 0o644)
	ks := filepath.Join(dir, "ks.tmpl")
	os.WriteFile(ks, []byte("vmaccepteula\nnetwork --hostname={{.hostname}}\n"), 0o644)
	// --ks is a flag, not a file: its template's mistake is located at the
	// host's row of the inventory (element 2 of a JSON one), or not at all.
	hostsJSON := filepath.Join(dir, "hosts.json")
	os.WriteFile(hostsJSON, []byte(`[{"id":"esx01","rack":"r1"},{"id":"esx02"}]`), 0o644)
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"error_usage", []string{"build", "--json", "--no-such-flag"}, 2},
		{"error_inventory", []string{"build", "--json", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "x", "--out-dir", dir}, 1},
		{"error_template", []string{"build", "--json", "--iso", iso, "--syslinux", tar, "--ks-template", ks, "--ks", "x", "--dry-run"}, 1},
		{"error_ks_single", []string{"build", "--json", "--iso", iso, "--syslinux", tar, "--host", "esx01", "--ks", "http://x/{{.rack}}", "--dry-run"}, 1},
		{"error_ks_host", []string{"build", "--json", "--iso", iso, "--syslinux", tar, "--hosts", hostsJSON, "--ks", "http://x/{{.rack}}", "--out-dir", dir, "--dry-run"}, 1},
		{"error_iso", []string{"build", "--json", "--iso", filepath.Join(dir, "none.iso"), "--syslinux", tar, "--ks", "x", "--dry-run"}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(tt.args...)
			var out, errb bytes.Buffer
			code := reportError(tt.args, err, &out, &errb)
			if code != tt.code || errb.Len() > 0 {
				t.Errorf("exit %d (want %d), stderr %q", code, tt.code, errb.String())
			}
			jsonGolden(t, tt.name, stdout+out.String(), filepath.Dir(iso), dir)
			_ = stderr
		})
	}
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkConventions fails unless the document's first key is
// schema_version and every key is snake_case (the values of "generated",
// FAT paths, aside) and no list is null.
func checkConventions(t *testing.T, name string, raw []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		t.Errorf("%s: not an object", name)
		return
	}
	if tok, _ := dec.Token(); tok != "schema_version" {
		t.Errorf("%s: first key %v, want schema_version", name, tok)
	}
	var v any
	json.Unmarshal(raw, &v)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if !snakeCase.MatchString(k) && !strings.HasSuffix(path, ".generated") {
					t.Errorf("%s: key %s.%s is not snake_case", name, path, k)
				}
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		}
	}
	walk("", v)
}
