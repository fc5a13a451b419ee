package cli

import (
	"reflect"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
)

// schemaVersion is the version of the JSON documents the CLI prints and
// writes (docs/json.md). It changes when a key is renamed, removed or
// changes its meaning; new keys do not change it.
const schemaVersion = batch.SchemaVersion

// planJSON is a builder.Plan as the JSON schema has it: the same object for
// a dry run and a build, for one host and for every host of an inventory.
type planJSON struct {
	Layout          string                `json:"layout"`
	Detected        string                `json:"detected"`
	ISO             string                `json:"iso"`
	SyslinuxTarball string                `json:"syslinux_tarball"`
	Syslinux        string                `json:"syslinux"`
	Host            string                `json:"host"`
	KS              string                `json:"ks"`
	MTime           string                `json:"mtime"`
	PartitionOnly   bool                  `json:"partition_only"`
	ImageBytes      int64                 `json:"image_bytes"`
	DiskSignature   uint32                `json:"disk_signature,omitempty"` // MBR 0x1B8; absent for a partition-only image
	Partition       partitionJSON         `json:"partition"`
	GPT             *builder.GPTPlan      `json:"gpt,omitempty"` // --table gpt: disk_guid, partition_guid (also at 0x1A8 of sector 0), first_lba, last_lba, backup_lba
	FAT             fatJSON               `json:"fat"`
	Ldlinux         ldlinuxJSON           `json:"ldlinux"`
	Files           []fileJSON            `json:"files"`
	UEFIOnly        bool                  `json:"uefi_only"` // no syslinux: the image boots by UEFI alone (EFI system partition)
	SyslinuxCfg     string                `json:"syslinux_cfg"`
	CRRemoved       int                   `json:"syslinux_cfg_cr_removed"`
	Generated       map[string]string     `json:"generated"`     // per-host files of the layout by FAT path (5.x+: the BOOT.CFGs)
	AddedModules    []builder.AddedModule `json:"added_modules"` // --add-module, in boot order
	Warnings        []string              `json:"warnings"`
}

type partitionJSON struct {
	Number   int    `json:"number"` // MBR entry, 1
	Active   bool   `json:"active"`
	Type     int    `json:"type"` // MBR partition type byte (12: FAT32 LBA, 14: FAT16 LBA)
	StartLBA uint32 `json:"start_lba"`
	Sectors  uint32 `json:"sectors"`
	Offset   int64  `json:"offset"` // byte offset of the partition in the image (0 for partition-only)
	Bytes    int64  `json:"bytes"`
}

type fatJSON struct {
	Type              int    `json:"type"`      // 12, 16 or 32
	VolumeID          uint32 `json:"volume_id"` // BPB serial number (shown as XXXX-XXXX by mdir)
	Label             string `json:"label"`
	SectorsPerCluster int    `json:"sectors_per_cluster"`
	ClusterBytes      int64  `json:"cluster_bytes"`
	Clusters          uint32 `json:"clusters"` // data clusters
	UsedClusters      uint32 `json:"used_clusters"`
	ReservedSectors   int    `json:"reserved_sectors"`
	FATs              int    `json:"fats"`
	FATSectors        uint32 `json:"fat_sectors"`
	RootEntries       int    `json:"root_entries"` // FAT12/16's fixed root folder; 0 on FAT32
	FirstDataSector   uint32 `json:"first_data_sector"`
	TotalSectors      uint32 `json:"total_sectors"`
	HiddenSectors     uint32 `json:"hidden_sectors"`
}

type ldlinuxJSON struct {
	Version     string   `json:"version"`
	Sectors     []uint32 `json:"sectors"` // filesystem-relative; [0] is the boot sector's FirstSector
	MaxTransfer int      `json:"max_transfer"`
	RAID        bool     `json:"raid"`
}

type fileJSON struct {
	Src      string       `json:"src"` // ISO path; "" for a file the builder makes
	Dst      string       `json:"dst"` // FAT path
	Bytes    int64        `json:"bytes"`
	Clusters *clusterSpan `json:"clusters"` // null for an empty file
}

// clusterSpan is a contiguous cluster chain, first and last inclusive.
type clusterSpan struct {
	First uint32 `json:"first"`
	Last  uint32 `json:"last"`
	Count uint32 `json:"count"`
}

func newPlanJSON(p *builder.Plan) *planJSON {
	j := &planJSON{
		Layout: p.Layout, Detected: p.LayoutFound, ISO: p.ISO, SyslinuxTarball: p.Tarball, Syslinux: p.Syslinux,
		Host: p.Host, KS: p.KS, MTime: p.ModTime.UTC().Format(time.RFC3339), PartitionOnly: p.PartitionOnly,
		ImageBytes: p.ImageBytes, UEFIOnly: p.UEFIOnly, SyslinuxCfg: p.Config, CRRemoved: p.ConfigCRLF,
		Generated: map[string]string{}, Warnings: append([]string{}, p.Warnings...),
	}
	if !p.PartitionOnly {
		j.DiskSignature = p.DiskSignature
	}
	e := p.Partition
	j.Partition = partitionJSON{Number: 1, Active: e.Status == 0x80, Type: int(e.Type), StartLBA: e.StartLBA, Sectors: e.Sectors,
		Bytes: int64(e.Sectors) * 512}
	if !p.PartitionOnly {
		j.Partition.Offset = int64(e.StartLBA) * 512
	}
	j.GPT = p.GPT
	f := p.FAT
	j.FAT = fatJSON{Type: f.Type, VolumeID: f.VolumeID,
		Label: strings.TrimRight(f.Label, " "), SectorsPerCluster: int(f.SectorsPerCluster), ClusterBytes: f.ClusterBytes(),
		Clusters: f.Clusters, UsedClusters: f.UsedClusters, ReservedSectors: int(f.ReservedSectors), FATs: int(f.NumFATs),
		FATSectors: f.FATSectors, RootEntries: int(f.RootEntries), FirstDataSector: f.FirstDataSector,
		TotalSectors: f.TotalSectors, HiddenSectors: f.HiddenSectors}
	j.Ldlinux = ldlinuxJSON{Version: p.Loader.Version, Sectors: p.Loader.Sectors, MaxTransfer: p.Loader.MaxTransfer, RAID: p.Loader.RAID}
	j.Files = []fileJSON{}
	for _, fl := range p.Files {
		fj := fileJSON{Src: fl.Src, Dst: fl.Dst, Bytes: fl.Size}
		if fl.Clusters > 0 {
			fj.Clusters = &clusterSpan{First: fl.FirstCluster, Last: fl.FirstCluster + fl.Clusters - 1, Count: fl.Clusters}
		}
		j.Files = append(j.Files, fj)
	}
	for k, v := range p.Generated {
		j.Generated[k] = v
	}
	j.AddedModules = append([]builder.AddedModule{}, p.Added...)
	return j
}

// buildJSON is the document of `build --json`, with or without --hosts,
// dry run or not: one entry per host.
type buildJSON struct {
	SchemaVersion int          `json:"schema_version"`
	Type          string       `json:"type"` // "build"
	DryRun        bool         `json:"dry_run"`
	Hosts         []hostJSON   `json:"hosts"`
	Summary       *summaryJSON `json:"summary,omitempty"` // a build's totals (not for a dry run)
	Errors        []errorJSON  `json:"errors,omitempty"`  // inventory rows that could not be built (--keep-going)
}

// hostJSON is one host: its plan, and after a build its result.
type hostJSON struct {
	ID     string          `json:"id"` // the inventory id; --id (default --host) for one host ("" without either)
	Plan   *planJSON       `json:"plan,omitempty"`
	CD     *builder.CDPlan `json:"cd,omitempty"` // an install CD's plan (--format iso), instead of plan
	Result *resultJSON     `json:"result,omitempty"`
	Error  *errorJSON      `json:"error,omitempty"`
}

// resultJSON is what a build adds to a plan: the verified output files.
type resultJSON struct {
	Image      string          `json:"image"` // the delivered file (compressed when compression is set)
	Bytes      int64           `json:"bytes"`
	SHA256     string          `json:"sha256"`
	Verified   bool            `json:"verified"` // read back and judged bootable before it was renamed into place
	Cloned     bool            `json:"cloned,omitempty"`
	RawBytes   int64           `json:"raw_bytes,omitempty"`   // compressed: the raw image's size
	RawSHA256  string          `json:"raw_sha256,omitempty"`  // compressed: the raw image's SHA-256
	Compressed string          `json:"compression,omitempty"` // zstd, xz or gzip
	Kickstart  *outputFileJSON `json:"kickstart,omitempty"`
	Bmap       string          `json:"bmap,omitempty"`
	MBRCode    string          `json:"mbr_code,omitempty"` // --mbr-out
}

type outputFileJSON struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256,omitempty"`
}

type summaryJSON struct {
	Hosts   int     `json:"hosts"`
	Built   int     `json:"built"`
	Failed  int     `json:"failed"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

// newResultJSON describes a verified image res, compressed as packed (nil:
// raw).
func newResultJSON(res *builder.Result, packed *compress.Written, cloned bool) *resultJSON {
	r := &resultJSON{Image: res.Path, Bytes: res.Bytes, SHA256: res.SHA256, Verified: true, Cloned: cloned}
	if packed != nil {
		r.Image, r.Bytes, r.SHA256, r.Compressed = packed.Path, packed.Bytes, packed.SHA256, string(packed.Kind)
		r.RawBytes, r.RawSHA256 = res.Bytes, res.SHA256
	}
	return r
}

// nonNil returns a copy of v in which every nil slice reachable through
// exported fields and pointers is empty: lists print as [], never null.
// Pointed-to values are changed in place.
func nonNil(v any) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	fillSlices(cp)
	return cp.Interface()
}

func fillSlices(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fillSlices(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				fillSlices(f)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			if v.CanSet() {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			fillSlices(v.Index(i))
		}
	}
}
