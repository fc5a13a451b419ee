// Package inspect reads a raw disk or partition image and answers "would
// this boot, and what would it boot?" by following the SYSLINUX 3.x boot
// path byte by byte: MBR, FAT boot sector, LDLINUX.SYS sector list and
// checksum, syslinux.cfg, and the files the default label names.
//
// It never writes and never trusts the image: every structure is bounds
// checked, every loop over on-disk data is bounded, and faults go into the
// Report instead of an error. Inspect returns an error only when the
// underlying reader fails.
package inspect

import (
	"io"

	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// ISOFiles is an ESXi ISO to compare the image's files against;
// *isofs.Image satisfies it. Section returns an error wrapping
// fs.ErrNotExist for a path that is not on the ISO. Paths are looked up as they appear on the FAT volume
// ("SYS.VGZ", "EFI/BOOT/BOOTX64.EFI"); the ISO side is expected to match
// case-insensitively.
type ISOFiles interface {
	Section(path string) (*io.SectionReader, error)
}

// Options tunes Inspect. The zero value is fine.
type Options struct {
	ISO ISOFiles // optional: compare every file's SHA-256 with the ISO's
	// ISOLayout is the ISO's detected layout (layouts.Detect), with ISO:
	// every file it copies must be on the image, and its syslinux release
	// must be the image's.
	ISOLayout *layouts.Detected
	// SkipHashes leaves out reading and hashing every file's data (the
	// builder compares the bytes itself); the boot path is checked in full.
	SkipHashes bool
}

// Report is everything Inspect found. Faults stop the image from booting
// (or booting what it should); Warnings are worth knowing but harmless for
// a BIOS boot through mbr.bin.
type Report struct {
	ImageSize int64           `json:"image_size"` // bytes
	MBR       *MBRReport      `json:"mbr"`        // nil for a bare partition image
	Partition PartitionReport `json:"partition"`  // the FAT filesystem inspected
	Loader    LoaderReport    `json:"loader"`     // boot sector + LDLINUX.SYS
	Config    ConfigReport    `json:"config"`     // syslinux.cfg
	UEFI      *UEFIReport     `json:"uefi"`       // the UEFI path (EFI/BOOT/BOOTX64.EFI + BOOT.CFG); nil when the image has none (uefi.go)
	Files     []FileReport    `json:"files"`      // every file and folder, in directory order
	Faults    []string        `json:"faults"`     // each one stops or breaks the boot
	Warnings  []string        `json:"warnings"`   // harmless for the boot, worth fixing
	Bootable  bool            `json:"bootable"`   // no faults and the default entry's files all exist (UEFIOnly: the UEFI path's)
	// UEFIOnly: the image has no syslinux (no syslinux boot sector, no
	// LDLINUX.SYS) but a UEFI path: it is judged by UEFI alone, and
	// BIOSFaults says why a BIOS would not boot it.
	UEFIOnly   bool       `json:"uefi_only"`
	BIOSFaults []string   `json:"bios_faults,omitempty"`
	ISO        *ISOReport `json:"iso,omitempty"` // with Options.ISO: how the image matches it (isocheck.go)
}

// MBRReport describes sector 0 of a partitioned image.
type MBRReport struct {
	BootCode      string           `json:"boot_code"`      // "syslinux mbr.bin", "MS-DOS/Windows", "GRUB", "empty", "unknown"
	Signature     bool             `json:"signature"`      // 55 AA at 0x1FE
	DiskSignature uint32           `json:"disk_signature"` // u32 at 0x1B8
	Entries       []PartitionEntry `json:"entries"`        // the 4 primary entries
	Active        int              `json:"active"`         // 1-based entry mbr.bin boots (status bit 0x80); 0 none
	InOrder       bool             `json:"in_order"`       // the used entries start in ascending order and none overlaps (some firmware ignores an MBR otherwise)
	ESP           int              `json:"esp"`            // 1-based first entry of type 0xEF, the EFI system partition UEFI firmware looks for on an MBR disk; 0 none
	GPT           *GPTReport       `json:"gpt,omitempty"`  // the GUID partition table, when entry 1 is a protective (0xEE) entry (gpt.go)
}

// CHS is a cylinder/head/sector address as stored in a partition entry.
type CHS struct {
	Cylinder uint16 `json:"cylinder"` // 0..1023
	Head     uint8  `json:"head"`     // 0..254
	Sector   uint8  `json:"sector"`   // 1..63
}

// PartitionEntry is one 16-byte MBR partition entry.
type PartitionEntry struct {
	Index    int    `json:"index"`     // 1..4
	Status   uint8  `json:"status"`    // 0x80 active, 0x00 inactive, anything else invalid
	FirstCHS CHS    `json:"first_chs"` // CHS of the first sector
	Type     uint8  `json:"type"`      // partition type byte
	TypeName string `json:"type_name"` // e.g. "FAT32 LBA"
	LastCHS  CHS    `json:"last_chs"`  // CHS of the last sector
	StartLBA uint32 `json:"start_lba"` // first sector
	Sectors  uint32 `json:"sectors"`   // length in sectors
}

// PartitionReport is the FAT filesystem that was inspected and its BPB.
type PartitionReport struct {
	Entry             int    `json:"entry"`               // MBR entry (1-4); 0 for a bare partition image
	Offset            int64  `json:"offset"`              // byte offset of the filesystem in the image
	Sectors           int64  `json:"sectors"`             // partition length (entry, or the image for a bare one)
	FATType           int    `json:"fat_type"`            // 12, 16 or 32 by cluster count (as syslinux 3.70 decides); 0 unknown
	OEMName           string `json:"oem_name"`            // 0x03
	BytesPerSector    uint16 `json:"bytes_per_sector"`    // 0x0B
	SectorsPerCluster uint8  `json:"sectors_per_cluster"` // 0x0D
	ReservedSectors   uint16 `json:"reserved_sectors"`    // 0x0E
	NumFATs           uint8  `json:"num_fats"`            // 0x10
	RootEntries       uint16 `json:"root_entries"`        // 0x11
	TotalSectors      uint32 `json:"total_sectors"`       // 0x13 or 0x20
	Media             uint8  `json:"media"`               // 0x15
	FATSectors        uint32 `json:"fat_sectors"`         // 0x16 or 0x24 (FAT32)
	SectorsPerTrack   uint16 `json:"sectors_per_track"`   // 0x18
	Heads             uint16 `json:"heads"`               // 0x1A
	HiddenSectors     uint32 `json:"hidden_sectors"`      // 0x1C
	RootCluster       uint32 `json:"root_cluster"`        // 0x2C (FAT32 only)
	VolumeID          uint32 `json:"volume_id"`           // 0x27 / 0x43
	Label             string `json:"label"`               // 0x2B / 0x47
	TypeString        string `json:"type_string"`         // 0x36 / 0x52, e.g. "FAT32   "
	Clusters          uint32 `json:"clusters"`            // data clusters
	DataStart         uint32 `json:"data_start"`          // filesystem-relative sector of cluster 2
}

// LoaderReport is the boot sector's syslinux code and LDLINUX.SYS as the
// boot path sees them.
type LoaderReport struct {
	Syslinux          bool     `json:"syslinux"`             // boot sector is syslinux's (EB 58 90 jump, code at 0x5A)
	Layout            string   `json:"layout"`               // "3.x" (FirstSector at 0x1F8), "4.x+" (LDLINUX_MAGIC there); "" not syslinux
	Jump              string   `json:"jump"`                 // bytes 0..2 in hex
	Signature         bool     `json:"signature"`            // 55 AA at 0x1FE
	FirstSector       uint32   `json:"first_sector"`         // 0x1F8: fs-relative sector of LDLINUX.SYS sector 0
	MaxTransfer       uint16   `json:"max_transfer"`         // 0x1FC: 127 normal, 1 with -s
	ErrorKey          string   `json:"error_key"`            // "int 16h" (wait for a key), "int 18h" (-r, RAID), "" unknown
	RAID              *bool    `json:"raid"`                 // -r installed; nil when not recognisable
	File              string   `json:"file"`                 // "LDLINUX.SYS" when present in the root folder
	FileSize          int64    `json:"file_size"`            // bytes
	Attr              string   `json:"attr"`                 // e.g. "RHSA"
	Clusters          string   `json:"-"`                    // cluster runs, e.g. "7-13" (text)
	ClusterRuns       []Run    `json:"clusters"`             // the same runs
	FileSectors       string   `json:"-"`                    // fs-relative sector runs, e.g. "600-625" (text)
	SectorRuns        []Run    `json:"file_sectors"`         // the same runs
	Banner            string   `json:"banner"`               // first line of the loader, e.g. "SYSLINUX 3.70 2008-06-30"
	Version           string   `json:"version"`              // "3.70"
	Date              string   `json:"date"`                 // "2008-06-30"
	MagicOffset       int      `json:"magic_offset"`         // M; -1 when not found
	Stamp             uint32   `json:"stamp"`                // u32 at M+4
	StampInBootSector bool     `json:"stamp_in_boot_sector"` // the boot code 0x5A..0x1F8 holds the stamp
	LDLDwords         uint16   `json:"ldl_dwords"`           // M+8
	LDLSectors        uint16   `json:"ldl_sectors"`          // M+10
	CheckSum          uint32   `json:"checksum"`             // M+12
	ChecksumOK        bool     `json:"checksum_ok"`          // the loaded dwords sum to 0x3EB202FE
	SectorPtrs        []uint32 `json:"sector_ptrs"`          // M+16: the first LDLSectors pointers
}

// ConfigReport is the syslinux.cfg that syslinux would load.
type ConfigReport struct {
	Path       string        `json:"path"`        // e.g. "/syslinux.cfg"; "" when none is found
	Size       int64         `json:"size"`        // bytes
	CRBytes    int           `json:"cr_bytes"`    // CR (0x0D) bytes in the file
	Serial     string        `json:"serial"`      // arguments of the serial directive, e.g. "0 115200"
	SerialLine int           `json:"serial_line"` // its line number; 0 none
	Default    string        `json:"default"`     // the default command line
	UI         string        `json:"ui"`          // the ui directive, if any
	Prompt     string        `json:"-"`           // the prompt directive as written
	PromptN    *int          `json:"prompt"`      // the same as a number; null when absent or not a number
	Timeout    string        `json:"-"`           // the timeout directive (tenths of a second) as written
	TimeoutN   *int          `json:"timeout"`     // the same as a number; null when absent or not a number
	Boots      string        `json:"boots"`       // the label (or command) booted without a key press
	Labels     []LabelReport `json:"labels"`      // in file order
	Command    *LabelReport  `json:"command"`     // the default/ui command when it names no label (e.g. menu.c32)
}

// LabelReport is one label (or the default command when it names no label).
type LabelReport struct {
	Name        string         `json:"name"`                   // label name
	Kernel      string         `json:"kernel"`                 // kernel/com32/... argument as written
	KernelPath  string         `json:"kernel_path"`            // resolved against the config folder
	KernelSize  int64          `json:"kernel_size"`            // bytes, when found
	Found       bool           `json:"found"`                  // the kernel file exists
	Append      string         `json:"append"`                 // append line as written
	Localboot   string         `json:"localboot"`              // localboot argument, if any
	Modules     []ModuleReport `json:"modules"`                // mboot.c32 modules split by " --- "
	KS          string         `json:"ks"`                     // the ks= value, if any
	BootCfg     string         `json:"boot_cfg,omitempty"`     // mboot -c file (ESXi 5.x+)
	Menu        bool           `json:"menu,omitempty"`         // the kernel is a menu module
	MenuBoots   string         `json:"menu_boots,omitempty"`   // the label the menu starts on timeout
	MbootVolume int            `json:"mboot_volume,omitempty"` // mboot -p N: the partition its own FAT reader reads (0: through syslinux)
	mboot       *mbootRun      // VMware's mboot.c32 -c (5.x+): its verdicts
}

// ModuleReport is one multiboot module (or the multiboot kernel itself).
type ModuleReport struct {
	Name  string `json:"name"`  // as written
	Args  string `json:"args"`  // text after the name up to the next " --- "
	Path  string `json:"path"`  // resolved path
	Size  int64  `json:"size"`  // bytes, when found
	Found bool   `json:"found"` // the file exists
}

// FileReport is one file or folder of the FAT volume.
type FileReport struct {
	Path         string `json:"path"`                    // "/EFI/BOOT/BOOTX64.EFI", long names where present
	ShortName    string `json:"short_name"`              // 8.3 name as stored, e.g. "BOOTX64 EFI"
	Dir          bool   `json:"dir"`                     // a folder
	Size         int64  `json:"size"`                    // bytes
	Attr         string `json:"attr"`                    // "RHSDA" letters
	FirstCluster uint32 `json:"first_cluster"`           // from the directory entry
	Clusters     string `json:"-"`                       // cluster runs, e.g. "7-13,20" (text)
	ClusterRuns  []Run  `json:"clusters"`                // the same runs
	Fragments    int    `json:"fragments"`               // number of runs
	SHA256       string `json:"sha256,omitempty"`        // of the file's bytes, when readable
	ISOSHA256    string `json:"iso_sha256,omitempty"`    // of the ISO file at the same path
	ISOMatch     *bool  `json:"iso_match,omitempty"`     // nil when the ISO has no such file
	ISOHostEdit  bool   `json:"iso_host_edit,omitempty"` // differs from the ISO's copy only by the builder's per-host edit (BOOT.CFG's kernelopt=)
}

// Run is a run of consecutive cluster or sector numbers, inclusive.
type Run struct {
	First uint32 `json:"first"`
	Last  uint32 `json:"last"`
	Count uint32 `json:"count"`
}
