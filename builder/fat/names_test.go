package fat

import (
	"math/bits"
	"strings"
	"testing"
)

func TestFit83(t *testing.T) {
	tests := []struct {
		name, want string // want "" = needs a long name
	}{
		{"mboot.c32", "MBOOT   C32"},
		{"LDLINUX.SYS", "LDLINUX SYS"},
		{"syslinux.cfg", "SYSLINUXCFG"},
		{"README", "README     "},
		{"a~1.b", "A~1     B  "},
		{"EFI", "EFI        "},
		{"x.tgz", "X       TGZ"},
		{"vmkernel1.gz", ""}, // base > 8
		{"boot.conf", ""},    // ext > 3
		{"a.b.c", ""},        // two dots
		{".hidden", ""},      // empty base
		{"has space", ""},
		{"plus+sign", ""},
		{"a.", ""},
		{"ſys", ""}, // upper-cases to ASCII "SYS": keep the long name
		{"é.txt", ""},
	}
	for _, tc := range tests {
		got, ok := fit83(tc.name)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("fit83(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

func TestGenerateShort(t *testing.T) {
	taken := map[string]bool{"VMKERN~1GZ ": true}
	tests := []struct{ name, want string }{
		{"vmkernel1.gz", "VMKERN~2GZ "},
		{"A Long File Name With Spaces.tgz", "ALONGF~1TGZ"},
		{"bootia32.efi.signed", "BOOTIA~1SIG"},
		{".hidden", "HIDDEN~1   "},
		{"é+x.config", "__X~1   CON"},
		{"...", "_~1        "},
	}
	for _, tc := range tests {
		got, err := generateShort(tc.name, taken)
		if err != nil || got != tc.want {
			t.Errorf("generateShort(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	// ~10 and beyond shorten the base
	for i := 1; i <= 9; i++ {
		s, _ := generateShort("longfilename.txt", taken)
		taken[s] = true
	}
	if s, _ := generateShort("longfilename.txt", taken); s != "LONGF~10TXT" {
		t.Errorf("tenth short name %q, want LONGF~10TXT", s)
	}
}

// TestLFNChecksum compares with the checksum written as a rotate.
func TestLFNChecksum(t *testing.T) {
	for _, short := range []string{"ALONGF~1TGZ", "LDLINUX SYS", "           ", "~~~~~~~~~~~"} {
		var want uint8
		for i := 0; i < 11; i++ {
			want = bits.RotateLeft8(want, -1) + short[i]
		}
		if got := lfnChecksum(short); got != want {
			t.Errorf("lfnChecksum(%q) = %#x, want %#x", short, got, want)
		}
	}
}

// TestLongNameEntries decodes the entries putLongName writes.
func TestLongNameEntries(t *testing.T) {
	for _, long := range []string{"a b", "exactly13char", "exactly13charX", strings.Repeat("ü", 40)} {
		b := make([]byte, 32*lfnSlots(long))
		n := putLongName(b, long, "ALONGF~1TGZ")
		if n != len(b) {
			t.Fatalf("%q: %d bytes, want %d", long, n, len(b))
		}
		var units []uint16
		for k := len(b)/32 - 1; k >= 0; k-- { // last stored = first part
			e := b[k*32:]
			seq := len(b)/32 - k
			wantOrd := byte(seq)
			if k == 0 {
				wantOrd |= 0x40
			}
			if e[0] != wantOrd || e[0x0B] != 0x0F || e[0x0D] != lfnChecksum("ALONGF~1TGZ") || e[0x1A] != 0 {
				t.Fatalf("%q entry %d: ord %#x attr %#x sum %#x", long, k, e[0], e[0x0B], e[0x0D])
			}
			for _, off := range []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
				units = append(units, uint16(e[off])|uint16(e[off+1])<<8)
			}
		}
		got := []rune{}
		for i, u := range units {
			if u == 0 {
				for _, rest := range units[i+1:] {
					if rest != 0xFFFF {
						t.Fatalf("%q: padding %#x after the terminator", long, rest)
					}
				}
				break
			}
			got = append(got, rune(u))
		}
		if string(got) != long {
			t.Errorf("decoded %q, want %q", string(got), long)
		}
	}
}

func TestCheckLongName(t *testing.T) {
	bad := []string{"", ".", "..", "a:b", "a\\b", "a*", "tab\tname", "trailing.", "trailing ", strings.Repeat("x", 256)}
	for _, n := range bad {
		if checkLongName(n) == nil {
			t.Errorf("checkLongName(%q) = nil, want an error", n)
		}
	}
	for _, n := range []string{"a", "A Long File Name.tgz", strings.Repeat("x", 255), "über", "[x]"} {
		if err := checkLongName(n); err != nil {
			t.Errorf("checkLongName(%q) = %v", n, err)
		}
	}
}
