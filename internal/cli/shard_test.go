package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestShardsMerge builds an inventory as N shards (some of them empty),
// merges their manifests, and checks that the images of all shards copied
// beside the merged SHA256SUMS check out with sha256sum -c and are the
// images one unsharded build makes.
func TestShardsMerge(t *testing.T) {
	iso, tar := inputs(t, tarball.Spec{})
	dir := t.TempDir()
	for _, tc := range []struct{ hosts, shards int }{{10, 4}, {3, 8}} {
		t.Run(fmt.Sprintf("%d hosts in %d shards", tc.hosts, tc.shards), func(t *testing.T) {
			d := filepath.Join(dir, fmt.Sprint(tc.hosts, "x", tc.shards))
			csv := "id\n"
			for i := 1; i <= tc.hosts; i++ {
				csv += fmt.Sprintf("esx%02d\n", i)
			}
			hosts := filepath.Join(d, "hosts.csv")
			os.MkdirAll(d, 0o755)
			os.WriteFile(hosts, []byte(csv), 0o644)
			build := func(out string, extra ...string) {
				args := append([]string{"build", "--iso", iso, "--syslinux", tar, "--hosts", hosts, "--ks", "http://d/{{.id}}.cfg",
					"--out-dir", out, "--quiet"}, extra...)
				if _, stderr, err := runCLI(args...); err != nil {
					t.Fatalf("%v: %v\n%s", extra, err, stderr)
				}
			}
			build(filepath.Join(d, "all"))
			var shardDirs []string
			for k := 1; k <= tc.shards; k++ {
				sd := filepath.Join(d, fmt.Sprintf("shard-%d", k))
				build(sd, "--shard", fmt.Sprintf("%d/%d", k, tc.shards))
				shardDirs = append(shardDirs, sd)
			}
			merged := filepath.Join(d, "merged")
			stdout, _, err := runCLI(append([]string{"manifest", "merge", "-o", merged}, shardDirs...)...)
			if err != nil || !strings.Contains(stdout, fmt.Sprintf("merged %d shards: %d hosts", tc.shards, tc.hosts)) {
				t.Fatalf("merge: %v\n%s", err, stdout)
			}
			for _, sd := range shardDirs {
				imgs, _ := filepath.Glob(filepath.Join(sd, "*.img"))
				for _, img := range imgs {
					if err := os.Link(img, filepath.Join(merged, filepath.Base(img))); err != nil {
						t.Fatal(err)
					}
				}
			}
			sum := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
			sum.Dir = merged
			if out, err := sum.CombinedOutput(); err != nil {
				t.Errorf("sha256sum -c in the merged folder: %v\n%s", err, out)
			} else if n := strings.Count(string(out), ": OK"); n != tc.hosts {
				t.Errorf("sha256sum checked %d files, want %d:\n%s", n, tc.hosts, out)
			}
			sumsAll, _ := os.ReadFile(filepath.Join(d, "all", "SHA256SUMS"))
			sumsMerged, _ := os.ReadFile(filepath.Join(merged, "SHA256SUMS"))
			if string(sumsAll) != string(sumsMerged) {
				t.Errorf("merged SHA256SUMS differs from the unsharded build's:\n%s\nvs\n%s", sumsMerged, sumsAll)
			}
			var m struct {
				Shard string
				Hosts []struct{ ID string }
			}
			b, _ := os.ReadFile(filepath.Join(merged, "manifest.json"))
			if err := json.Unmarshal(b, &m); err != nil || m.Shard != "" || len(m.Hosts) != tc.hosts || m.Hosts[0].ID != "esx01" {
				t.Errorf("merged manifest: %v %+v", err, m)
			}
			if tc.shards == 8 { // --json: the same merge as a document
				stdout, _, err := say(append([]string{"manifest", "merge", "--json", "-f", "-o", merged}, shardDirs...)...)
				if err != 0 {
					t.Fatalf("merge --json: exit %d\n%s", err, stdout)
				}
				jsonGolden(t, "manifest_merge", stdout, d)
				stdout, _, err = say(append([]string{"manifest", "merge", "--json", "-o", merged}, shardDirs...)...)
				if err != 1 || !strings.Contains(stdout, `"message": "output `+merged+`/manifest.json exists; use --force to replace it"`) {
					t.Errorf("merge --json over a manifest: exit %d\n%s", err, stdout)
				}
			}
			// Without one shard, the merge refuses and names it.
			_, _, err = runCLI(append([]string{"manifest", "merge", "-o", filepath.Join(d, "bad")}, shardDirs[1:]...)...)
			if err == nil || !strings.Contains(err.Error(), "shard 1/") {
				t.Errorf("merge without shard 1: %v", err)
			}
		})
	}
}
