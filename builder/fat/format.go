package fat

import (
	"fmt"
	"strconv"
)

// commas formats n with thousands separators: 72206398 -> "72,206,398".
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

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
func kib(n int64) string { return commas((n + 1023) / 1024) }
