package mbr

import (
	"bytes"
	"testing"
)

func TestCHS(t *testing.T) {
	tests := []struct {
		lba  uint32
		want [3]byte
	}{
		{0, [3]byte{0, 1, 0}},
		{62, [3]byte{0, 63, 0}},
		{63, [3]byte{1, 1, 0}},
		{2048, [3]byte{32, 33, 0}},             // 2048 = 0*16065 + 32*63 + 32
		{16065, [3]byte{0, 1, 1}},              // cylinder 1
		{16065 * 256, [3]byte{0, 1 | 0x40, 0}}, // cylinder 256: bit 8 goes to sector's bit 6
		{16065*1024 - 1, [3]byte{254, 63 | 0xC0, 0xFF}},
		{16065 * 1024, [3]byte{0xFE, 0xFF, 0xFF}},
	}
	for _, tt := range tests {
		if got := CHS(tt.lba); got != tt.want {
			t.Errorf("CHS(%d) = % X, want % X", tt.lba, got, tt.want)
		}
	}
}

func TestSectorBytes(t *testing.T) {
	var s Sector
	code := bytes.Repeat([]byte{0xAB}, 404)
	if err := s.SetBootCode(code); err != nil {
		t.Fatal(err)
	}
	s.DiskSignature = 0x11223344
	s.Entries[0] = NewEntry(StatusActive, TypeFAT16LBA, 2048, 63*1000)
	b := s.Bytes()
	want := map[int]byte{
		0: 0xAB, 403: 0xAB, 404: 0, 439: 0,
		0x1B8: 0x44, 0x1B9: 0x33, 0x1BA: 0x22, 0x1BB: 0x11,
		0x1BE: 0x80, 0x1BF: 32, 0x1C0: 33, 0x1C1: 0, 0x1C2: 0x0E,
		0x1C6: 0x00, 0x1C7: 0x08, 0x1C8: 0, 0x1C9: 0, // start 2048
		0x1CA: 0x18, 0x1CB: 0xF6, 0x1CC: 0, 0x1CD: 0, // 63000 = 0xF618
		0x1CE: 0, 0x1FE: 0x55, 0x1FF: 0xAA,
	}
	for off, v := range want {
		if b[off] != v {
			t.Errorf("byte 0x%03X = 0x%02X, want 0x%02X", off, b[off], v)
		}
	}
	back, ok := Parse(b)
	if !ok || back != s {
		t.Errorf("Parse(Bytes()) = %+v, %v; want %+v", back.Entries[0], ok, s.Entries[0])
	}
	if err := s.SetBootCode(make([]byte, 441)); err == nil {
		t.Error("441 bytes of boot code accepted")
	}
}
