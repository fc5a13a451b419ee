package fat

import (
	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// humanSize formats a sector count as a size.
func humanSize(sectors uint32) string { return human.Bytes(int64(sectors) * SectorSize) }

// kib formats a byte count in KiB, rounded up, with separators.
func kib(n int64) string { return human.Commas((n + 1023) / 1024) }
