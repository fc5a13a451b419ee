package batch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/check"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// Manifest records what a run built from what: enough to rebuild it and to
// check it.
type Manifest struct {
	SchemaVersion int               `json:"schema_version"` // of the CLI's JSON documents (docs/json.md)
	Tool          string            `json:"tool"`
	Version       string            `json:"version"`
	Epoch         string            `json:"epoch"`        // every file's timestamp, RFC 3339
	EpochSource   string            `json:"epoch_source"` // "SOURCE_DATE_EPOCH" or "ISO creation date"
	Inputs        []InputFile       `json:"inputs"`
	Layout        string            `json:"layout"`
	Detected      string            `json:"detected"`
	Syslinux      string            `json:"syslinux"`
	Shard         string            `json:"shard,omitempty"`           // "2/4" when this run built one shard (--shard)
	Settings      map[string]string `json:"settings,omitempty"`        // the build settings every host shares (flags, --var), as the build read them: shards must agree
	Inventory     []string          `json:"inventory_hosts,omitempty"` // every host id of the inventory, in its order (a shard's merge checks them)
	Hosts         []ManifestHost    `json:"hosts"`
	Checks        []check.Finding   `json:"check_warnings,omitempty"`   // what `check` warned about before the build
	RowErrors     []string          `json:"inventory_errors,omitempty"` // rows not built (--keep-going), each located
}

// InputFile is one input and its hash.
type InputFile struct {
	Role   string `json:"role"` // "iso", "syslinux", "inventory", "ks-template", "cfg-template", "module" (--add-module)
	Path   string `json:"path"`
	Name   string `json:"name,omitempty"` // a module's FAT name in the image ("OEM.TGZ")
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ManifestHost is one host's outcome.
type ManifestHost struct {
	ID              string   `json:"id"`
	KS              string   `json:"ks,omitempty"`
	Image           string   `json:"image,omitempty"`
	Bytes           int64    `json:"bytes,omitempty"`
	SHA256          string   `json:"sha256,omitempty"`
	PartitionStart  uint32   `json:"partition_start,omitempty"`
	PartitionOnly   bool     `json:"partition_only,omitempty"` // the image is the FAT partition alone (no MBR, no disk signature)
	DiskSignature   uint32   `json:"disk_signature,omitempty"` // MBR 0x1B8 (a number, as in every JSON document)
	LdlinuxSectors  []uint32 `json:"ldlinux_sectors,omitempty"`
	Kickstart       string   `json:"kickstart,omitempty"`
	KickstartSHA256 string   `json:"kickstart_sha256,omitempty"`
	Bmap            string   `json:"bmap,omitempty"`        // the image's bmap (--bmap)
	Compression     string   `json:"compression,omitempty"` // image is compressed: zstd, xz or gzip
	RawBytes        int64    `json:"raw_bytes,omitempty"`   // the raw image's size, when compressed
	RawSHA256       string   `json:"raw_sha256,omitempty"`  // the raw image's SHA-256, when compressed
	Error           string   `json:"error,omitempty"`
}

// MaxManifest bounds a manifest.json read back (an earlier run's, a
// shard's): a run of 10,000 hosts writes about 10 MB; a larger one, or a
// sparse 64 GiB file in its place, is refused before it is read.
const MaxManifest = 64 << 20

// SchemaVersion is the version of manifest.json's schema (docs/json.md).
const SchemaVersion = 1

// HashInput returns an InputFile for path; it stops with ctx's error
// within a megabyte of ctx ending (an ISO is gigabytes).
func HashInput(ctx context.Context, role, path string) (InputFile, error) {
	f, err := regular.Open(path, false)
	if err != nil {
		return InputFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err = ctx.Err(); err != nil {
			break
		}
		k, rerr := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if rerr != nil {
			if rerr != io.EOF {
				err = rerr
			}
			break
		}
	}
	if err != nil {
		return InputFile{}, fmt.Errorf("%s: %w", path, err)
	}
	return InputFile{Role: role, Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Hashing is inputs being hashed in the background (StartHashing).
type Hashing struct {
	done   chan struct{}
	inputs []InputFile
	err    error
}

// StartHashing hashes the files (Role and Path of each) on another
// goroutine, one after the other, so that the ISO's SHA-256 for the
// manifest overlaps the host builds instead of following them. Wait
// returns the results in the order given.
func StartHashing(ctx context.Context, files []InputFile) *Hashing {
	h := &Hashing{done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for _, f := range files {
			fi, err := HashInput(ctx, f.Role, f.Path)
			if err != nil {
				h.err = err
				return
			}
			h.inputs = append(h.inputs, fi)
		}
	}()
	return h
}

// Wait waits for the hashes.
func (h *Hashing) Wait() ([]InputFile, error) {
	<-h.done
	return h.inputs, h.err
}

// NewManifest describes a run's results.
func NewManifest(version string, in *builder.Inputs, inputs []InputFile, epochSource string, results []HostResult) *Manifest {
	for _, a := range in.Added { // hashed when they were added
		inputs = append(inputs, InputFile{Role: "module", Path: a.Path, Name: a.Name, Bytes: a.Bytes, SHA256: a.SHA256})
	}
	m := &Manifest{SchemaVersion: SchemaVersion, Tool: "esxi-autopart", Version: version, EpochSource: epochSource, Inputs: inputs,
		Layout: in.Media.Layout, Detected: in.Media.Found}
	if in.Loader != nil { // nil for install CDs: no syslinux of ours
		m.Syslinux = in.Loader.Version
	}
	for _, r := range results {
		h := ManifestHost{ID: r.Job.ID}
		if r.CD != nil {
			m.Epoch = r.CD.ModTime.Format("2006-01-02T15:04:05Z07:00")
			h.KS = r.CD.KS
		}
		if r.Plan != nil {
			m.Epoch = r.Plan.ModTime.Format("2006-01-02T15:04:05Z07:00")
			h.KS = r.Plan.KS
			h.PartitionStart = r.Plan.Partition.StartLBA
			if r.Plan.PartitionOnly {
				h.PartitionOnly = true
			} else {
				h.DiskSignature = r.Plan.DiskSignature
			}
			h.LdlinuxSectors = r.Plan.Loader.Sectors
		}
		if r.Image != nil {
			h.Image, h.Bytes, h.SHA256 = filepath.Base(r.Image.Path), r.Image.Bytes, r.Image.SHA256
		}
		if r.Packed != nil {
			h.Compression, h.RawBytes, h.RawSHA256 = string(r.Packed.Kind), h.Bytes, h.SHA256
			h.Image, h.Bytes, h.SHA256 = filepath.Base(r.Packed.Path), r.Packed.Bytes, r.Packed.SHA256
		}
		if r.KSSum != "" {
			h.Kickstart, h.KickstartSHA256 = r.Job.ID+".cfg", r.KSSum
		}
		if r.Err != nil {
			h.Error = r.Err.Error()
		}
		m.Hosts = append(m.Hosts, h)
	}
	return m
}

// Write writes manifest.json into dir.
func (m *Manifest) Write(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = WriteAtomic(filepath.Join(dir, "manifest.json"), append(b, '\n'), true)
	return err
}

// WriteSums writes SHA256SUMS (sha256sum -c format) for the manifest's
// images and kickstarts, by name: beside the images it checks out.
func (m *Manifest) WriteSums(dir string) error {
	var b bytes.Buffer
	for _, h := range m.Hosts {
		if h.Image != "" {
			fmt.Fprintf(&b, "%s  %s\n", h.SHA256, h.Image)
		}
		if h.Kickstart != "" {
			fmt.Fprintf(&b, "%s  %s\n", h.KickstartSHA256, h.Kickstart)
		}
	}
	_, err := WriteAtomic(filepath.Join(dir, "SHA256SUMS"), b.Bytes(), true)
	return err
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, "manifest.json")
	b, err := fileio.ReadFileMax(p, MaxManifest)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &m, nil
}
