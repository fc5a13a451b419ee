package fileerr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/fileerr"
)

func TestLocate(t *testing.T) {
	row := fileerr.At("line", 3, "id %q is bad", "x")
	for _, tt := range []struct {
		err        error
		text, file string
		n          int
	}{
		{fileerr.In("hosts.csv", row), `hosts.csv: line 3: id "x" is bad`, "hosts.csv", 3},
		{fileerr.In("hosts.csv", fmt.Errorf("host x: %w", row)), `hosts.csv: host x: line 3: id "x" is bad`, "hosts.csv", 3},
		{fileerr.In("hosts.csv", errors.New("empty")), "hosts.csv: empty", "hosts.csv", 0},
		{fileerr.Mark("ks.tmpl", 7, errors.New("template: ks.tmpl:7: bad")), "template: ks.tmpl:7: bad", "ks.tmpl", 7},
		{fmt.Errorf("wrapped: %w", fileerr.Mark("a", 2, errors.New("x"))), "wrapped: x", "a", 2},
	} {
		file, _, n, ok := fileerr.Locate(tt.err)
		if tt.err.Error() != tt.text || !ok || file != tt.file || n != tt.n {
			t.Errorf("%q: located %q %d %v; want %q at %s:%d", tt.err, file, n, ok, tt.text, tt.file, tt.n)
		}
	}
	if _, _, _, ok := fileerr.Locate(errors.New("plain")); ok {
		t.Error("a plain error is located")
	}
}
