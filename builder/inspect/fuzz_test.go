package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzInspect feeds arbitrary bytes to Inspect: it must never panic, never
// fail on an in-memory reader, and never call a faulty image bootable.
func FuzzInspect(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 512))
	f.Add([]byte(tinyImage(f, false)))
	f.Add([]byte(tinyImage(f, true)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Inspect(bytes.NewReader(data), int64(len(data)), Options{})
		if err != nil {
			t.Fatalf("I/O error from an in-memory image: %v", err)
		}
		if r.Bootable && len(r.Faults) > 0 {
			t.Fatalf("bootable with faults: %q", r.Faults)
		}
		_ = r.Text()
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
	})
}

// standInMBR is not boot code: just the messages the recogniser looks
// for, so that no syslinux binary ends up in the repository's seeds.
var standInMBR = []byte("\xFA\xF4Missing operating system.\r\nMultiple active partitions.\r\nOperating system load error.\r\n")

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzInspect when
// INSPECT_WRITE_SEEDS=1: two small bootable images (bare FAT12, MBR+FAT12).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("INSPECT_WRITE_SEEDS") != "1" {
		t.Skip("set INSPECT_WRITE_SEEDS=1 to regenerate the fuzz seeds")
	}
	cfg := "default 1\nlabel 1\nkernel mboot.c32\nappend a.gz ks=usb --- b.gz\n"
	files := map[string][]byte{"SYSLINUX.CFG": []byte(cfg), "MBOOT.C32": []byte("m"), "A.GZ": []byte("a"), "B.GZ": []byte("b"), "KS.CFG": []byte("install usb\n")}
	dir := filepath.Join("testdata", "fuzz", "FuzzInspect")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, spec := range map[string]imgSpec{
		"bare-fat12": {fat: 12, bare: true, sectors: 100, files: files, sysSize: 1100},
		"mbr-fat12":  {fat: 12, start: 1, sectors: 100, files: files, sysSize: 1100, mbrCode: standInMBR},
	} {
		b := buildImage(t, spec)
		r := inspectFile(t, b.path)
		if !r.Bootable {
			t.Fatalf("%s: seed not bootable:\n%s", name, r.Text())
		}
		data, err := os.ReadFile(b.path)
		if err != nil {
			t.Fatal(err)
		}
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
