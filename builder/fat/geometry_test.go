package fat

import (
	"errors"
	"strings"
	"testing"
)

// Hand-computed layouts (see the comments) and boundary choices.
func TestChooseGeometry(t *testing.T) {
	tests := []struct {
		name  string
		total uint32
		typ   int
		want  Geometry // only the fields compared below
	}{
		// 16 MiB rounded to 63: > 32,680 sectors -> 2 KiB clusters. F=32
		// maps (32823-1-32-64)/4 = 8181 clusters (8192 entries); F=31 only
		// 7936. Data at 1+64+32 = 97 -> pad to 100: 3 more reserved.
		// Clusters (32823-100)/4 = 8180.
		{"16MiB", 32823, 0, Geometry{Type: 16, SectorsPerCluster: 4, ReservedSectors: 4, FATSectors: 32, FirstDataSector: 100, Clusters: 8180}},
		// FAT32, > 532,480 sectors -> 4 KiB clusters; F=585 maps 74,880
		// entries >= 74,850+2, F=584 74,752 does not; data 32+1170=1202
		// -> pad 6 to 1208; clusters (600003-1208)/8 = 74,849.
		{"fat32-600003", 600003, 32, Geometry{Type: 32, SectorsPerCluster: 8, ReservedSectors: 38, FATSectors: 585, FirstDataSector: 1208, Clusters: 74849}},
		// 1 GiB is still FAT16, but 16 KiB clusters would make 65,527, too
		// close to 65,525: 32 KiB. 63 sectors more is FAT32 (4 KiB clusters).
		{"1GiB", 2097152, 0, Geometry{Type: 16, SectorsPerCluster: 64}},
		{"1GiB-1MiB", 2097152 - 2048, 0, Geometry{Type: 16, SectorsPerCluster: 32}},
		{"1GiB+63", 2097152 + 63, 0, Geometry{Type: 32, SectorsPerCluster: 8}},
		// fatgen103 table rows
		{"fat16-128MB", 262144, 16, Geometry{Type: 16, SectorsPerCluster: 4}},
		{"fat16-128MB+1", 262145, 16, Geometry{Type: 16, SectorsPerCluster: 8}},
		{"fat16-1.9GiB", 4000000, 16, Geometry{Type: 16, SectorsPerCluster: 64}},
		{"fat32-260MB", 532480, 32, Geometry{Type: 32, SectorsPerCluster: 1}},
		{"fat32-8GB+1", 16777217, 32, Geometry{Type: 32, SectorsPerCluster: 16}},
		{"fat32-40GB", 83886080, 32, Geometry{Type: 32, SectorsPerCluster: 64}},
		// FAT12: 512-byte clusters while the count stays below 4085-16.
		{"fat12-2MiB", 4096, 12, Geometry{Type: 12, SectorsPerCluster: 1}},
		{"fat12-4MiB", 8192, 12, Geometry{Type: 12, SectorsPerCluster: 2}}, // 4,067 clusters
		{"fat12-4MiB+", 8300, 12, Geometry{Type: 12, SectorsPerCluster: 4}},
		// FAT16 at 4,200 sectors: 4,133 clusters of 512 bytes, above 4,101.
		{"fat16-tiny", 4200, 16, Geometry{Type: 16, SectorsPerCluster: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := chooseGeometry(tc.total, tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, g)
			w := tc.want
			if g.Type != w.Type || g.SectorsPerCluster != w.SectorsPerCluster {
				t.Errorf("FAT%d with %d sectors/cluster, want FAT%d with %d", g.Type, g.SectorsPerCluster, w.Type, w.SectorsPerCluster)
			}
			if w.FATSectors != 0 && (g.ReservedSectors != w.ReservedSectors || g.FATSectors != w.FATSectors ||
				g.FirstDataSector != w.FirstDataSector || g.Clusters != w.Clusters) {
				t.Errorf("got reserved %d, FAT %d, data %d, clusters %d; want %d, %d, %d, %d",
					g.ReservedSectors, g.FATSectors, g.FirstDataSector, g.Clusters,
					w.ReservedSectors, w.FATSectors, w.FirstDataSector, w.Clusters)
			}
		})
	}
}

func TestChooseGeometryErrors(t *testing.T) {
	tests := []struct {
		total uint32
		typ   int
		is    error
		want  string
	}{
		{32768, 32, errTooFewClusters, "FAT32 needs at least 65,541 clusters but a 16 MiB volume has"},
		{66000, 32, errTooFewClusters, "FAT32 needs at least 65,541 clusters"},
		{6291456, 16, errTooManyClusters, "FAT16 allows at most 65,508 clusters but a 3 GiB volume has 98,"},
		{4150, 16, errTooFewClusters, "FAT16 needs at least 4,101 clusters"},
		{600000, 12, errTooManyClusters, "FAT12 allows at most 4,068 clusters"},
		{40, 16, errTooFewClusters, "FAT16 needs at least 4,101 clusters but a 20 KiB volume"},
		{4194304, 16, errTooManyClusters, "FAT16 allows at most 65,508 clusters but a 2 GiB volume has 65,527 of 32 KiB"},
	}
	for _, tc := range tests {
		_, err := chooseGeometry(tc.total, tc.typ)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("chooseGeometry(%d, %d) = %v, want %q", tc.total, tc.typ, err, tc.want)
		}
	}
}

// TestGeometrySweep checks the arithmetic of every chosen layout across
// sizes around the type and table boundaries.
func TestGeometrySweep(t *testing.T) {
	var totals []uint32
	for _, edge := range []uint32{4200, 8400, 32680, 66600, 262144, 524288, 532480, 1048576, 2097152, 4194304, 16777216} {
		for d := int64(-3000); d <= 3000; d += 97 {
			totals = append(totals, uint32(int64(edge)+d))
		}
	}
	for n := uint32(5000); n < 9_000_000; n = n*21/20 + 1 {
		totals = append(totals, n)
	}
	ok := 0
	for _, typ := range []int{0, 12, 16, 32} {
		for _, total := range totals {
			g, err := chooseGeometry(total, typ)
			if err != nil {
				if !errors.Is(err, errTooFewClusters) && !errors.Is(err, errTooManyClusters) {
					t.Errorf("%d sectors FAT%d: %v", total, typ, err)
				}
				continue
			}
			ok++
			if typ == 0 && g.Type != autoType(total) {
				t.Errorf("%d sectors: auto type FAT%d", total, g.Type)
			}
			checkInvariants(t, g)
		}
	}
	if ok < len(totals) {
		t.Errorf("only %d layouts succeeded", ok)
	}
}

// checkInvariants recomputes a layout's numbers with plain arithmetic.
func checkInvariants(t *testing.T, g Geometry) {
	t.Helper()
	spc := uint64(g.SectorsPerCluster)
	bits := uint64(g.Type)
	root := uint64(g.RootEntries) * 32 / 512
	entries := func(fat uint64) uint64 { return fat * 512 * 8 / bits }
	clusters := func(fat uint64) uint64 {
		return (uint64(g.TotalSectors) - uint64(g.ReservedSectors) - 2*fat - root) / spc
	}
	f := uint64(g.FATSectors)
	base := uint64(1)
	if g.Type == 32 {
		base = 32
	}
	// fatgen103's FAT size formula: usually the minimum or one more, but
	// it can be one sector short (its FAT then misses the two reserved
	// entries, e.g. 30,359 sectors FAT16: 59 sectors map 15,104 entries
	// for 15,103 clusters + 2), so allow one above it.
	tmp1 := uint64(g.TotalSectors) - (uint64(g.ReservedSectors) + root)
	tmp2 := 256*spc + 2
	if g.Type == 32 {
		tmp2 /= 2
	}
	fatgen := (tmp1 + tmp2 - 1) / tmp2
	switch {
	case spc == 0 || spc > 64 || spc&(spc-1) != 0:
		t.Errorf("%d sectors: %d sectors per cluster", g.TotalSectors, spc)
	case root != uint64(g.RootDirSectors) || (g.Type == 32) != (root == 0):
		t.Errorf("%d sectors: root %d sectors", g.TotalSectors, g.RootDirSectors)
	case uint64(g.FirstDataSector) != uint64(g.ReservedSectors)+2*f+root:
		t.Errorf("%d sectors: first data sector %d", g.TotalSectors, g.FirstDataSector)
	case uint64(g.FirstDataSector)%spc != 0:
		t.Errorf("%d sectors: data at %d not cluster-aligned", g.TotalSectors, g.FirstDataSector)
	case uint64(g.ReservedSectors) < base || uint64(g.ReservedSectors) >= base+spc+2*spc:
		t.Errorf("%d sectors: %d reserved", g.TotalSectors, g.ReservedSectors)
	case uint64(g.Clusters) != clusters(f):
		t.Errorf("%d sectors: %d clusters, want %d", g.TotalSectors, g.Clusters, clusters(f))
	case entries(f) < clusters(f)+2:
		t.Errorf("%d sectors: FAT of %d sectors maps %d entries, %d clusters", g.TotalSectors, f, entries(f), clusters(f))
	case f > 1 && entries(f-1) >= clusters(f-1)+2:
		t.Errorf("%d sectors: FAT of %d sectors is not the fewest", g.TotalSectors, f)
	case f > fatgen+1:
		t.Errorf("%d sectors: FAT %d sectors > fatgen103's %d + 1", g.TotalSectors, f, fatgen)
	}
	min, max := map[int]uint64{12: 1, 16: 4085 + 16, 32: 65525 + 16}[g.Type], map[int]uint64{12: 4085 - 17, 16: 65525 - 17, 32: 0x0FFFFFF5}[g.Type]
	if c := uint64(g.Clusters); c < min || c > max {
		t.Errorf("%d sectors: FAT%d with %d clusters is outside %d..%d", g.TotalSectors, g.Type, c, min, max)
	}
}
