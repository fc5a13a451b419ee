package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Needs    any `yaml:"needs"`
		Strategy struct {
			Matrix map[string][]any `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestShardsWorkflow parses .github/workflows/shards.yml and dry-runs its
// steps' commands as the runners would: each shard's build job in its own
// folder, the artifacts copied as download-artifact lays them out, then the
// merge job (merge, sha256sum -c, inspect).
func TestShardsWorkflow(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, ".github/workflows/shards.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("shards.yml: %v", err)
	}
	if _, ok := w.On["workflow_dispatch"]; !ok {
		t.Error("shards.yml is not started by hand (workflow_dispatch)")
	}
	build, merge := w.Jobs["build"], w.Jobs["merge"]
	shards := build.Strategy.Matrix["shard"]
	if len(shards) != 4 || merge.Needs != "build" {
		t.Fatalf("matrix %v, merge needs %v", shards, merge.Needs)
	}
	bin := filepath.Join(t.TempDir(), "esxi-autopart")
	if out, err := exec.Command("go", "build", "-o", bin, repoRoot).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	runStep := func(dir, script string, vars map[string]string) {
		t.Helper()
		for k, v := range vars {
			script = strings.ReplaceAll(script, "${{ "+k+" }}", v)
		}
		script = strings.ReplaceAll(script, "go run .", bin)
		if strings.Contains(script, "${{") {
			t.Fatalf("unexpanded expression in %q", script)
		}
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("step %q: %v\n%s", script, err, out)
		}
	}
	root := t.TempDir()
	mergeDir := filepath.Join(root, "merge")
	for _, s := range shards {
		k := strconv.Itoa(s.(int))
		runner := filepath.Join(root, "build-"+k)
		os.MkdirAll(runner, 0o755)
		vars := map[string]string{"matrix.shard": k, "inputs.hosts": "12"}
		for _, st := range build.Steps {
			switch {
			case st.Run != "":
				runStep(runner, st.Run, vars)
			case strings.HasPrefix(st.Uses, "actions/upload-artifact"):
				name := strings.ReplaceAll(st.With["name"], "${{ matrix.shard }}", k)
				src := filepath.Join(runner, strings.ReplaceAll(st.With["path"], "${{ matrix.shard }}", k))
				if err := os.MkdirAll(filepath.Join(mergeDir, "out"), 0o755); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command("cp", "-r", src, filepath.Join(mergeDir, "out", name)).CombinedOutput(); err != nil {
					t.Fatalf("artifact %s: %v\n%s", name, err, out)
				}
			}
		}
	}
	for _, st := range merge.Steps {
		if st.Run != "" {
			runStep(mergeDir, st.Run, nil)
		}
	}
	sums, _ := os.ReadFile(filepath.Join(mergeDir, "merged", "SHA256SUMS"))
	if n := strings.Count(string(sums), ".img\n"); n != 12 {
		t.Errorf("merged SHA256SUMS lists %d images, want 12:\n%s", n, sums)
	}
}
