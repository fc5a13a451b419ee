package fat

import (
	"fmt"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// humanBytes formats a byte count as "512 B", "4 KiB", "32 MiB", "1.5 GiB".
func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[u])
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// humanSize formats a sector count as a size.
func humanSize(sectors uint32) string { return humanBytes(int64(sectors) * SectorSize) }

// kib formats a byte count in KiB, rounded up, with separators.
func kib(n int64) string { return human.Commas((n + 1023) / 1024) }
