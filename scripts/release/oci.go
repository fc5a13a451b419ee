package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The OCI image layout (image-spec v1.1: image-layout.md, image-index.md,
// manifest.md, config.md), written without a container engine, like ko:
// one layer per platform holding the static binary, on no base image.
//
//	oci-layout                    {"imageLayoutVersion": "1.0.0"}
//	index.json                    one image index, ref.name = the version
//	blobs/sha256/<index>          a manifest per platform
//	blobs/sha256/<manifest>       config + one layer
//	blobs/sha256/<config>         Entrypoint /usr/local/bin/esxi-autopart, user 65532
//	blobs/sha256/<layer>          tar+gzip: the binary, LICENSE, /etc/passwd, /home/nonroot, /tmp
const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"

	imageBinary = "/usr/local/bin/" + binName
	// imageUser is distroless's nonroot user, as ko's images run.
	imageUser = "65532"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *ociPlatform      `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type ociPlatform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

type index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Manifests     []descriptor      `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        descriptor        `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type imageConfig struct {
	Created      string `json:"created"`
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
	Config       struct {
		User       string            `json:"User"`
		Env        []string          `json:"Env"`
		Entrypoint []string          `json:"Entrypoint"`
		WorkingDir string            `json:"WorkingDir"`
		Labels     map[string]string `json:"Labels"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		Created   string `json:"created"`
		CreatedBy string `json:"created_by"`
	} `json:"history"`
}

// imageInput is one platform's binary.
type imageInput struct {
	platform platform
	binary   string
}

// variant is the OCI platform variant Go's default GOARM64 (v8.0) and
// the registries' arm64 images have.
func variant(p platform) string {
	if p.arch == "arm64" {
		return "v8"
	}
	return ""
}

// writeOCILayout writes the layout of a multi-platform image into dir.
func writeOCILayout(dir string, imgs []imageInput, license string, o options) error {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	put := func(media string, b []byte) (descriptor, error) {
		sum := sha256.Sum256(b)
		hexSum := hex.EncodeToString(sum[:])
		return descriptor{MediaType: media, Digest: "sha256:" + hexSum, Size: int64(len(b))},
			os.WriteFile(filepath.Join(blobs, hexSum), b, 0o644)
	}
	putJSON := func(media string, v any) (descriptor, error) {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return descriptor{}, err
		}
		return put(media, b)
	}
	created := o.epoch.Format(time.RFC3339)
	annotations := map[string]string{
		"org.opencontainers.image.created":  created,
		"org.opencontainers.image.version":  o.version,
		"org.opencontainers.image.source":   sourceURL,
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.title":    binName,
	}
	if o.revision != "" {
		annotations["org.opencontainers.image.revision"] = o.revision
	}

	idx := index{SchemaVersion: 2, MediaType: mediaIndex, Annotations: annotations}
	for _, img := range imgs {
		layer, diffID, err := imageLayer(img.binary, license, o.epoch)
		if err != nil {
			return err
		}
		layerDesc, err := put(mediaLayer, layer)
		if err != nil {
			return err
		}
		var cfg imageConfig
		cfg.Created, cfg.Architecture, cfg.OS, cfg.Variant = created, img.platform.arch, img.platform.os, variant(img.platform)
		cfg.Config.User = imageUser + ":" + imageUser
		cfg.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/nonroot"}
		cfg.Config.Entrypoint = []string{imageBinary}
		cfg.Config.WorkingDir = "/home/nonroot"
		cfg.Config.Labels = annotations
		cfg.RootFS.Type, cfg.RootFS.DiffIDs = "layers", []string{diffID}
		cfg.History = append(cfg.History, struct {
			Created   string `json:"created"`
			CreatedBy string `json:"created_by"`
		}{created, "scripts/release: " + binName + " " + o.version + " for " + img.platform.String()})
		cfgDesc, err := putJSON(mediaConfig, cfg)
		if err != nil {
			return err
		}
		m := manifest{SchemaVersion: 2, MediaType: mediaManifest, Config: cfgDesc, Layers: []descriptor{layerDesc}, Annotations: annotations}
		mDesc, err := putJSON(mediaManifest, m)
		if err != nil {
			return err
		}
		mDesc.Platform = &ociPlatform{Architecture: img.platform.arch, OS: img.platform.os, Variant: variant(img.platform)}
		idx.Manifests = append(idx.Manifests, mDesc)
	}
	idxDesc, err := putJSON(mediaIndex, idx)
	if err != nil {
		return err
	}
	idxDesc.Annotations = map[string]string{"org.opencontainers.image.ref.name": o.version}
	top, err := json.MarshalIndent(index{SchemaVersion: 2, MediaType: mediaIndex, Manifests: []descriptor{idxDesc}}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), top, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

// imageLayer is the one layer of an image, gzip'd, and its diff ID (the
// SHA-256 of the tar): the binary, the license, a passwd and group that
// name the nonroot user, its home (where the tarball cache goes) and /tmp.
func imageLayer(binary, license string, epoch time.Time) ([]byte, string, error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	dir := func(name string, mode int64, uid int) error {
		h := tarDirHeader(name, mode, epoch)
		h.Uid, h.Gid = uid, uid
		return tw.WriteHeader(h)
	}
	text := func(name, s string) error {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(s)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write([]byte(s))
		return err
	}
	steps := []func() error{
		func() error { return dir("etc/", 0o755, 0) },
		func() error {
			return text("etc/group", "root:x:0:\nnonroot:x:65532:\n")
		},
		func() error {
			return text("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
		},
		func() error { return dir("home/", 0o755, 0) },
		func() error { return dir("home/nonroot/", 0o700, 65532) },
		func() error { return dir("tmp/", 0o1777, 0) },
		func() error { return dir("usr/", 0o755, 0) },
		func() error { return dir("usr/local/", 0o755, 0) },
		func() error { return dir("usr/local/bin/", 0o755, 0) },
		func() error { return tarFile(tw, imageBinary[1:], binary, 0o755, epoch) },
		func() error { return dir("usr/share/", 0o755, 0) },
		func() error { return dir("usr/share/doc/", 0o755, 0) },
		func() error { return dir("usr/share/doc/"+binName+"/", 0o755, 0) },
		func() error { return tarFile(tw, "usr/share/doc/"+binName+"/LICENSE", license, 0o644, epoch) },
		tw.Close,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, "", err
		}
	}
	diffID := sha256.Sum256(raw.Bytes())
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, "", err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return gz.Bytes(), fmt.Sprintf("sha256:%x", diffID), nil
}
