package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checkConfig checks what a tag's release depends on beyond this program,
// without building anything (what `goreleaser check` is to goreleaser):
// the platforms are ones Go knows, the image's among them;
// .github/workflows/release.yml runs on v* tags with the permissions to
// upload, runs this program with flags it has, and uploads what it
// writes; README.md names the image and says how to check SHA256SUMS.
func checkConfig(root string) error {
	dist, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		return fmt.Errorf("go tool dist list: %w", err)
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	known := strings.Fields(string(dist))
	seen := map[platform]bool{}
	for _, p := range platforms {
		if !slices.Contains(known, p.String()) {
			bad("platform %s: not in go tool dist list", p)
		}
		if seen[p] {
			bad("platform %s: listed twice", p)
		}
		seen[p] = true
	}
	for _, p := range imagePlatforms {
		if !seen[p] || p.os != "linux" {
			bad("image platform %s: want a linux platform of the release's", p)
		}
	}

	wf, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "release.yml"))
	if err != nil {
		return err
	}
	for _, e := range checkWorkflow(wf) {
		bad(".github/workflows/release.yml: %s", e)
	}

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return err
	}
	for _, want := range []string{"\n## Releases\n", imageRepo + ":", "sha256sum", "SHA256SUMS"} {
		if !strings.Contains(string(readme), want) {
			bad("README.md does not say %q", strings.TrimSpace(want))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("release configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// workflow is the part of a GitHub Actions workflow checkWorkflow reads.
type workflow struct {
	On struct {
		Push struct {
			Tags []string `yaml:"tags"`
		} `yaml:"push"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Permissions map[string]string `yaml:"permissions"`
		Env         map[string]string `yaml:"env"`
		Steps       []struct {
			Run  string `yaml:"run"`
			Uses string `yaml:"uses"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var releaseFlagRE = regexp.MustCompile(`(?:^|\s)(--?[a-z][a-z-]*)`)

// checkWorkflow lists what is wrong with the release workflow's text.
func checkWorkflow(text []byte) []string {
	var w workflow
	if err := yaml.Unmarshal(text, &w); err != nil {
		return []string{err.Error()}
	}
	var errs []string
	if !slices.Contains(w.On.Push.Tags, "v*") {
		errs = append(errs, fmt.Sprintf("on.push.tags is %q; want it to hold \"v*\"", w.On.Push.Tags))
	}
	perms := map[string]string{}
	for k, v := range w.Permissions {
		perms[k] = v
	}
	runs := 0
	var all strings.Builder
	for _, job := range w.Jobs {
		for k, v := range job.Permissions {
			perms[k] = v
		}
		for _, v := range job.Env {
			all.WriteString(v + "\n")
		}
		for _, s := range job.Steps {
			all.WriteString(s.Run + "\n")
			for _, line := range strings.Split(s.Run, "\n") {
				_, args, ok := strings.Cut(line, "go run ./scripts/release")
				if !ok {
					continue
				}
				runs++
				for _, m := range releaseFlagRE.FindAllStringSubmatch(args, -1) {
					name := strings.TrimLeft(m[1], "-")
					if flag.Lookup(name) == nil {
						errs = append(errs, fmt.Sprintf("scripts/release has no flag %s", m[1]))
					}
				}
				if !strings.Contains(args, "--check") && (!strings.Contains(args, "--version") || strings.Contains(args, "--snapshot")) {
					errs = append(errs, "go run ./scripts/release builds without --version (or with --snapshot)")
				}
			}
		}
	}
	if runs == 0 {
		errs = append(errs, "no step runs go run ./scripts/release")
	}
	for _, p := range []string{"contents", "packages"} {
		if perms[p] != "write" {
			errs = append(errs, fmt.Sprintf("permissions: %s is %q, want write", p, perms[p]))
		}
	}
	for _, want := range []string{"dist/assets/", "dist/oci", imageRepo} {
		if !strings.Contains(all.String(), want) {
			errs = append(errs, fmt.Sprintf("no step names %s", want))
		}
	}
	return errs
}
