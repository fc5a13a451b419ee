package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"
)

// version can be set at build time with -ldflags
// "-X github.com/esxi-autopart/esxi-autopart/internal/cli.version=v1.2.3"
// (scripts/release does); otherwise versionString reads it from the build
// info.
var version = "dev"

// versionString is this binary's version, as --version prints it and
// manifest.json records it.
func versionString() string {
	if version != "dev" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	return formatVersion(bi)
}

// formatVersion is the module's version (go install ...@v1.2.0, or a
// build at a tag), else the VCS revision it was built from, 12 hex digits,
// with -dirty when the tree had changes; "dev" when the build recorded
// neither (go build -buildvcs=false). A pseudo-version that Go made from
// the revision (v0.0.0-20261202133601-f89882405af3+dirty) is shown as the
// revision.
func formatVersion(bi *debug.BuildInfo) string {
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" && (rev == "" || !strings.Contains(v, rev)) {
		return v
	}
	if rev == "" {
		return "dev"
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

type versionCmd struct{ asJSON bool }

var versionCommand = &command{
	name:    "version",
	summary: "print the version (also esxi-autopart --version)",
	usage:   []string{"version", "--version"},
	about: "Prints the version of this esxi-autopart binary, the one manifest.json records: the module version " +
		"(go install ...@VERSION), else the git revision it was built from (-dirty with uncommitted changes), else dev.",
	examples: []string{"esxi-autopart version", "esxi-autopart --version", "esxi-autopart version --json | jq -r .version"},
	noConfig: true,
	exits:    []string{"0  the version was printed", "2  usage: an unexpected argument"},
	new:      func() runner { return &versionCmd{} },
}

func (v *versionCmd) define(fs *pflag.FlagSet) {
	fs.BoolVar(&v.asJSON, "json", false, "print the version as JSON, with the Go version and platform")
}

func (v *versionCmd) run(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("version: unexpected argument %q", args[0])}
	}
	if v.asJSON {
		return writeJSON(stdout, versionJSON{SchemaVersion: schemaVersion, Type: "version", Version: versionString(),
			Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH})
	}
	fmt.Fprintln(stdout, "esxi-autopart", versionString())
	return nil
}

// versionJSON is `version --json`.
type versionJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Type          string `json:"type"`     // "version"
	Version       string `json:"version"`  // as manifest.json records it
	Go            string `json:"go"`       // the Go release that built the binary
	Platform      string `json:"platform"` // GOOS/GOARCH
}
