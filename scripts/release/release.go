package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/internal/cli"
)

// release builds everything o asks for into o.out and returns the names
// of the files in o.out/assets, SHA256SUMS last.
func release(o options) ([]string, error) {
	if err := os.Mkdir(o.out, 0o755); err != nil {
		return nil, fmt.Errorf("%w (--clean removes it first)", err)
	}
	assetsDir := filepath.Join(o.out, "assets")
	manDir := filepath.Join(o.out, "man", "man1")
	for _, d := range []string{assetsDir, manDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	pages, err := cli.ManPages(manDir, o.version, o.epoch)
	if err != nil {
		return nil, fmt.Errorf("man pages: %w", err)
	}
	docs := []archiveFile{
		{name: "LICENSE", src: filepath.Join(o.root, "LICENSE"), mode: 0o644},
		{name: "README.md", src: filepath.Join(o.root, "README.md"), mode: 0o644},
	}
	for _, p := range pages {
		docs = append(docs, archiveFile{name: "man/man1/" + p, src: filepath.Join(manDir, p), mode: 0o644})
	}

	base := binName + "_" + strings.TrimPrefix(o.version, "v")
	var assets []string
	bins := map[platform]string{}
	for _, p := range o.platforms {
		start := time.Now()
		bin, err := build(o, p)
		if err != nil {
			return nil, err
		}
		bins[p] = bin
		o.log("built %s in %s", p, time.Since(start).Round(100*time.Millisecond))

		name := base + "_" + p.os + "_" + p.arch
		files := append([]archiveFile{{name: filepath.Base(bin), src: bin, mode: 0o755}}, docs...)
		archive := name + ".tar.gz"
		write := writeTarGz
		if p.os == "windows" {
			archive, write = name+".zip", writeZip
		}
		if err := write(filepath.Join(assetsDir, archive), name, files, o.epoch); err != nil {
			return nil, fmt.Errorf("%s: %w", archive, err)
		}
		sbom := name + ".cdx.json"
		if err := writeSBOM(filepath.Join(assetsDir, sbom), bin, p, o); err != nil {
			return nil, fmt.Errorf("%s: %w", sbom, err)
		}
		assets = append(assets, archive, sbom)
	}

	if len(o.images) > 0 {
		var imgs []imageInput
		for _, p := range o.images {
			imgs = append(imgs, imageInput{platform: p, binary: bins[p]})
		}
		layout := filepath.Join(o.out, "oci")
		if err := writeOCILayout(layout, imgs, filepath.Join(o.root, "LICENSE"), o); err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		tarName := base + "_oci.tar"
		if err := tarDir(filepath.Join(assetsDir, tarName), layout, o.epoch); err != nil {
			return nil, fmt.Errorf("%s: %w", tarName, err)
		}
		assets = append(assets, tarName)
		o.log("image %s:%s for %v in %s", imageRepo, o.version, o.images, layout)
	}

	slices.Sort(assets)
	if err := writeSums(assetsDir, assets); err != nil {
		return nil, err
	}
	return append(assets, "SHA256SUMS"), nil
}

// build cross-compiles the binary for p: static (CGO_ENABLED=0), no file
// system paths (-trimpath), no symbol table, the version set.
func build(o options, p platform) (string, error) {
	dir := filepath.Join(o.out, "bin", p.os+"_"+p.arch)
	name := binName
	if p.os == "windows" {
		name += ".exe"
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X "+versionVar+"="+o.version, "-o", bin, ".")
	cmd.Dir = o.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.os, "GOARCH="+p.arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for %s: %v\n%s", p, err, out)
	}
	return bin, nil
}

// writeSums writes SHA256SUMS (sha256sum's format) of names in dir.
func writeSums(dir string, names []string) error {
	var b strings.Builder
	for _, n := range names {
		sum, err := fileSHA256(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, n)
	}
	return os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(b.String()), 0o644)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
