package gpt_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	dgpt "github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/esxi-autopart/esxi-autopart/builder/gpt"
	"github.com/esxi-autopart/esxi-autopart/builder/mbr"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

const diskSectors = 8192 // 4 MiB

var (
	diskGUID = gpt.MustParseGUID("6E1C9A3B-0F4D-4A2E-9C7B-1D2E3F405162")
	partGUID = gpt.MustParseGUID("0A1B2C3D-4E5F-4061-8273-8495A6B7C8D9")
)

// espTable is one ESP from LBA 2048 to the last usable LBA but 63.
func espTable() gpt.Table {
	e := gpt.Entry{Type: gpt.ESPType, Unique: partGUID, FirstLBA: 2048, LastLBA: 2048 + 63*90 - 1, Attributes: gpt.AttrLegacyBIOSBootable}
	e.SetName("EFI system partition")
	return gpt.Table{DiskGUID: diskGUID, Entries: []gpt.Entry{e}}
}

// writeDisk lays t out in a sparse file with a protective MBR and returns
// its path.
func writeDisk(t *testing.T, tab gpt.Table) string {
	t.Helper()
	enc, err := tab.Encode(diskSectors)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(diskSectors * 512); err != nil {
		t.Fatal(err)
	}
	s := mbr.Sector{DiskSignature: 0x12345678}
	s.Entries[0] = gpt.ProtectiveEntry(diskSectors)
	sec := s.Bytes()
	for _, w := range []struct {
		b   []byte
		off int64
	}{{sec[:], 0}, {enc.Primary, 512}, {enc.Backup, (diskSectors - gpt.TableSectors) * 512}} {
		if _, err := f.WriteAt(w.b, w.off); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestGUIDText(t *testing.T) {
	tests := []struct {
		text string
		disk []byte // as stored
	}{
		{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", []byte{0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B}},
		{"00000000-0000-0000-0000-000000000000", make([]byte, 16)},
	}
	for _, tc := range tests {
		g, err := gpt.ParseGUID(tc.text)
		if err != nil || !bytes.Equal(g[:], tc.disk) || g.String() != tc.text {
			t.Errorf("%s: % X %q %v", tc.text, g[:], g.String(), err)
		}
	}
	for _, bad := range []string{"", "C12A7328F81F11D2BA4B00A0C93EC93B", "C12A7328-F81F-11D2-BA4B-00A0C93EC93", "G12A7328-F81F-11D2-BA4B-00A0C93EC93B"} {
		if _, err := gpt.ParseGUID(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	g := gpt.DerivedGUID(bytes.Repeat([]byte{0xFF}, 16))
	if s := g.String(); s[14] != '4' || !strings.ContainsRune("89AB", rune(s[19])) {
		t.Errorf("derived GUID %s: not version 4, variant 10", s)
	}
}

// TestEncodeOracles: sgdisk -v, sfdisk --verify and go-diskfs read the
// table we encode, with our GUIDs, range, attributes and name.
func TestEncodeOracles(t *testing.T) {
	p := writeDisk(t, espTable())
	testutil.Need(t, "sgdisk", "sfdisk")
	out := testutil.Run(t, nil, "sgdisk", "-v", p)
	if !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	out = testutil.Run(t, nil, "sgdisk", "-i", "1", p)
	for _, want := range []string{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B (EFI system partition)", "Partition unique GUID: " + partGUID.String(),
		"First sector: 2048", "Last sector: 7717", "Attribute flags: 0000000000000004", "Partition name: 'EFI system partition'"} {
		if !strings.Contains(out, want) {
			t.Errorf("sgdisk -i 1: no %q:\n%s", want, out)
		}
	}
	if out := testutil.Run(t, nil, "sfdisk", "--verify", p); !strings.Contains(out, "No errors detected.") {
		t.Errorf("sfdisk --verify:\n%s", out)
	}
	if out := strings.Join(strings.Fields(testutil.Run(t, nil, "sfdisk", "--dump", p)), " "); !strings.Contains(out, "label-id: "+diskGUID.String()) ||
		!strings.Contains(out, "start= 2048, size= 5670, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid="+partGUID.String()+", name=\"EFI system partition\", attrs=\"LegacyBIOSBootable\"") {
		t.Errorf("sfdisk --dump:\n%s", out)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gt, err := dgpt.Read(file.New(f, true), 512, 512)
	if err != nil {
		t.Fatal(err)
	}
	if len(gt.Partitions) == 0 {
		t.Fatalf("go-diskfs reads no partitions: %+v", gt)
	}
	e := gt.Partitions[0]
	if !strings.EqualFold(string(e.Type), gpt.ESPType.String()) || !strings.EqualFold(e.GUID, partGUID.String()) || e.Start != 2048 || e.End != 7717 ||
		e.Name != "EFI system partition" || !strings.EqualFold(gt.GUID, diskGUID.String()) {
		t.Errorf("go-diskfs reads %+v (disk %s)", e, gt.GUID)
	}
}

// TestRead: what Read finds in a sound table and in damaged ones.
func TestRead(t *testing.T) {
	le := binary.LittleEndian
	backupHeader := int64(diskSectors-1) * 512
	tests := []struct {
		name  string
		tab   func(*gpt.Table)
		patch func(b []byte) // the whole disk
		want  []string       // substrings of Problems, in order; none for a sound table
		parts int
	}{
		{name: "sound", parts: 1},
		{name: "primary header CRC", patch: func(b []byte) { b[512+0x10] ^= 1 }, want: []string{"primary header (LBA 1): CRC32"}, parts: 1},
		{name: "primary array byte", patch: func(b []byte) { b[1024+0x20] ^= 1 }, want: []string{"primary entry array (LBA 2): CRC32"}, parts: 1},
		{name: "backup missing", patch: func(b []byte) { copy(b[backupHeader:], make([]byte, 8)) }, want: []string{`backup header: no "EFI PART" signature at LBA 8191`}, parts: 1},
		{name: "backup header CRC", patch: func(b []byte) { b[backupHeader+0x38] ^= 1 }, want: []string{"backup header (LBA 8191): CRC32"}, parts: 1},
		{name: "alternate LBA wrong", patch: func(b []byte) {
			le.PutUint64(b[512+0x20:], 9000)
			reseal(b[512:1024])
		}, want: []string{"alternate LBA 9000, but the disk's last LBA is 8191"}, parts: 1},
		{name: "overlap", tab: func(tb *gpt.Table) {
			e := tb.Entries[0]
			e.Unique[0]++
			e.FirstLBA, e.LastLBA = 4000, 7000
			tb.Entries = append(tb.Entries, gpt.Entry{})
			tb.Entries[1] = e
		}, parts: 2},
		{name: "same unique GUID", tab: func(tb *gpt.Table) {
			e := tb.Entries[0]
			e.FirstLBA, e.LastLBA = 8000, 8100
			tb.Entries = append(tb.Entries, e)
		}, want: []string{"partitions 1 and 2 have the same unique GUID"}, parts: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := espTable()
			if tc.tab != nil {
				tc.tab(&tab)
			}
			if tc.name == "overlap" {
				if _, err := tab.Encode(diskSectors); err == nil || !strings.Contains(err.Error(), "partitions 1 and 2 overlap") {
					t.Fatalf("Encode of overlapping partitions: %v", err)
				}
				return
			}
			p := writeDisk(t, tab)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if tc.patch != nil {
				tc.patch(b)
			}
			d, err := gpt.Read(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Problems) != len(tc.want) {
				t.Fatalf("problems %q, want %q", d.Problems, tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(d.Problems[i], w) {
					t.Errorf("problem %d: %q, want %q", i, d.Problems[i], w)
				}
			}
			if got := d.Partitions(); len(got) != tc.parts || got[0].Unique != partGUID || got[0].NameString() != "EFI system partition" {
				t.Errorf("partitions %+v", got)
			}
		})
	}
	if _, err := gpt.Read(bytes.NewReader(make([]byte, 1<<20)), 1<<20); !errors.Is(err, gpt.ErrNoGPT) {
		t.Errorf("a zero disk: %v", err)
	}
}

// reseal recomputes the CRC of the header in sector b.
func reseal(b []byte) {
	sum, _ := gpt.HeaderCRC(b)
	binary.LittleEndian.PutUint32(b[0x10:], sum)
}

func TestProtectiveEntry(t *testing.T) {
	for _, tc := range []struct {
		sectors uint64
		n       uint32
	}{{diskSectors, diskSectors - 1}, {1 << 33, 0xFFFFFFFF}} {
		e := gpt.ProtectiveEntry(tc.sectors)
		if e.Status != 0 || e.Type != 0xEE || e.StartLBA != 1 || e.Sectors != tc.n || e.FirstCHS != [3]byte{0, 2, 0} {
			t.Errorf("%d sectors: %+v", tc.sectors, e)
		}
	}
}
