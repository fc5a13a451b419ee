package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
)

// manifestFlags are `manifest merge`'s flags.
type manifestFlags struct {
	out    string
	force  bool
	asJSON bool
}

var manifestCommand = &command{
	name:    "manifest",
	summary: "merge the manifests of an inventory's shards (manifest merge -o DIR SHARD_DIR...)",
	usage:   []string{"manifest merge -o OUTDIR SHARD_DIR..."},
	about: "Joins the manifest.json of every shard (build --shard K/N) into OUTDIR/manifest.json and " +
		"OUTDIR/SHA256SUMS, after checking that the shards come from the same inputs (by SHA-256), tool version " +
		"and epoch, and that every shard and every inventory host is there exactly once and built. The names in " +
		"SHA256SUMS are relative, so the images of all shards copied beside it pass sha256sum -c.",
	examples: []string{
		"esxi-autopart manifest merge -o merged out/shard-*",
		"esxi-autopart manifest merge -o merged --force out/shard-1 out/shard-2",
	},
	exits: []string{
		"0  merged",
		"1  the shards disagree, one is missing or incomplete (the reason is printed), or a file could not be written",
		"2  usage: no merge, no -o or no shard folder",
	},
	new: func() runner { return &manifestFlags{} },
}

func (f *manifestFlags) define(fs *pflag.FlagSet) {
	fs.StringVarP(&f.out, "output", "o", "", "`DIR` for the merged manifest.json and SHA256SUMS")
	fs.BoolVarP(&f.force, "force", "f", false, "replace a manifest.json and SHA256SUMS already in OUTDIR")
	fs.BoolVar(&f.asJSON, "json", false, "print what was merged as JSON")
	requiredFlag(fs, "output")
	pathFlag(fs, "output")
}

func (f *manifestFlags) run(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 0 || args[0] != "merge" {
		return usageError(manifestCommand, errors.New("the only subcommand is merge"))
	}
	args = args[1:]
	if f.out == "" || len(args) == 0 {
		return usageError(manifestCommand, errors.New("merge needs -o OUTDIR and at least one SHARD_DIR"))
	}
	var ms []*batch.Manifest
	for i := range args {
		args[i] = fileio.Entered(args[i]) // "link/../shard-1" is where the kernel goes
	}
	for _, d := range args {
		m, err := batch.ReadManifest(d)
		if err != nil {
			return err
		}
		ms = append(ms, m)
	}
	merged, err := batch.Merge(ms, args)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	lock, err := fileio.LockDir(f.out) // not while a batch or another merge writes there
	if err != nil {
		return err
	}
	defer lock.Unlock()
	for _, name := range []string{"manifest.json", "SHA256SUMS"} { // both are replaced: neither may be someone else's
		if err := builder.CheckOutput(filepath.Join(f.out, name), f.force); err != nil {
			return err
		}
	}
	if err := merged.WriteSums(f.out); err != nil {
		return err
	}
	if err := merged.Write(f.out); err != nil {
		return err
	}
	if f.asJSON {
		return writeJSON(stdout, mergeJSON{SchemaVersion: schemaVersion, Type: "manifest_merge", Shards: args, Hosts: len(merged.Hosts),
			Manifest: filepath.Join(f.out, "manifest.json"), SHA256Sums: filepath.Join(f.out, "SHA256SUMS")})
	}
	fmt.Fprintf(stdout, "merged %d shards: %d hosts into %s (manifest.json, SHA256SUMS)\n", len(ms), len(merged.Hosts), f.out)
	return nil
}

// mergeJSON is `manifest merge --json`.
type mergeJSON struct {
	SchemaVersion int      `json:"schema_version"`
	Type          string   `json:"type"`   // "manifest_merge"
	Shards        []string `json:"shards"` // the shard folders, as given
	Hosts         int      `json:"hosts"`  // hosts in the merged manifest
	Manifest      string   `json:"manifest"`
	SHA256Sums    string   `json:"sha256sums"`
}
