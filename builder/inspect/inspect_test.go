package inspect

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

func u32(v uint32) []byte { b := make([]byte, 4); le.PutUint32(b, v); return b }

// inspectFile runs Inspect over a built image with patches applied.
func inspectFile(t *testing.T, path string, patches ...patch) *Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Inspect(&overlay{r: f, patches: patches}, st.Size(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// dirEntry finds the 32-byte directory entry with the 8.3 name in the image.
func dirEntry(t *testing.T, path string, name83 string) int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; ; off += 32 {
		i := bytes.Index(data[off:], []byte(name83))
		if i < 0 {
			t.Fatalf("no directory entry %q", name83)
		}
		if (off+i)%32 == 0 && data[off+i+11] != 0x0F {
			return int64(off + i)
		}
		off += i - i%32
	}
}

func TestGoodImages(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec imgSpec
	}{
		{"fat12 mbr", imgSpec{fat: 12, start: 63, sectors: 8 << 10}},
		{"fat16 mbr", imgSpec{fat: 16, start: 2048, sectors: 64 << 10}},
		{"fat32 mbr", imgSpec{fat: 32, start: 2048, sectors: 132 << 10}},
		{"fat16 bare", imgSpec{fat: 16, bare: true, sectors: 64 << 10}},
		{"fat32 raid stupid", imgSpec{fat: 32, start: 2048, sectors: 132 << 10, raid: true, stupid: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.files = esxi41Files(esxi41Cfg)
			b := buildImage(t, tc.spec)
			r := inspectFile(t, b.path)
			if !r.Bootable || len(r.Faults) > 0 || len(r.Warnings) > 0 {
				t.Fatalf("want bootable, no faults, no warnings:\n%s", r.Text())
			}
			if (r.MBR == nil) != tc.spec.bare {
				t.Errorf("MBR = %v, bare = %v", r.MBR, tc.spec.bare)
			}
			if r.MBR != nil && (r.MBR.BootCode != "syslinux mbr.bin" || r.MBR.Active != 1) {
				t.Errorf("MBR %+v", r.MBR)
			}
			if r.Partition.FATType != tc.spec.fat || r.Partition.Offset != b.fsOff {
				t.Errorf("partition %+v", r.Partition)
			}
			l := r.Loader
			if l.Version != "3.70" || l.Date != "2008-06-30" || l.MagicOffset != testM || l.Stamp != testStamp ||
				!l.ChecksumOK || l.FirstSector != b.sectors[0] || len(l.SectorPtrs) != len(b.sectors)-1 ||
				l.FileSize != testSysSize || l.Attr != "RHSA" {
				t.Errorf("loader %+v", l)
			}
			if l.RAID == nil || *l.RAID != tc.spec.raid {
				t.Errorf("RAID = %v, want %v", l.RAID, tc.spec.raid)
			}
			if want := map[bool]uint16{true: 1, false: 127}[tc.spec.stupid]; l.MaxTransfer != want {
				t.Errorf("MaxTransfer = %d, want %d", l.MaxTransfer, want)
			}
			c := r.Config
			if c.Path != "/syslinux.cfg" || c.Boots != "label 1" || c.Serial != "0 115200" || c.SerialLine != 1 || len(c.Labels) != 2 {
				t.Fatalf("config %+v", c)
			}
			l1 := c.Labels[0]
			if l1.KS != "usb" || len(l1.Modules) != 6 || l1.Modules[0].Name != "vmkboot.gz" || l1.Modules[0].Args != "ks=usb" || !l1.Found {
				t.Errorf("label 1 %+v", l1)
			}
			if len(r.Files) != 10 {
				t.Errorf("%d files, want 10", len(r.Files))
			}
			for _, f := range r.Files {
				if f.SHA256 == "" {
					t.Errorf("%s: no SHA-256", f.Path)
				}
			}
		})
	}
}

func TestFaults(t *testing.T) {
	spec := imgSpec{fat: 32, start: 2048, sectors: 132 << 10, files: esxi41Files(esxi41Cfg)}
	b := buildImage(t, spec)
	sys0 := b.fsOff + int64(b.sectors[0])*512
	ptr := func(i int) int64 { return sys0 + testM + 16 + 4*int64(i) }
	outside := b.sectors[len(b.sectors)-1] + 100
	attrOff := dirEntry(t, b.path, "LDLINUX SYS") + 11
	for _, tc := range []struct {
		name     string
		patches  []patch
		fault    string // substring of a fault; "" = none expected
		warning  string // substring of a warning
		bootable bool
	}{
		{"corrupt SectorPtr", []patch{{ptr(5), u32(outside)}}, "SectorPtrs[5]=", "", false},
		{"swapped SectorPtrs", []patch{{ptr(0), u32(b.sectors[2])}, {ptr(1), u32(b.sectors[1])}}, "is LDLINUX.SYS's sector 2, not sector 1", "", false},
		{"wrong checksum", []patch{{sys0 + testM + 12, u32(0x12345678)}}, "\"Load error\"", "", false},
		{"stamp mismatch", []patch{{b.fsOff + 0x105, u32(testStamp ^ 1)}}, "\"Boot error\"", "", false},
		{"FirstSector wrong", []patch{{b.fsOff + 0x1F8, u32(b.sectors[1])}}, "FirstSector=", "", false},
		{"boot sector 55AA", []patch{{b.fsOff + 0x1FE, []byte{0, 0}}}, "no 55 AA", "", false},
		{"not syslinux", []patch{{b.fsOff, []byte{0xEB, 0x3C, 0x90}}}, "not syslinux's EB 58 90", "", false},
		{"two active", []patch{{0x1CE, []byte{0x80, 0, 0, 0, 0x0C}}, {0x1D6, append(u32(1), u32(100)...)}}, "2 active partitions (1, 2)", "", false},
		{"no active", []patch{{0x1BE, []byte{0}}}, "no active partition", "", false},
		{"status 0x81", []patch{{0x1BE, []byte{0x81}}}, "status 0x81", "", false},
		{"past the end", []patch{{0x1CA, u32(9_000_000)}}, "partition 1 ends at sector 9,002,048, past the image's", "", false},
		{"MBR code empty", []patch{{0, make([]byte, 440)}}, "MBR: no boot code", "", false},
		{"MBR 55AA", []patch{{0x1FE, []byte{0, 0}}}, "MBR: no 55 AA", "", false},
		{"not a FAT type", []patch{{0x1C2, []byte{0x83}}}, "not a FAT type", "", false},
		{"EFI system type", []patch{{0x1C2, []byte{0xEF}}}, "", "", true},
		{"entries out of order", []patch{{0x1CE, []byte{0, 0, 0, 0, 0x83}}, {0x1D6, append(u32(100), u32(50)...)}}, "",
			"partition 2 starts at sector 100, before partition 1 (2,048): some firmware ignores an MBR whose entries are out of order", true},
		{"hidden sectors, status 0x80", []patch{{b.fsOff + 0x1C, u32(0)}}, "", "BPB hidden sectors 0 differ", true},
		{"hidden sectors, status 0x81", []patch{{b.fsOff + 0x1C, u32(0)}, {0x1BE, []byte{0x81}}}, "the boot sector would read LDLINUX.SYS from the wrong place", "", false},
		{"missing module", []patch{{dirEntry(t, b.path, "SYS     VGZ"), []byte("SYX")}}, "label 1: module sys.vgz not found", "", false},
		{"missing kernel", []patch{{dirEntry(t, b.path, "MBOOT   C32"), []byte("MBOOX")}}, "label 1: kernel mboot.c32 not found", "", false},
		{"missing ks.cfg", []patch{{dirEntry(t, b.path, "KS      CFG"), []byte("KX")}}, "", "ks=usb but /ks.cfg is not on this disk", true},
		{"missing syslinux.cfg", []patch{{dirEntry(t, b.path, "SYSLINUXCFG"), []byte("SYSLINUXCFX")}}, "no syslinux.cfg", "", false},
		{"LDLINUX.SYS not RHS", []patch{{attrOff, []byte{0x20}}}, "", "LDLINUX.SYS attributes are \"A\"", true},
		{"LDLINUX.SYS missing", []patch{{attrOff - 11, []byte("LDLINUX SYX")}}, "LDLINUX.SYS is not in the root folder", "", false},
		{"MaxTransfer 0", []patch{{b.fsOff + 0x1FC, []byte{0, 0}}}, "MaxTransfer is 0", "", false},
		{"chain loop", []patch{{int64(b.fsOff) + 32*512 + 4*10, u32(5)}}, "(a loop)", "", false},
		{"broken chain", []patch{{int64(b.fsOff) + 32*512 + 4*4, u32(0)}}, "marked free", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := inspectFile(t, b.path, tc.patches...)
			if r.Bootable != tc.bootable {
				t.Errorf("Bootable = %v, want %v", r.Bootable, tc.bootable)
			}
			if !has(r.Faults, tc.fault) || tc.fault == "" && len(r.Faults) > 0 {
				t.Errorf("want fault %q in\n%s", tc.fault, r.Text())
			}
			if !has(r.Warnings, tc.warning) {
				t.Errorf("want warning %q in\n%s", tc.warning, r.Text())
			}
		})
	}
}

func has(list []string, sub string) bool {
	if sub == "" {
		return true
	}
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestConfigVariants(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string][]byte
		path     string
		boots    string
		fault    string
		bootable bool
	}{
		{"CRLF", map[string][]byte{"SYSLINUX.CFG": []byte(strings.ReplaceAll(esxi41Cfg, "\n", "\r\n"))}, "/syslinux.cfg", "label 1", "CR bytes", false},
		{"lookup order", map[string][]byte{
			"SYSLINUX/SYSLINUX.CFG": []byte("default esx\nlabel esx\nkernel mboot.c32\nappend vmkboot.gz --- vmkernel.gz\n"),
			"SYSLINUX/MBOOT.C32":    []byte("m"), "SYSLINUX/VMKBOOT.GZ": []byte("k"), "SYSLINUX/VMKERNEL.GZ": []byte("v"),
		}, "/syslinux/syslinux.cfg", "label esx", "", true},
		{"menu", map[string][]byte{"SYSLINUX.CFG": []byte("default menu.c32\ntimeout 80\nlabel ESXi Installer\nmenu label ^ESXi Installer\nkernel mboot.c32\nappend vmkboot.gz --- vmkernel.gz --- sys.vgz --- cim.vgz --- ienviron.vgz --- install.vgz\nlabel hdd\nlocalboot 0x80\n"),
			"MENU.C32": []byte("menu")}, "/syslinux.cfg", "menu.c32 → menu → label ESXi Installer", "", true},
		{"localboot default", map[string][]byte{"SYSLINUX.CFG": []byte("default 0\nlabel 0\nlocalboot 0x80\n")}, "/syslinux.cfg", "label 0", "", false},
		{"no default", map[string][]byte{"SYSLINUX.CFG": []byte("label 1\nkernel mboot.c32\n")}, "/syslinux.cfg", "", "has no default", false},
		{"esxi5 boot.cfg", map[string][]byte{
			"SYSLINUX.CFG": []byte("DEFAULT install\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg -p 1 ks=usb:/KS.CFG\n"),
			"BOOT.CFG":     []byte("bootstate=0\ntitle=Loading ESXi installer\nkernel=/b.b00\nkernelopt=runweasel\nmodules=/jumpstrt.gz --- /s.v00\n"),
			"B.B00":        []byte("b"), "JUMPSTRT.GZ": []byte("j"), "S.V00": []byte("s"),
		}, "/syslinux.cfg", "label install", "", true},
		{"esxi5 missing module", map[string][]byte{
			"SYSLINUX.CFG": []byte("DEFAULT install\nLABEL install\n  KERNEL mboot.c32\n  APPEND -c boot.cfg\n"),
			"BOOT.CFG":     []byte("kernel=/b.b00\nmodules=/jumpstrt.gz --- /s.v00\n"),
			"B.B00":        []byte("b"), "JUMPSTRT.GZ": []byte("j"),
		}, "/syslinux.cfg", "label install", "/BOOT.CFG line 2: module /s.v00 is not on the disk", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := esxi41Files("")
			delete(files, "SYSLINUX.CFG")
			for k, v := range tc.files {
				files[k] = v
			}
			b := buildImage(t, imgSpec{fat: 16, start: 2048, sectors: 64 << 10, files: files})
			r := inspectFile(t, b.path)
			if r.Config.Path != tc.path || r.Config.Boots != tc.boots {
				t.Errorf("config %q boots %q, want %q, %q", r.Config.Path, r.Config.Boots, tc.path, tc.boots)
			}
			if r.Bootable != tc.bootable || !has(r.Faults, tc.fault) || tc.fault == "" && len(r.Faults) > 0 {
				t.Errorf("Bootable %v (want %v), want fault %q:\n%s", r.Bootable, tc.bootable, tc.fault, r.Text())
			}
		})
	}
}

func TestLongNamesAndFolders(t *testing.T) {
	files := esxi41Files(esxi41Cfg)
	files["EFI/BOOT/BOOTX64.EFI"] = bytes.Repeat([]byte("e"), 5000)
	files["open_source_licenses.txt"] = []byte("licenses")
	b := buildImage(t, imgSpec{fat: 32, start: 2048, sectors: 132 << 10, files: files})
	r := inspectFile(t, b.path)
	want := map[string]bool{"/EFI": true, "/EFI/BOOT": true, "/EFI/BOOT/BOOTX64.EFI": false, "/open_source_licenses.txt": false}
	for _, f := range r.Files {
		if dir, ok := want[f.Path]; ok {
			if f.Dir != dir {
				t.Errorf("%s: dir = %v", f.Path, f.Dir)
			}
			delete(want, f.Path)
		}
	}
	if len(want) > 0 {
		t.Errorf("not found: %v\n%s", want, r.Text())
	}
	if !r.Bootable {
		t.Errorf("not bootable:\n%s", r.Text())
	}
}

func TestNoPanicOnTinyInputs(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 1024} {
		r, err := Inspect(bytes.NewReader(make([]byte, n)), int64(n), Options{})
		if err != nil || r.Bootable || len(r.Faults) == 0 {
			t.Errorf("%d zero bytes: %v, %+v", n, err, r)
		}
	}
}

// TestSyslinux6Refused installs Debian's real syslinux (6.x) and expects
// the inspector to recognise and refuse its 4.x+ layout.
func TestSyslinux6Refused(t *testing.T) {
	testutil.Need(t, "mkfs.fat", "syslinux", "mcopy")
	path := t.TempDir() + "/disk.img"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const start, sectors = 2048, 64 << 10
	if err := f.Truncate((start + sectors) * 512); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, mtoolsEnv, "mkfs.fat", "-F", "16", "-h", "2048", "--offset=2048", path, "32768")
	testutil.Run(t, mtoolsEnv, "syslinux", "--offset", "1048576", "--install", path)
	cfg := t.TempDir() + "/SYSLINUX.CFG"
	if err := os.WriteFile(cfg, []byte("default x\nlabel x\nkernel x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, mtoolsEnv, "mcopy", "-i", path+"@@1048576", cfg, "::/SYSLINUX.CFG")
	writeMBR(t, f, start, sectors, 16, nil)
	r := inspectFile(t, path)
	if r.Bootable || r.Loader.Layout != "4.x+" || !has(r.Faults, "SYSLINUX 4.x or later") || !has(r.Faults, "LDLINUX.SYS is SYSLINUX ") {
		t.Errorf("want the 4.x+ layout refused:\n%s", r.Text())
	}
	if r.Loader.RAID == nil || *r.Loader.RAID {
		t.Errorf("RAID = %v, want the int 16h/int 19h pair found", r.Loader.RAID)
	}
}

func TestSkipHashes(t *testing.T) {
	b := buildImage(t, imgSpec{fat: 16, start: 2048, sectors: 64 << 10, files: esxi41Files(esxi41Cfg)})
	f, err := os.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r, err := Inspect(f, st.Size(), Options{SkipHashes: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Bootable || len(r.Files) == 0 {
		t.Fatalf("bootable %v, %d files:\n%s", r.Bootable, len(r.Files), r.Text())
	}
	for _, fr := range r.Files {
		if fr.SHA256 != "" {
			t.Errorf("%s hashed despite SkipHashes", fr.Path)
		}
	}
}
