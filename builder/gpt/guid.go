package gpt

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// GUID is a GUID as GPT stores it: the first three fields little-endian,
// the last two as written ("mixed endian", UEFI spec appendix A).
type GUID [16]byte

// ESPType is the partition type GUID of an EFI system partition.
var ESPType = MustParseGUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")

// ParseGUID reads the text form, e.g. "C12A7328-F81F-11D2-BA4B-00A0C93EC93B".
func ParseGUID(s string) (GUID, error) {
	var g GUID
	parts := strings.Split(s, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, fmt.Errorf("GUID %q: want the form XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX", s)
	}
	raw, err := hex.DecodeString(strings.Join(parts, ""))
	if err != nil {
		return g, fmt.Errorf("GUID %q: %w", s, err)
	}
	binary.LittleEndian.PutUint32(g[0:], binary.BigEndian.Uint32(raw[0:]))
	binary.LittleEndian.PutUint16(g[4:], binary.BigEndian.Uint16(raw[4:]))
	binary.LittleEndian.PutUint16(g[6:], binary.BigEndian.Uint16(raw[6:]))
	copy(g[8:], raw[8:])
	return g, nil
}

// MustParseGUID is ParseGUID for constants; it panics on a bad string.
func MustParseGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// String is the text form, upper case.
func (g GUID) String() string {
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X", binary.LittleEndian.Uint32(g[0:]), binary.LittleEndian.Uint16(g[4:]),
		binary.LittleEndian.Uint16(g[6:]), g[8:10], g[10:])
}

// MarshalText writes the text form (JSON).
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// IsZero reports an all-zero GUID (an unused entry's type).
func (g GUID) IsZero() bool { return g == GUID{} }

// DerivedGUID makes a GUID from 16 or more bytes of a hash: a version 4
// ("random") GUID whose random bits are the hash's, so the same inputs
// give the same GUID.
func DerivedGUID(sum []byte) GUID {
	var g GUID
	copy(g[:], sum)
	g[7] = g[7]&0x0F | 0x40 // version 4 (the high nibble of the third field, stored little-endian)
	g[8] = g[8]&0x3F | 0x80 // variant 10 (RFC 4122)
	return g
}
