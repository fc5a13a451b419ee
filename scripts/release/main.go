// Command release builds what a tagged release of esxi-autopart publishes,
// without a Docker engine and without uploading anything:
//
//	go run ./scripts/release --version v1.2.3   # a release (the tag)
//	go run ./scripts/release --snapshot         # the same for HEAD, as CI does
//	go run ./scripts/release --check            # the release configuration only
//
// Into --out (default dist/, which must not exist, or --clean):
//
//	assets/esxi-autopart_1.2.3_OS_ARCH.tar.gz (.zip for windows)
//	    esxi-autopart (static, CGO_ENABLED=0), LICENSE, README.md, man/man1/*.1
//	assets/esxi-autopart_1.2.3_OS_ARCH.cdx.json   CycloneDX SBOM of that binary
//	assets/esxi-autopart_1.2.3_oci.tar            the OCI image layout as a tar
//	assets/SHA256SUMS                             of every file above
//	oci/        the OCI image layout (linux/amd64, linux/arm64), for crane push
//	bin/OS_ARCH/esxi-autopart, man/               what went into the archives
//
// Same commit, same Go and same SOURCE_DATE_EPOCH (default: the commit's
// time) give the same bytes. .github/workflows/release.yml runs it on a
// v* tag and uploads assets/ and oci/.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const (
	modulePath = "github.com/esxi-autopart/esxi-autopart"
	// versionVar is what -X sets: the version --version prints.
	versionVar = modulePath + "/internal/cli.version"
	binName    = "esxi-autopart"
	// imageRepo is where release.yml pushes the image; the README names it.
	imageRepo = "ghcr.io/esxi-autopart/esxi-autopart"
	sourceURL = "https://github.com/esxi-autopart/esxi-autopart"
)

// platform is one GOOS/GOARCH the release builds.
type platform struct{ os, arch string }

func (p platform) String() string { return p.os + "/" + p.arch }

// platforms are the GOOS/GOARCH pairs a release ships binaries for: each
// one `CGO_ENABLED=0 GOOS=.. GOARCH=.. go build .` succeeds for.
var platforms = []platform{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"},
}

// imagePlatforms are the platforms of the container image.
var imagePlatforms = []platform{{"linux", "amd64"}, {"linux", "arm64"}}

// versionRE is a release version: a semantic version with a v, no build
// metadata (an image tag cannot hold a +).
var versionRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// options is one run of the release build.
type options struct {
	root      string // the repository's root
	out       string
	version   string
	revision  string // the commit, "" when unknown
	epoch     time.Time
	platforms []platform
	images    []platform
	log       func(format string, args ...any)
}

// The flags, at package level so that checkWorkflow can look them up.
var (
	version  = flag.String("version", "", "the release's `VERSION`, the tag: v1.2.3 or v1.2.3-rc.1")
	snapshot = flag.Bool("snapshot", false, "build a snapshot of HEAD (version v0.0.0-snapshot.REVISION) instead of a release")
	out      = flag.String("out", "dist", "write into this `DIR`; it must not exist unless --clean")
	clean    = flag.Bool("clean", false, "remove --out first")
	check    = flag.Bool("check", false, "only check the release configuration (platforms, release.yml, README) and exit")
	only     = flag.String("platforms", "", "build only these comma-separated `OS/ARCH` of the release's (default: all)")
)

func main() {
	flag.Parse()
	if flag.NArg() > 0 {
		fail(2, fmt.Errorf("unexpected argument %q", flag.Arg(0)))
	}
	root, err := repoRoot()
	if err != nil {
		fail(1, err)
	}
	if *check {
		if err := checkConfig(root); err != nil {
			fail(1, err)
		}
		fmt.Println("release: configuration OK:", len(platforms), "platforms, image", imageRepo, "for", imagePlatforms)
		return
	}
	outDir, err := filepath.Abs(*out) // go build runs in root
	if err != nil {
		fail(1, err)
	}
	o := options{root: root, out: outDir, platforms: platforms, images: imagePlatforms, log: logf}
	o.revision, _ = git(root, "rev-parse", "HEAD")
	switch {
	case *snapshot && *version != "":
		fail(2, fmt.Errorf("--snapshot or --version, not both"))
	case *snapshot:
		o.version = "v0.0.0-snapshot"
		if o.revision != "" {
			o.version += "." + o.revision[:12]
		}
	case *version == "":
		fail(2, fmt.Errorf("--version VERSION (the tag) or --snapshot is required"))
	default:
		o.version = *version
	}
	if !versionRE.MatchString(o.version) {
		fail(2, fmt.Errorf("version %q: want v1.2.3 or v1.2.3-pre.release", o.version))
	}
	if *only != "" {
		if o.platforms, o.images, err = selectPlatforms(*only); err != nil {
			fail(2, err)
		}
	}
	if o.epoch, err = sourceDate(root); err != nil {
		fail(1, err)
	}
	if *clean {
		if err := os.RemoveAll(o.out); err != nil {
			fail(1, err)
		}
	}
	start := time.Now()
	assets, err := release(o)
	if err != nil {
		fail(1, err)
	}
	logf("release %s: %d assets in %s (%s)", o.version, len(assets), filepath.Join(*out, "assets"), time.Since(start).Round(time.Second))
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "release: "+format+"\n", args...) }

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "release:", err)
	os.Exit(code)
}

// selectPlatforms is the release's platforms named in list, and the image
// platforms among them.
func selectPlatforms(list string) (ps, images []platform, err error) {
	for _, s := range strings.Split(list, ",") {
		found := false
		for _, p := range platforms {
			if p.String() == strings.TrimSpace(s) {
				ps, found = append(ps, p), true
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("--platforms: %q is not a release platform (%v)", s, platforms)
		}
	}
	for _, p := range imagePlatforms {
		for _, q := range ps {
			if p == q {
				images = append(images, p)
			}
		}
	}
	return ps, images, nil
}

// repoRoot is the root of the module this runs in (go run from anywhere
// inside the repository).
func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func git(dir string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	return strings.TrimSpace(string(out)), err
}

// sourceDate is SOURCE_DATE_EPOCH, else the commit's time: every time
// stamp in the release (archive entries, man pages, image, SBOM).
func sourceDate(root string) (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		var err error
		if s, err = git(root, "log", "-1", "--format=%ct"); err != nil || s == "" {
			return time.Time{}, fmt.Errorf("no commit time (git log: %v): set SOURCE_DATE_EPOCH", err)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(n, 0).UTC(), nil
}
