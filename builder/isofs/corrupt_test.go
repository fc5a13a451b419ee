package isofs

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/kdomanski/iso9660"
)

// image returns the bytes of a small generated image.
func image(t testing.TB, s isogen.Spec) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.iso")
	if err := isogen.Write(p, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// small is a spec with few files and two that tests rename into each other.
func small(rr bool) isogen.Spec {
	return isogen.Spec{RockRidge: rr, Omit: []string{"sys.vgz", "cim.vgz", "imagedd.bz2", "imagedd.md5", "open_source_licenses.txt", "cimstg.tgz", "tboot.gz", "a.z", "boot.cat"},
		Files: map[string][]byte{"dup1.bin": []byte("one"), "dup2.bin": []byte("two"), "EFI/BOOT/BOOTX64.EFI": []byte("efi")}}
}

// recordOf returns the offset of the directory record whose identifier is id.
func recordOf(t *testing.T, img []byte, id string) int {
	t.Helper()
	for from := 0; ; {
		i := bytes.Index(img[from:], []byte(id))
		if i < 0 {
			t.Fatalf("record %q not found", id)
		}
		i += from
		if i >= 33 && int(img[i-1]) == len(id) && img[i-33] >= 34 {
			return i - 33
		}
		from = i + 1
	}
}

func put32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

func TestCorrupt(t *testing.T) {
	rootExt := func(img []byte) uint32 { return binary.LittleEndian.Uint32(img[16*2048+156+2:]) }
	for _, tc := range []struct {
		name string
		rr   bool // Rock Ridge image (with "joliet" in the name: a Joliet image)
		edit func(t *testing.T, img []byte) []byte
		want string // "" = must open
	}{
		{"truncated", false, func(t *testing.T, b []byte) []byte { return b[:len(b)-3000] }, "lies beyond the end of the image"},
		{"root record length", false, func(t *testing.T, b []byte) []byte { b[16*2048+156] = 40; return b }, "root directory record has length 40"},
		{"no terminator", false, func(t *testing.T, b []byte) []byte { copy(b[17*2048+1:], "XXXXX"); return b }, "sector 17 lacks CD001"},
		{"short record", false, func(t *testing.T, b []byte) []byte { b[recordOf(t, b, "DUP1.BIN;1")] = 20; return b }, "directory record of 20 bytes"},
		{"identifier too long", false, func(t *testing.T, b []byte) []byte { b[recordOf(t, b, "DUP1.BIN;1")+32] = 200; return b }, "identifier of 200 bytes"},
		{"byte orders", false, func(t *testing.T, b []byte) []byte { b[recordOf(t, b, "DUP1.BIN;1")+2]++; return b }, "mismatch"},
		{"duplicate", false, func(t *testing.T, b []byte) []byte { copy(b[recordOf(t, b, "DUP2.BIN;1")+33:], "DUP1"); return b }, `"DUP1.BIN" appears twice`},
		{"case duplicate", true, func(t *testing.T, b []byte) []byte {
			i := bytes.Index(b, []byte("NM\x0d\x01\x00dup2.bin"))
			copy(b[i+5:], "DUP1")
			return b
		}, `"dup1.bin" and "DUP1.bin" differ only in case`},
		{"multi-extent", false, func(t *testing.T, b []byte) []byte { b[recordOf(t, b, "DUP1.BIN;1")+25] |= 0x80; return b }, "DUP1.BIN: stored as several extents"},
		{"interleaved", false, func(t *testing.T, b []byte) []byte { b[recordOf(t, b, "DUP1.BIN;1")+26] = 1; return b }, "interleaved"},
		{"loop", false, func(t *testing.T, b []byte) []byte {
			put32(b[recordOf(t, b, "EFI")+2:], rootExt(b))
			return b
		}, "folder /EFI/: corrupt ISO9660 image: it loops back"},
		{"empty folder extent", false, func(t *testing.T, b []byte) []byte { put32(b[recordOf(t, b, "EFI")+10:], 0); return b }, "folder /EFI/: corrupt ISO9660 image: folder extent is empty"},
		{"negative extent", false, func(t *testing.T, b []byte) []byte { put32(b[recordOf(t, b, "DUP1.BIN;1")+2:], 0x80000000); return b }, "extent at sector -2147483648"},
		{"slash in name", true, func(t *testing.T, b []byte) []byte {
			i := bytes.Index(b, []byte("NM\x0d\x01\x00dup2.bin"))
			b[i+8] = '/'
			return b
		}, `bad file name "dup/.bin"`},
		{"CE out of bounds", true, func(t *testing.T, b []byte) []byte {
			i := bytes.Index(b, []byte("CE\x1c\x01"))
			put32(b[i+4:], 0x7FFFFFFF)
			return b
		}, "CE area of"},
		{"joliet odd identifier", false, func(t *testing.T, b []byte) []byte {
			id := []byte("\x00d\x00u\x00p\x002\x00.\x00b\x00i\x00n\x00;\x001")
			b[recordOf(t, b, string(id))+32]--
			return b
		}, "Joliet identifier of odd length 19"},
		{"SUSP entry of length 0", true, func(t *testing.T, b []byte) []byte {
			i := bytes.Index(b, []byte("NM\x0d\x01\x00dup2.bin"))
			b[i+2] = 0
			return b
		}, ""}, // the name falls back to the ISO9660 identifier
		{"NM without flags byte", true, func(t *testing.T, b []byte) []byte {
			i := bytes.Index(b, []byte("NM\x0d\x01\x00dup2.bin"))
			b[i+2] = 4
			return b
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := small(tc.rr)
			s.Joliet = strings.Contains(tc.name, "joliet")
			img := tc.edit(t, image(t, s))
			im, err := read(bytes.NewReader(img), int64(len(img)), "bad.iso")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := im.Lookup("dup2.bin"); !ok {
					t.Errorf("dup2.bin missing: %v", im.Files())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bad.iso: ") {
				t.Fatalf("err = %v\nwant bad.iso: ...%q", err, tc.want)
			}
		})
	}
}

func TestRecordBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		off  int
		rec  []byte // record bytes placed at off
		want string
	}{
		{"crosses sector", 2000, []byte{60, 0}, "crosses a sector boundary"},
		{"past the extent", 4096 - 40, []byte{60}, "crosses a sector boundary"},
		{"short", 0, []byte{33}, "directory record of 33 bytes"},
		{"no identifier", 0, append([]byte{34}, make([]byte, 33)...), "identifier of 0 bytes"},
		{"identifier past record", 0, append(append([]byte{34}, make([]byte, 31)...), 2), "identifier of 2 bytes in a 34-byte record"},
	} {
		buf := make([]byte, 4096)
		copy(buf[tc.off:], tc.rec)
		if _, _, err := record(buf, tc.off); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestMaxEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,001 records")
	}
	files := map[string][]byte{}
	for i := range MaxEntries - 17 { // the 4.1 set has 18 files
		files[strings.Repeat("d/", i%3)+"f"+strconv.Itoa(i)] = nil
	}
	p := filepath.Join(t.TempDir(), "many.iso")
	if err := isogen.Write(p, isogen.Spec{Files: files}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "more than 100000 files and folders") {
		t.Fatalf("err = %v", err)
	}
}

// TestLibraryWalkerPanics documents why Open does not use kdomanski's tree
// walker: a folder it cannot read makes GetChildren panic (it sizes a slice
// as len(children)-2), where Open returns an error.
func TestLibraryWalkerPanics(t *testing.T) {
	img := image(t, small(false))
	put32(img[recordOf(t, img, "EFI")+2:], 0x7FFF0000) // EFI/ points past the end
	lib, err := iso9660.OpenImage(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := lib.RootDir()
	kids, _ := root.GetChildren()
	panicked := false
	for _, k := range kids {
		if k.IsDir() {
			func() {
				defer func() { panicked = recover() != nil }()
				k.GetChildren()
			}()
		}
	}
	if !panicked {
		t.Log("kdomanski GetChildren no longer panics on an unreadable folder")
	}
	if _, err := read(bytes.NewReader(img), int64(len(img)), "bad.iso"); err == nil || !strings.Contains(err.Error(), "folder /EFI/") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzRead: no input may panic or loop; what opens must read back.
// Inputs are images without their 32 KiB system area (zeros), which
// keeps them small enough for the fuzzer.
func FuzzRead(f *testing.F) {
	tiny := func(rr, joliet bool) []byte {
		s := isogen.Spec{RockRidge: rr, Joliet: joliet, Files: map[string][]byte{"a/b.txt": []byte("ab"), "isolinux.cfg": []byte("x"), "c": nil}}
		for _, x := range isogen.Stock("") {
			if x != "isolinux.cfg" {
				s.Omit = append(s.Omit, x)
			}
		}
		return image(f, s)[16*sectorSize:]
	}
	f.Add(tiny(false, false))
	f.Add(tiny(true, false))
	f.Add(tiny(false, true))
	f.Fuzz(func(t *testing.T, b []byte) {
		b = append(make([]byte, 16*sectorSize), b...)
		im, err := read(bytes.NewReader(b), int64(len(b)), "fuzz.iso")
		if err != nil {
			return
		}
		for _, file := range im.Files() {
			sr, err := im.Section(file.Path)
			if err != nil {
				t.Fatalf("%s listed but Section fails: %v", file.Path, err)
			}
			if n, err := io.Copy(io.Discard, sr); err != nil || n != file.Size {
				t.Fatalf("%s: read %d of %d bytes: %v", file.Path, n, file.Size, err)
			}
		}
	})
}

// TestSUSPBounds: Rock Ridge names are at most 255 bytes however many NM
// entries and continuation areas carry them, and the continuation areas
// read for a whole image are bounded, so that records sharing one long
// chain cannot make the walk quadratic (10,000 records once took 44 s and
// 2.5 GB in the library's name concatenation).
func TestSUSPBounds(t *testing.T) {
	const area = 2048 // the continuation area, one sector in
	entry := func(typ string, body []byte) []byte {
		return append([]byte{typ[0], typ[1], byte(4 + len(body)), 1}, body...)
	}
	ce := func(at, length uint32) []byte {
		b := make([]byte, 24)
		put32(b[0:], at/2048)
		put32(b[8:], at%2048)
		put32(b[16:], length)
		return entry("CE", b)
	}
	nm := func(n int) []byte { return entry("NM", append([]byte{1}, bytes.Repeat([]byte{'a'}, n)...)) } // flags: CONTINUE

	for _, tc := range []struct {
		name    string
		su      []byte // the record's System Use area
		cont    []byte // the continuation area's bytes
		records int    // records sharing them
		want    string
	}{
		{"NM entries over 255 in the record", append(nm(200), nm(60)...), nil, 1, "Rock Ridge name longer than 255 bytes"},
		{"NM continued in a CE area", append(nm(200), ce(area, 70)...), nm(60), 1, "Rock Ridge name longer than 255 bytes"},
		{"a chain shared by many records", ce(area, maxCEArea), make([]byte, maxCEArea), maxCETotal/maxCEArea + 1, "continuation areas total more than"},
		{"a chain that loops", ce(area, 28), ce(area, 28), 1, "more than 16 SUSP continuation areas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := make([]byte, area+maxCEArea)
			copy(img[area:], tc.cont)
			w := &walker{ra: bytes.NewReader(img), size: int64(len(img))}
			var err error
			for range tc.records {
				if _, err = w.splitSUSP(tc.su); err != nil {
					break
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// 255 bytes exactly is a name.
	w := &walker{ra: bytes.NewReader(nil)}
	su, err := w.splitSUSP(append(nm(200), nm(55)...))
	if err != nil || len(su.GetRockRidgeName()) != 255 {
		t.Fatalf("a 255-byte name: %d bytes, %v", len(su.GetRockRidgeName()), err)
	}
}
