package bootcfg_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// TestAvoidWholeSectors: a text of whole 512-byte sectors gets one more
// line end (mboot skips the empty line); any other length is kept, and
// the host-edit checks accept both.
func TestAvoidWholeSectors(t *testing.T) {
	for _, tc := range []struct {
		n    int
		crlf bool
		want int
	}{{0, false, 0}, {511, false, 511}, {512, false, 513}, {513, false, 513}, {1024, false, 1025}, {1024, true, 1026}, {1536, false, 1537}} {
		text := []byte(strings.Repeat("#", max(tc.n-1, 0)) + "\n")[:tc.n]
		if tc.crlf {
			text = append([]byte(strings.Repeat("#", tc.n-2)), "\r\n"...)
		}
		got := bootcfg.AvoidWholeSectors(text)
		if len(got) != tc.want || !bytes.HasPrefix(got, text) {
			t.Errorf("%d bytes (CRLF %v): got %d bytes, want %d starting with the text", tc.n, tc.crlf, len(got), tc.want)
		}
		if bootcfg.WholeSectors(int64(len(got))) {
			t.Errorf("%d bytes: the result still fills whole sectors", tc.n)
		}
	}

	// A ks= URL that makes the host's BOOT.CFG exactly 1,024 bytes.
	orig := []byte(cfg70 + "# " + strings.Repeat("x", 600) + "\n")
	f, err := bootcfg.Parse(orig)
	if err != nil {
		t.Fatal(err)
	}
	base, err := bootcfg.HostEdit(f, []bootcfg.Opt{{Key: "ks", Value: "http://h/"}})
	if err != nil {
		t.Fatal(err)
	}
	ks := "http://h/" + strings.Repeat("k", 1024-len(base.Bytes()))
	e, err := bootcfg.HostEdit(f, []bootcfg.Opt{{Key: "ks", Value: ks}})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Bytes()) != 1024 {
		t.Fatalf("host edit is %d bytes, want 1024 for the test", len(e.Bytes()))
	}
	padded := bootcfg.AvoidWholeSectors(e.Bytes())
	if !bootcfg.IsHostEdit(orig, padded) || !bootcfg.IsHostEdit(orig, e.Bytes()) {
		t.Errorf("IsHostEdit refuses the padded (%v) or the plain (%v) host edit", bootcfg.IsHostEdit(orig, padded), bootcfg.IsHostEdit(orig, e.Bytes()))
	}
	if _, ok := bootcfg.HostEditModules(orig, padded); !ok {
		t.Errorf("HostEditModules refuses the padded host edit")
	}
	if bootcfg.IsHostEdit(orig, append(padded, '\n')) {
		t.Errorf("IsHostEdit accepts two added line ends")
	}
}
