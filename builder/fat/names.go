package fat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxLongName is the VFAT limit on a long name, in UTF-16 code units.
const maxLongName = 255

// isShortChar reports whether c may appear in an upper-cased 8.3 name
// (fatgen103 "Directory Entry Name", restricted to printable ASCII).
func isShortChar(c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'()-@^_`{}~", c) >= 0
}

// fit83 returns name's 11-byte 8.3 form ("MBOOT   C32") when name is
// representable as 8.3 after upper-casing, so that it needs no long name.
func fit83(name string) (string, bool) {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return "", false // ToUpper maps some non-ASCII letters to ASCII
		}
	}
	up := strings.ToUpper(name)
	base, ext, dot := strings.Cut(up, ".")
	if len(base) < 1 || len(base) > 8 || len(ext) > 3 || (dot && ext == "") {
		return "", false
	}
	for i := 0; i < len(up); i++ {
		if up[i] != '.' && !isShortChar(up[i]) {
			return "", false
		}
	}
	if strings.Contains(ext, ".") {
		return "", false
	}
	return pad(base, 8) + pad(ext, 3), true
}

func pad(s string, n int) string { return s + strings.Repeat(" ", n-len(s)) }

// checkLongName rejects names that no FAT folder can hold: empty, "." or
// "..", characters VFAT forbids, a trailing dot or space (Windows strips
// them), or more than 255 UTF-16 code units.
func checkLongName(name string) error {
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("invalid name %q", name)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("name %q is not UTF-8", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7F || strings.ContainsRune(`"*/:<>?\|`, r) {
			return fmt.Errorf("name %q: character %q is not allowed on FAT", name, r)
		}
	}
	if strings.HasSuffix(name, ".") || strings.HasSuffix(name, " ") {
		return fmt.Errorf("name %q ends in a dot or space", name)
	}
	if n := len(utf16.Encode([]rune(name))); n > maxLongName {
		return fmt.Errorf("name %q is %d UTF-16 units long, FAT allows %d", name, n, maxLongName)
	}
	return nil
}

// lfnSlots is the number of 13-character long-name entries name needs.
func lfnSlots(name string) int {
	return (len(utf16.Encode([]rune(name))) + 12) / 13
}

// shortBasis derives the base (<= 8) and extension (<= 3) of a generated
// short name, as Windows does: upper-case, drop spaces and leading dots,
// split at the last dot, replace what 8.3 cannot hold with '_'.
func shortBasis(name string) (base, ext string) {
	up := strings.TrimLeft(strings.ReplaceAll(strings.ToUpper(name), " ", ""), ".")
	b, e := up, ""
	if i := strings.LastIndexByte(up, '.'); i >= 0 {
		b, e = up[:i], up[i+1:]
	}
	clean := func(s string, max int) string {
		var out []byte
		for _, r := range s {
			if len(out) == max {
				break
			}
			switch {
			case r == '.':
				continue // inner dots of the base vanish
			case r < utf8.RuneSelf && isShortChar(byte(r)):
				out = append(out, byte(r))
			default:
				out = append(out, '_')
			}
		}
		return string(out)
	}
	base, ext = clean(b, 8), clean(e, 3)
	if base == "" {
		base = "_"
	}
	return base, ext
}

// generateShort returns the first "BASE~N" 8.3 name not in taken
// (keys are 11-byte names), trying N = 1..999999.
func generateShort(name string, taken map[string]bool) (string, error) {
	base, ext := shortBasis(name)
	for n := 1; n <= 999999; n++ {
		tail := "~" + strconv.Itoa(n)
		b := base
		if len(b)+len(tail) > 8 {
			b = b[:8-len(tail)]
		}
		s := pad(b+tail, 8) + pad(ext, 3)
		if !taken[s] {
			return s, nil
		}
	}
	return "", fmt.Errorf("%s: no free short name", name)
}

// lfnChecksum is the checksum of an 11-byte short name stored in each of
// its long-name entries (fatgen103 ChkSum).
func lfnChecksum(short string) byte {
	var sum byte
	for i := 0; i < 11 && i < len(short); i++ {
		sum = (sum&1)<<7 + sum>>1 + short[i]
	}
	return sum
}

// displayShort turns "MBOOT   C32" into "MBOOT.C32", for messages.
func displayShort(short string) string {
	if len(short) != 11 {
		return short
	}
	b, e := strings.TrimRight(short[:8], " "), strings.TrimRight(short[8:], " ")
	if e == "" {
		return b
	}
	return b + "." + e
}
