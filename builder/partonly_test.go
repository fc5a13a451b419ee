package builder

import (
	"bytes"
	"os"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestPartitionOnlyIsThePartition: --partition-only writes exactly the bytes
// of the full image's partition (volume ID included), so that the hash of
// one can be checked against the other; it has no disk signature.
func TestPartitionOnlyIsThePartition(t *testing.T) {
	for _, tt := range []struct {
		name string
		iso  isogen.Spec
		ts   tarball.Spec
	}{
		{"4.1", isogen.Spec{RockRidge: true}, tarball.Spec{}},
		{"7.0", isogen.Spec{Version: "7.0"}, tarball.Spec{Version: "3.86", Date: "2010-04-16"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, tt.iso, tt.ts)
			full, fullImg := fx.build(t, hostOpts)
			o := hostOpts
			o.PartitionOnly = true
			part, partImg := fx.build(t, o)
			if part.DiskSignature != 0 {
				t.Errorf("partition-only plan has disk signature %08X", part.DiskSignature)
			}
			if full.FAT.VolumeID != part.FAT.VolumeID {
				t.Errorf("volume ID %08X, full image's %08X", part.FAT.VolumeID, full.FAT.VolumeID)
			}
			a, err := os.ReadFile(fullImg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(partImg)
			if err != nil {
				t.Fatal(err)
			}
			off := int64(full.Partition.StartLBA) * 512
			if !bytes.Equal(a[off:], b) {
				t.Errorf("partition-only image (%d bytes) differs from the full image's partition (%d bytes at %d)", len(b), len(a)-int(off), off)
			}
		})
	}
}
