package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/internal/cli"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

const testVersion = "v1.2.3-test.1"

// runRelease builds a release of this platform's linux binary and image
// into a new folder and returns the folder.
func runRelease(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the release binary")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("the test runs the linux binary it builds; this is %s", runtime.GOOS)
	}
	ps, images, err := selectPlatforms("linux/" + runtime.GOARCH)
	if err != nil {
		t.Skipf("no release platform for this machine: %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	o := options{
		root: root, out: out, version: testVersion, revision: "0123456789abcdef0123456789abcdef01234567",
		epoch: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), platforms: ps, images: images, log: t.Logf,
	}
	assets, err := release(o)
	if err != nil {
		t.Fatal(err)
	}
	base := "esxi-autopart_1.2.3-test.1_"
	want := []string{base + "linux_" + runtime.GOARCH + ".cdx.json", base + "linux_" + runtime.GOARCH + ".tar.gz", base + "oci.tar", "SHA256SUMS"}
	if !slices.Equal(assets, want) {
		t.Fatalf("assets %q, want %q", assets, want)
	}
	return out
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// readTar reads a tar's regular files and folders into a map by name
// (folders end in /), keeping the headers.
func readTar(t *testing.T, r io.Reader) (map[string][]byte, map[string]*tar.Header) {
	t.Helper()
	files, headers := map[string][]byte{}, map[string]*tar.Header{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, headers
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := headers[h.Name]; dup {
			t.Errorf("%s twice in the tar", h.Name)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], headers[h.Name] = b, h
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestRelease builds a release for this machine's linux platform and
// checks what a user gets: SHA256SUMS matches every asset (sha256sum -c
// says so too); the OCI image layout leads from index.json through the
// image index and the platform's manifest to a config whose entrypoint is
// the binary in the one layer, which is static and prints the version;
// the archive holds the same binary, LICENSE, README.md and a man page
// per command; the SBOM names every module the binary records; a second
// build gives the same bytes.
func TestRelease(t *testing.T) {
	out := runRelease(t)
	assets := filepath.Join(out, "assets")
	sums, err := os.ReadFile(filepath.Join(assets, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("SHA256SUMS has %d lines:\n%s", len(lines), sums)
	}
	asset := map[string][]byte{}
	for _, line := range lines {
		sum, name, ok := strings.Cut(line, "  ")
		b, err := os.ReadFile(filepath.Join(assets, name))
		if !ok || err != nil || sha256hex(b) != sum {
			t.Fatalf("SHA256SUMS line %q: %v", line, err)
		}
		asset[name] = b
	}
	sha256sum := testutil.NeedTool(t, "sha256sum")
	cmd := exec.Command(sha256sum, "--strict", "-c", "SHA256SUMS")
	cmd.Dir = assets
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, b)
	}
	base := "esxi-autopart_1.2.3-test.1_"
	plat := "linux_" + runtime.GOARCH

	// The image: index.json -> image index -> manifest -> config + layer.
	layout, _ := readTar(t, bytes.NewReader(asset[base+"oci.tar"]))
	if got := string(layout["oci-layout"]); got != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout: %q", got)
	}
	for name, b := range layout {
		if d, ok := strings.CutPrefix(name, "blobs/sha256/"); ok && d != "" && sha256hex(b) != d {
			t.Errorf("%s holds bytes of SHA-256 %s", name, sha256hex(b))
		}
	}
	blob := func(d descriptor, media string, v any) []byte {
		t.Helper()
		hexSum, ok := strings.CutPrefix(d.Digest, "sha256:")
		b, found := layout["blobs/sha256/"+hexSum]
		if !ok || !found || int64(len(b)) != d.Size || d.MediaType != media {
			t.Fatalf("descriptor %+v: blob found %v (%d bytes), want media type %s", d, found, len(b), media)
		}
		if v != nil {
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("%s: %v", d.Digest, err)
			}
		}
		return b
	}
	var top, idx index
	if err := json.Unmarshal(layout["index.json"], &top); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	if top.SchemaVersion != 2 || len(top.Manifests) != 1 || top.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != testVersion {
		t.Fatalf("index.json: %s", layout["index.json"])
	}
	blob(top.Manifests[0], mediaIndex, &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Platform == nil ||
		idx.Manifests[0].Platform.OS != "linux" || idx.Manifests[0].Platform.Architecture != runtime.GOARCH {
		t.Fatalf("image index: %+v", idx)
	}
	var m manifest
	blob(idx.Manifests[0], mediaManifest, &m)
	if m.SchemaVersion != 2 || len(m.Layers) != 1 {
		t.Fatalf("manifest: %+v", m)
	}
	var cfg imageConfig
	blob(m.Config, mediaConfig, &cfg)
	layer := blob(m.Layers[0], mediaLayer, nil)
	raw := gunzip(t, layer)
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH || cfg.RootFS.Type != "layers" ||
		!slices.Equal(cfg.RootFS.DiffIDs, []string{"sha256:" + sha256hex(raw)}) {
		t.Errorf("config: %+v (layer's diff ID sha256:%s)", cfg, sha256hex(raw))
	}
	if len(cfg.Config.Entrypoint) != 1 || cfg.Config.User != "65532:65532" {
		t.Fatalf("config: entrypoint %q, user %q", cfg.Config.Entrypoint, cfg.Config.User)
	}
	files, headers := readTar(t, bytes.NewReader(raw))
	entry := strings.TrimPrefix(cfg.Config.Entrypoint[0], "/")
	bin, ok := files[entry]
	if !ok || headers[entry].Typeflag != tar.TypeReg || headers[entry].Mode != 0o755 {
		t.Fatalf("the entrypoint %s is not an executable file of the layer (layer: %v)", entry, slices.Sorted(maps.Keys(files)))
	}
	if !strings.Contains(string(files["etc/passwd"]), ":65532:65532:nonroot:/home/nonroot:") ||
		headers["home/nonroot/"] == nil || headers["home/nonroot/"].Uid != 65532 || headers["tmp/"] == nil {
		t.Errorf("the layer lacks the nonroot user, its home or /tmp")
	}
	exe := filepath.Join(t.TempDir(), "esxi-autopart")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(exe, "--version").Output()
	if err != nil || string(got) != "esxi-autopart "+testVersion+"\n" {
		t.Errorf("the image's binary --version: %q, %v", got, err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the image's binary is dynamically linked (%v): it cannot run on an image with no libc", p.Type)
		}
	}

	// The archive.
	arch, aHeaders := readTar(t, bytes.NewReader(gunzip(t, asset[base+plat+".tar.gz"])))
	dir := base + plat + "/"
	if !bytes.Equal(arch[dir+"esxi-autopart"], bin) || aHeaders[dir+"esxi-autopart"].Mode != 0o755 {
		t.Errorf("the archive's binary is not the image's")
	}
	for _, doc := range []string{"LICENSE", "README.md"} {
		want, err := os.ReadFile(filepath.Join("../..", doc))
		if err != nil || !bytes.Equal(arch[dir+doc], want) {
			t.Errorf("the archive's %s differs from the repository's (%v)", doc, err)
		}
	}
	manDir := t.TempDir()
	pages, err := cli.ManPages(manDir, testVersion, time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		want, _ := os.ReadFile(filepath.Join(manDir, p))
		if got, ok := arch[dir+"man/man1/"+p]; !ok || !bytes.Equal(got, want) {
			t.Errorf("the archive lacks man/man1/%s as cli.ManPages writes it", p)
		}
	}
	if n := len(arch); n != 3+3+len(pages) { // the folder, man/, man/man1/; binary, LICENSE, README.md; pages
		t.Errorf("the archive holds %d entries: %v", n, slices.Sorted(maps.Keys(arch)))
	}
	for name, h := range aHeaders {
		if !strings.HasPrefix(name, dir) || h.Uid != 0 || h.Uname != "" || !h.ModTime.Equal(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)) {
			t.Errorf("archive entry %s: %+v", name, h)
		}
	}

	// The SBOM.
	var bom cdxBOM
	if err := json.Unmarshal(asset[base+plat+".cdx.json"], &bom); err != nil {
		t.Fatal(err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || bom.Metadata.Component.Version != testVersion ||
		len(bom.Metadata.Component.Hashes) != 1 || bom.Metadata.Component.Hashes[0].Content != sha256hex(bin) {
		t.Errorf("SBOM metadata: %+v", bom.Metadata)
	}
	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	purls := map[string]bool{}
	for _, c := range bom.Components {
		purls[c.PURL] = true
	}
	if len(bi.Deps) == 0 || !purls["pkg:golang/stdlib@"+strings.TrimPrefix(bi.GoVersion, "go")] {
		t.Errorf("SBOM components %v (Go %s)", purls, bi.GoVersion)
	}
	for _, d := range bi.Deps {
		if want := fmt.Sprintf("pkg:golang/%s@%s?type=module", d.Path, d.Version); !purls[want] {
			t.Errorf("the SBOM lacks %s", want)
		}
	}

	// Reproducible: the same inputs again give the same assets.
	again := runRelease(t)
	sums2, err := os.ReadFile(filepath.Join(again, "assets", "SHA256SUMS"))
	if err != nil || !bytes.Equal(sums, sums2) {
		t.Errorf("a second build differs (%v):\n%s\n%s", err, sums, sums2)
	}
}

// TestCheckConfig: the repository's release configuration passes
// --check, and release.yml's mistakes are found.
func TestCheckConfig(t *testing.T) {
	if err := checkConfig("../.."); err != nil {
		t.Fatal(err)
	}
	wf, err := os.ReadFile("../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkWorkflow(wf); len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, tt := range []struct{ old, new, want string }{
		{`tags: ["v*"]`, `tags: ["release-*"]`, "on.push.tags"},
		{"--version \"$GITHUB_REF_NAME\"", "--tag \"$GITHUB_REF_NAME\"", "no flag --tag"},
		{"packages: write", "packages: read", "packages is \"read\""},
		{"--version \"$GITHUB_REF_NAME\" --out dist", "--snapshot --out dist", "without --version"},
		{"$CRANE push dist/oci", "$CRANE push out/oci", "no step names dist/oci"},
		{"jobs:", "jobs: [", "yaml"},
	} {
		broken := strings.Replace(string(wf), tt.old, tt.new, 1)
		if broken == string(wf) {
			t.Fatalf("release.yml has no %q", tt.old)
		}
		errs := checkWorkflow([]byte(broken))
		if !strings.Contains(strings.Join(errs, "\n"), tt.want) {
			t.Errorf("%q -> %q: errors %q, want one saying %q", tt.old, tt.new, errs, tt.want)
		}
	}
}

func TestVersionRE(t *testing.T) {
	for v, ok := range map[string]bool{
		"v1.2.3": true, "v0.1.0-rc.1": true, "v10.0.0-snapshot.0123456789ab": true,
		"1.2.3": false, "v1.2": false, "v1.2.3+meta": false, "v01.2.3": false, "v1.2.3-": false, "v1.2.3 ": false,
	} {
		if versionRE.MatchString(v) != ok {
			t.Errorf("%q: match %v, want %v", v, !ok, ok)
		}
	}
}
