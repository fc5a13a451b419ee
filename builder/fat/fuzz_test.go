package fat

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzWrite plans and writes random file sets (names, folders, sizes,
// types) and checks every image with fsck.fat and go-diskfs. NewPlan may
// refuse a set (duplicates, bad names, no room) but must not panic.
func FuzzWrite(f *testing.F) {
	f.Add([]byte{0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{1, 5, 9, 0, 0, 1, 7, 255, 255, 3, 2, 0, 0, 4, 8, 1, 2, 3})
	f.Add([]byte{2, 7, 200, 10, 3, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140})
	f.Add([]byte{3, 6, 17, 0, 0, 0, 0, 1, 0, 16, 0, 2, 0, 0, 1, 33, 44})
	f.Add([]byte{3, 40, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	fragments := []string{"a", "LDLINUX.SYS", "mboot.c32", "Long Name", "x.tar.gz", "EFI", "boot", "über", "~1", ".cfg", "README", "a b.c"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}
		spec := Spec{Type: []int{0, 12, 16, 32}[next()%4], ModTime: testTime, HiddenSectors: 2048}
		n := next() % 48
		for i := 0; i < n; i++ {
			var parts []string
			for d := next() % 3; d >= 0; d-- {
				parts = append(parts, fragments[next()%len(fragments)]+strings.Repeat("x", next()%20))
			}
			parts[len(parts)-1] += fmt.Sprintf("-%d", i) // unique file names; folders have no '-'
			size := int64(next())<<8 | int64(next())     // up to 64 KiB
			if size%7 == 0 {
				size = 0
			}
			spec.Files = append(spec.Files, File{Path: strings.Join(parts, "/"), Size: size, Attr: Attr(next()) & (ReadOnly | Hidden | System | Archive)})
		}
		if _, err := NewPlan(spec); err != nil {
			t.Logf("refused: %v", err)
			return
		}
		im := buildImage(t, spec, 2048*SectorSize, true)
		checkFsck(t, im)
		checkDiskfs(t, im)
	})
}
