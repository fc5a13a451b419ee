package boottest

import (
	"fmt"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
)

// standinLines are the console lines the stand-in loader prints when the
// BIOS → mbr.bin → boot sector → LDLINUX.SYS path works: the boot sector
// found sector 0 through FirstSector, sector 0 loaded the rest through the
// patched SectorPtrs, the checksum and the order of every sector hold.
func standinLines(part uint32, maxTransfer int, raid bool) []string {
	r := 0
	if raid {
		r = 1
	}
	return []string{
		"SYSLINUX 3.70 2008-06-30 ",
		fmt.Sprintf("STANDIN: drive=0x80 part=%d maxtransfer=%d raid=%d", part, maxTransfer, r),
		fmt.Sprintf("STANDIN: sectors=%d ok", asm.SysSectors),
		"STANDIN: checksum ok",
		"STANDIN: order ok",
		"STANDIN: tail ok",
		"STANDIN: done",
	}
}

// TestStandinBoots builds images with the builder API and boots each one
// through Debian's mbr.bin and our stand-in loader. The cases cover every
// pair of FAT type, partition start and installer flags (a Latin square, 9
// boots instead of 18). A --partition-only image has no MBR and cannot boot
// alone; it is not booted here.
func TestStandinBoots(t *testing.T) {
	const s, r = true, true
	tests := []struct {
		fat          int
		start        uint32
		flags        string // as on the command line
		stupid, raid bool
		maxTransfer  int // MaxTransfer the loader must see
	}{
		{16, builder.DefaultPartitionStart, "-s", s, false, 1},
		{32, builder.DefaultPartitionStart, "-s -r", s, r, 1},
		{16, builder.DefaultPartitionStart, "--no-stupid", false, false, 127},
		{32, 63, "-s", s, false, 1},
		{16, 63, "-s -r", s, r, 1},
		{32, 63, "--no-stupid", false, false, 127},
		{16, 4096, "-s", s, false, 1},
		{32, 4096, "-s -r", s, r, 1},
		{16, 4096, "--no-stupid", false, false, 127},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("FAT%d start %d %s", tc.fat, tc.start, tc.flags), func(t *testing.T) {
			t.Parallel()
			o := baseOptions()
			o.FATType, o.PartitionStart, o.NoStupid, o.RAID = tc.fat, tc.start, !tc.stupid, tc.raid
			b := buildImage(t, isogen.Spec{RockRidge: true}, o)
			if b.plan.FAT.Type != tc.fat || b.plan.Partition.StartLBA != tc.start {
				t.Fatalf("planned FAT%d at %d, want FAT%d at %d", b.plan.FAT.Type, b.plan.Partition.StartLBA, tc.fat, tc.start)
			}
			if b.plan.Loader.MaxTransfer != tc.maxTransfer || b.plan.Loader.RAID != tc.raid {
				t.Fatalf("plan: MaxTransfer %d RAID %v, want %d %v", b.plan.Loader.MaxTransfer, b.plan.Loader.RAID, tc.maxTransfer, tc.raid)
			}
			requireBootable(t, b.path)
			r, err := boot(t, b.path, bootTimeout, lines(standinLines(tc.start, tc.maxTransfer, tc.raid)...))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("booted in %.1fs (%s)", r.Duration.Seconds(), r.Accel)
		})
	}
}
