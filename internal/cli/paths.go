package cli

import (
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"os"
	"path/filepath"
)

// namedPath is a file the command reads or writes, with the flag that
// named it (for messages).
type namedPath struct {
	flag, path string
}

// canonical is p's absolute path with symlinks resolved (the file's too,
// when it exists; else its folder's), in the kernel's order: "link/.."
// goes up from where the link points (fileio.Real), not from where it
// sits, as filepath.Abs would have it.
func canonical(p string) string {
	if r, err := fileio.Real(p); err == nil {
		return r
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// checkAliases refuses, before anything is written, outputs that name an
// input or another output: by the same path, through "..", a symlink, or
// (for inputs) a hard link, os.SameFile's device and inode. Empty paths are
// skipped.
func checkAliases(inputs, outputs []namedPath) error {
	same := func(a, b namedPath) error {
		return &exitError{code: 2, err: fmt.Errorf("%s %s and %s %s are the same file: nothing was written", a.flag, a.path, b.flag, b.path)}
	}
	type input struct {
		namedPath
		st os.FileInfo
	}
	var ins []input
	seen := map[string]namedPath{}
	for _, p := range inputs {
		if p.path == "" {
			continue
		}
		st, _ := os.Stat(p.path)
		ins = append(ins, input{p, st})
		seen[canonical(p.path)] = p
	}
	for _, p := range outputs {
		if p.path == "" {
			continue
		}
		c := canonical(p.path)
		if prev, ok := seen[c]; ok {
			return same(prev, p)
		}
		seen[c] = p
		if st, err := os.Stat(p.path); err == nil {
			for _, in := range ins {
				if in.st != nil && os.SameFile(in.st, st) {
					return same(in.namedPath, p)
				}
			}
		}
	}
	return nil
}

// buildPaths lists a single build's inputs and outputs.
func (f *buildFlags) buildPaths(out, bmapPath string) (inputs, outputs []namedPath) {
	inputs = []namedPath{{"--iso", f.iso}, {"--syslinux", f.tarball}, {"--cfg-template", f.cfgTemplate}, {"--ks-template", f.ksTemplate}}
	for _, a := range f.addModules {
		file, _ := builder.ParseAddModule(a)
		inputs = append(inputs, namedPath{"--add-module", file})
	}
	outputs = []namedPath{{"-o", out}, {"--mbr-out", f.mbrOut}, {"the kickstart (-o with .cfg)", kickstartPath(f)}}
	if f.bmap {
		outputs = append(outputs, namedPath{"the bmap (--bmap)", bmapPath})
	}
	return inputs, outputs
}

// hostsPaths lists a batch's inputs and the files it writes into --out-dir.
func (f *buildFlags) hostsPaths(jobs []batch.Job) (inputs, outputs []namedPath) {
	inputs, _ = f.buildPaths("", "")
	inputs = append(inputs, namedPath{"--hosts", f.hosts})
	kind, _ := compress.Parse(f.compress)
	in := func(name string) namedPath { return namedPath{"--out-dir", filepath.Join(f.outDir, name)} }
	outputs = []namedPath{in("SHA256SUMS"), in("manifest.json")}
	for _, j := range jobs {
		outputs = append(outputs, in(j.ID+f.imageExt()+kind.Ext()))
		if j.Kickstart != nil {
			outputs = append(outputs, in(j.ID+".cfg"))
		}
		if f.bmap {
			outputs = append(outputs, in(j.ID+".img.bmap"))
		}
	}
	return inputs, outputs
}
