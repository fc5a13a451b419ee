package testutil

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/fixtures/diskgen"
)

// UsedDisk describes a used server disk with an automation partition
// already on it: every byte 0xA5, the boot code "old boot code", and
// partition 1 (Linux, active, random bytes) from First up to Start,
// partition 2 (FAT32 type, the automation partition) of Sectors sectors
// at Start, partition 3 (Linux, random bytes, 8,192 sectors) after it,
// then Slack sectors.
type UsedDisk struct {
	First, Start, Sectors uint32
	Signature             uint32 // the disk signature
	Slack                 uint32
}

// Write makes the disk as a file in a temporary folder and returns its
// path and the diskgen layout it was made from.
func (u UsedDisk) Write(t testing.TB) (string, diskgen.Spec) {
	t.Helper()
	s := diskgen.Spec{Fill: 0xA5, BootCode: []byte("old boot code"), Signature: u.Signature,
		Size: int64(u.Start+u.Sectors+8192+u.Slack) * 512,
		Partitions: []diskgen.Partition{
			{Start: u.First, Sectors: u.Start - u.First, Type: 0x83, Active: true, Random: true},
			{Start: u.Start, Sectors: u.Sectors, Type: mbr.TypeFAT32},
			{Start: u.Start + u.Sectors, Sectors: 8192, Type: 0x83, Random: true},
		}}
	path := filepath.Join(t.TempDir(), "disk")
	if err := diskgen.Write(path, s); err != nil {
		t.Fatal(err)
	}
	return path, s
}

// GPTDisk is a disk file full of 0x5A laid out by sgdisk: partition 1
// (Linux, 8,192 sectors at LBA 2,048), 2 (an EFI system partition of
// espSectors), 3 (Linux, 8,192 sectors), 2,048 sectors for the backup GPT
// and slack. It returns the path.
func GPTDisk(t testing.TB, espSectors int) string {
	t.Helper()
	Need(t, "sgdisk")
	size := int64(2048+8192+espSectors+8192+2048) * 512
	path := filepath.Join(t.TempDir(), "gptdisk")
	if err := os.WriteFile(path, bytes.Repeat([]byte{0x5A}, int(size)), 0o644); err != nil {
		t.Fatal(err)
	}
	Run(t, nil, "sgdisk", "-o", "-n", "1:2048:+8192", "-t", "1:8300", "-n", "2:0:+"+strconv.Itoa(espSectors), "-t", "2:ef00", "-n", "3:0:+8192", "-t", "3:8300", path)
	return path
}
