package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder/batch"
)

func cmdManifest(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "merge" {
		fmt.Fprintln(stderr, "usage: esxi-autopart manifest merge -o OUTDIR SHARD_DIR...")
		return &exitError{code: 2}
	}
	fs := pflag.NewFlagSet("manifest merge", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esxi-autopart manifest merge -o OUTDIR SHARD_DIR...")
		fmt.Fprintln(stderr, "Joins the manifest.json of every shard (build --shard K/N) into OUTDIR/manifest.json and OUTDIR/SHA256SUMS.")
		fs.PrintDefaults()
	}
	out := fs.StringP("output", "o", "", "folder for the merged manifest.json and SHA256SUMS (required)")
	force := fs.Bool("force", false, "replace a manifest.json already in OUTDIR")
	if err := fs.Parse(args[1:]); err != nil {
		return &exitError{code: 2, err: err}
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return &exitError{code: 2}
	}
	var ms []*batch.Manifest
	for _, d := range fs.Args() {
		m, err := batch.ReadManifest(d)
		if err != nil {
			return err
		}
		ms = append(ms, m)
	}
	merged, err := batch.Merge(ms, fs.Args())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*out, "manifest.json")); err == nil && !*force {
		return errors.New(filepath.Join(*out, "manifest.json") + " exists (use --force to replace it)")
	}
	if err := merged.WriteSums(*out); err != nil {
		return err
	}
	if err := merged.Write(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merged %d shards: %d hosts into %s (manifest.json, SHA256SUMS)\n", len(ms), len(merged.Hosts), *out)
	return nil
}
