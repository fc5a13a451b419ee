package boottest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	dgpt "github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// debianGPTMBR is syslinux 6.04's gptmbr.bin (Debian's syslinux-common): it
// boots the partition with the legacy-BIOS-bootable attribute.
const debianGPTMBR = "/usr/lib/syslinux/mbr/gptmbr.bin"

// gptBuild builds a 7.0-shaped image with --table gpt from a 3.86-shaped
// tarball whose loader is our stand-in and whose gptmbr.bin is our
// stand-in of 3.86's (fixtures/asm), its BOOTX64.EFI our EFI stand-in.
func gptBuild(t *testing.T, mods ...func(*builder.Options)) (e5Image, []byte) {
	t.Helper()
	testutil.SkipOrFail(t, asm.Toolchain())
	testutil.Need(t, e5MBR)
	dir := t.TempDir()
	bss, sys, err := asm.BuildStandin(filepath.Join(dir, "asm"), e5Version, e5Date)
	if err != nil {
		t.Fatal(err)
	}
	code, err := asm.BuildGPTMBR(filepath.Join(dir, "gptmbr"))
	if err != nil {
		t.Fatal(err)
	}
	mbr, err := os.ReadFile(e5MBR)
	if err != nil {
		t.Fatal(err)
	}
	efi, _ := e5EFIStandin(t, "7.0")
	b := e5Image{path: filepath.Join(dir, "host.img"), iso: filepath.Join(dir, "esxi.iso"), tar: filepath.Join(dir, "syslinux-3.86.tar.gz")}
	if err := tarball.WriteFile(b.tar, tarball.Spec{Version: e5Version, Date: e5Date, Bss: bss, Sys: sys, MBR: mbr, GPTMBR: code}); err != nil {
		t.Fatal(err)
	}
	spec := isogen.Spec{Version: "7.0", Files: map[string][]byte{"EFI/BOOT/BOOTX64.EFI": efi}}
	if err := isogen.Write(b.iso, spec); err != nil {
		t.Fatal(err)
	}
	if b.files, err = isogen.Contents(spec); err != nil {
		t.Fatal(err)
	}
	o := e5Options()
	o.Table = builder.TableGPT
	for _, m := range mods {
		m(&o)
	}
	b.plan, b.sum = e5Plan(t, b.iso, b.tar, b.path, o)
	return b, code
}

// TestGPTImage: a --table gpt image is a sound GPT by sgdisk, sfdisk,
// go-diskfs and inspect, the same bytes every time, and boots by BIOS
// (protective MBR's gptmbr.bin -> our boot sector -> the stand-in
// LDLINUX.SYS) and by UEFI (OVMF finds the EFI system partition). syslinux
// 6.04's gptmbr.bin, which boots by the legacy-BIOS-bootable attribute,
// boots it too; a wrong boot GUID at 0x1A8 fails the BIOS boot and inspect
// names it.
func TestGPTImage(t *testing.T) {
	t.Parallel()
	b, _ := gptBuild(t)
	g := b.plan.GPT
	if g == nil || g.FirstLBA != builder.DefaultPartitionStart || g.BackupLBA != uint64(b.plan.ImageBytes/512-1) {
		t.Fatalf("GPT plan %+v (image %d bytes)", g, b.plan.ImageBytes)
	}
	// Same inputs, same bytes.
	if _, sum := e5Plan(t, b.iso, b.tar, filepath.Join(t.TempDir(), "again.img"), func() builder.Options {
		o := e5Options()
		o.Table = builder.TableGPT
		return o
	}()); sum != b.sum {
		t.Errorf("rebuilt image hashes %s, first %s", sum, b.sum)
	}
	testutil.Need(t, "sgdisk", "sfdisk")
	if out := testutil.Run(t, nil, "sgdisk", "-v", b.path); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	if out := testutil.Run(t, nil, "sfdisk", "--verify", b.path); !strings.Contains(out, "No errors detected.") {
		t.Errorf("sfdisk --verify:\n%s", out)
	}
	dump := strings.Join(strings.Fields(testutil.Run(t, nil, "sfdisk", "--dump", b.path)), " ")
	if want := "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=" + g.PartitionGUID.String() + ", name=\"ESXi boot\", attrs=\"LegacyBIOSBootable\""; !strings.Contains(dump, want) {
		t.Errorf("sfdisk --dump lacks %q:\n%s", want, dump)
	}
	f, err := os.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	dt, err := dgpt.Read(file.New(f, true), 512, 512)
	f.Close()
	if err != nil || len(dt.Partitions) == 0 || dt.Partitions[0].Start != g.FirstLBA || dt.Partitions[0].End != g.LastLBA ||
		!strings.EqualFold(dt.Partitions[0].GUID, g.PartitionGUID.String()) {
		t.Fatalf("go-diskfs: %v %+v", err, dt)
	}
	r := inspectImage(t, b.path)
	if !r.Bootable || len(r.Faults) > 0 || len(r.Warnings) > 0 || r.MBR.GPT == nil || r.MBR.GPT.BIOSBoots != 1 || r.MBR.GPT.ESP != 1 ||
		!r.MBR.GPT.PrimaryOK || !r.MBR.GPT.BackupOK || r.MBR.GPT.BootGUID != g.PartitionGUID.String() || r.MBR.BootCode != "syslinux 3.x gptmbr.bin" {
		t.Fatalf("inspect: bootable %v faults %q warnings %q\n%s", r.Bootable, r.Faults, r.Warnings, r.Text())
	}

	bios := append([]string{"GPTMBR: ok"}, e5StandinLines(b.plan.Partition.StartLBA)...)
	res, err := e5BootBIOS(t, b.path, e5Lines(bios...))
	if err != nil {
		t.Fatalf("BIOS boot through gptmbr.bin: %v", err)
	}
	t.Logf("BIOS boot through the stand-in gptmbr.bin: %.1fs (%s)", res.Duration.Seconds(), res.Accel)
	_, files := e5EFIStandin(t, "7.0")
	if _, err := e5BootUEFI(t, b.path, e5BootTimeout, e5Lines(e5UEFILines(t, b, files)...)); err != nil {
		t.Fatalf("UEFI boot: %v", err)
	}

	// syslinux 6.04's gptmbr.bin (440 bytes: its code covers 0x1A8) boots
	// the partition by its attribute.
	testutil.Need(t, debianGPTMBR)
	code604, err := os.ReadFile(debianGPTMBR)
	if err != nil {
		t.Fatal(err)
	}
	img604 := filepath.Join(t.TempDir(), "gptmbr604.img")
	copyFile(t, b.path, img604)
	patchImage(t, img604, 0, code604[:440])
	if _, err := e5BootBIOS(t, img604, e5Lines(e5StandinLines(b.plan.Partition.StartLBA)...)); err != nil {
		t.Fatalf("BIOS boot through syslinux 6.04's gptmbr.bin: %v", err)
	}

	// Negative control: another GUID at 0x1A8.
	bad := filepath.Join(t.TempDir(), "badguid.img")
	copyFile(t, b.path, bad)
	wrong := g.PartitionGUID
	wrong[0] ^= 0xFF
	patchImage(t, bad, gpt.BootGUIDOffset, wrong[:])
	r = inspectImage(t, bad)
	if r.Bootable || !strings.Contains(strings.Join(r.Faults, "\n"), "GPT: the boot GUID at 0x1A8 of sector 0, "+wrong.String()+", is no partition's unique GUID") {
		t.Errorf("inspect of a wrong boot GUID: bootable %v, faults %q", r.Bootable, r.Faults)
	}
	first := regexp.MustCompile(`(Boot partition not found|GPTMBR: ok)`)
	res, err = e5BootBIOS(t, bad, []*regexp.Regexp{first})
	if err != nil || res.Matched[0] != "Boot partition not found" {
		t.Fatalf("BIOS boot with a wrong boot GUID: %v, matched %q", err, res.Matched)
	}
}
