package fat

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestNewPlanErrors(t *testing.T) {
	many := func(n int, name string) []File {
		var fs []File
		for i := 0; i < n; i++ {
			fs = append(fs, File{Path: fmt.Sprintf(name, i), Size: 1})
		}
		return fs
	}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"file-too-big", Spec{TotalSectors: 65536, Files: []File{{Path: "sys.vgz", Size: 72_206_398}, {Path: "b", Size: 1 << 20}}},
			"fat: sys.vgz: 72,206,398 bytes do not fit in a 32 MiB volume"},
		{"payload-too-big", Spec{TotalSectors: 131072, Files: []File{{Path: "a.vgz", Size: 40 << 20}, {Path: "b.vgz", Size: 41 << 20}}},
			"fat: payload needs 82,944 KiB but a 64 MiB FAT16 volume holds 65,390 KiB"},
		{"fat32-too-small", Spec{TotalSectors: 32768, Type: 32}, "FAT32 needs at least 65,541 clusters but a 16 MiB volume has"},
		{"fat12-too-big", Spec{Type: 12, Files: []File{{Path: "x", Size: 200 << 20}}}, "FAT12 allows at most 4,068 clusters"},
		{"root-full", Spec{Files: many(512, "f%03d.txt"), Label: "X"}, "root folder needs 513 entries but FAT16 holds 512"},
		{"root-full-lfn", Spec{Files: many(200, "long file name %03d.txt")}, "root folder needs 600 entries"},
		{"dup", Spec{Files: []File{{Path: "a.txt"}, {Path: "A.TXT"}}}, "A.TXT: duplicate name (case-insensitive) of a file"},
		{"dup-folder", Spec{Files: []File{{Path: "efi/x"}, {Path: "EFI"}}}, "EFI: duplicate name (case-insensitive) of a folder"},
		{"file-as-folder", Spec{Files: []File{{Path: "EFI"}, {Path: "efi/boot/x"}}}, "efi/boot/x: efi is a file, not a folder"},
		{"empty-component", Spec{Files: []File{{Path: "a//b"}}}, `path "a//b": invalid name ""`},
		{"absolute", Spec{Files: []File{{Path: "/a"}}}, `path "/a": invalid name ""`},
		{"dotdot", Spec{Files: []File{{Path: "a/../b"}}}, `invalid name ".."`},
		{"colon", Spec{Files: []File{{Path: "a:b"}}}, `character ':' is not allowed`},
		{"negative", Spec{Files: []File{{Path: "a", Size: -1}}}, "a: size -1 is outside"},
		{"4GiB", Spec{Files: []File{{Path: "a", Size: 1 << 32}}}, "a: size 4,294,967,296 is outside"},
		{"attr", Spec{Files: []File{{Path: "a", Attr: Directory}}}, "a: attributes 0x10"},
		{"type", Spec{Type: 15}, "type 15"},
		{"label", Spec{Label: "TWELVE CHARS"}, "longer than 11"},
		{"label-char", Spec{Label: "a.b"}, "character '.'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPlan(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestRootFull: the FAT16 root holds exactly 512 entries.
func TestRootFull(t *testing.T) {
	var files []File
	for i := 0; i < 511; i++ {
		files = append(files, File{Path: fmt.Sprintf("F%03d.TXT", i), Size: int64(i % 3)})
	}
	im := buildImage(t, Spec{Files: files, Label: "FULL", ModTime: testTime}, 0, true)
	if im.plan.RootEntriesUsed != 512 {
		t.Fatalf("root entries %d, want 512", im.plan.RootEntriesUsed)
	}
	checkFsck(t, im)
	checkDiskfs(t, im)
}

func TestAutoSize(t *testing.T) {
	tests := []struct {
		name    string
		files   []File
		typ     int
		wantTyp int
		wantSpc uint8
	}{
		{"empty", nil, 0, 16, 4},
		{"esxi-4.1", []File{{Path: "a", Size: 300 << 20}, {Path: "b", Size: 12_345}}, 0, 16, 16},
		{"esxi-forced-32", []File{{Path: "a", Size: 300 << 20}}, 32, 32, 8},
		{"900MiB", []File{{Path: "a", Size: 900 << 20}}, 0, 16, 32},
		{"1000MiB", []File{{Path: "a", Size: 1000 << 20}}, 0, 32, 8},
		{"small-forced-32", []File{{Path: "a", Size: 1}}, 32, 32, 1},
		{"small-forced-12", []File{{Path: "a", Size: 1}}, 12, 12, 16},
		{"many", many(3000), 32, 32, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(Spec{Files: tc.files, Type: tc.typ})
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, p.Geometry)
			if p.Type != tc.wantTyp || p.SectorsPerCluster != tc.wantSpc {
				t.Errorf("FAT%d with %d sectors/cluster, want FAT%d with %d", p.Type, p.SectorsPerCluster, tc.wantTyp, tc.wantSpc)
			}
			if p.TotalSectors%63 != 0 || p.TotalSectors < MinAutoSectors {
				t.Errorf("%d sectors: not a multiple of 63 or below 16 MiB", p.TotalSectors)
			}
			cb := uint64(p.ClusterBytes())
			used, free := uint64(p.UsedClusters)*cb, uint64(p.FreeClusters)*cb
			if free < max(used/10, 8<<20) {
				t.Errorf("free %d bytes for %d used: less than max(10%%, 8 MiB)", free, used)
			}
			// not wasteful: the headroom rule plus 2% and a cluster per track
			slack := free - max(used/10, 8<<20)
			floor := p.TotalSectors <= MinAutoSectors+63 || (tc.typ == 32 && p.Clusters < 70000) // size set by a minimum
			if slack > (used+free)/50+63*cb+(1<<20) && !floor {
				t.Errorf("free %d bytes for %d used: %d more than needed", free, used, slack)
			}
		})
	}
}

func many(n int) []File {
	var fs []File
	for i := 0; i < n; i++ {
		fs = append(fs, File{Path: fmt.Sprintf("dir%d/file number %d.dat", i%7, i), Size: int64(i * 37)})
	}
	return fs
}

func TestPlanJSONAndDeterminism(t *testing.T) {
	s := Spec{Files: esxiFiles(2048), ModTime: testTime, Label: "esxi"}
	a, err := NewPlan(s)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewPlan(s)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same Spec, different Plans")
	}
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.BootSector() != a.BootSector() || !reflect.DeepEqual(back.Files, a.Files) {
		t.Error("plan does not survive a JSON round trip")
	}
	if a.Label != "ESXI       " || a.VolumeID == 0 {
		t.Errorf("label %q, volume ID %#x", a.Label, a.VolumeID)
	}
	f, _ := a.File("a long file name with spaces.TGZ")
	if f.ShortName != "ALONGF~1TGZ" || f.LongName != "A Long File Name With Spaces.tgz" {
		t.Errorf("long-named file planned as %+v", f)
	}
	if _, err := a.FileSectors("nope"); err == nil {
		t.Error("FileSectors of a missing file: no error")
	}
}

// TestCheckTampered: Write refuses a Plan edited into inconsistency.
func TestCheckTampered(t *testing.T) {
	s := Spec{Files: esxiFiles(2048), Label: "X"}
	tests := []struct {
		name   string
		tamper func(p *Plan)
	}{
		{"parent", func(p *Plan) { p.Files[0].Parent = 99 }},
		{"folder-parent-forward", func(p *Plan) { p.Folders[0].Parent = 1 }},
		{"first-cluster", func(p *Plan) { p.Files[2].FirstCluster++ }},
		{"entries", func(p *Plan) { p.Folders[1].Entries = 1000 }},
		{"root-entries", func(p *Plan) { p.RootEntriesUsed = 600 }},
		{"total", func(p *Plan) { p.TotalSectors += 100 }},
		{"fat", func(p *Plan) { p.FATSectors-- }},
		{"short-name", func(p *Plan) { p.Files[0].ShortName = "X" }},
		{"long-name", func(p *Plan) { p.Files[0].LongName = strings.Repeat("x", 400) }},
		{"short-lower", func(p *Plan) { p.Files[0].ShortName = "ldlinux sys" }},
		{"short-dup", func(p *Plan) { p.Files[1].ShortName = p.Files[0].ShortName }},
		{"size", func(p *Plan) { p.Files[3].Size = 1 << 40 }},
		{"free", func(p *Plan) { p.FreeClusters = 0 }},
		{"spc", func(p *Plan) { p.SectorsPerCluster = 3 }},
		{"media", func(p *Plan) { p.Media = 0x12 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Check(); err != nil {
				t.Fatalf("untouched plan: %v", err)
			}
			tc.tamper(p)
			err = p.Write(context.Background(), discard{}, 0, p.BootSector(), nil, WriteOptions{})
			if err == nil || !strings.Contains(err.Error(), "fat: plan:") {
				t.Fatalf("Write = %v, want a plan error", err)
			}
		})
	}
}

type discard struct{}

func (discard) WriteAt(b []byte, off int64) (int, error) { return len(b), nil }
