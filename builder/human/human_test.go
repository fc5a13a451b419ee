package human

import (
	"math"
	"testing"
)

func TestCommas(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {33280, "33,280"},
		{72206398, "72,206,398"}, {-1234567, "-1,234,567"}, {-12, "-12"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	} {
		if got := Commas(c.n); got != c.want {
			t.Errorf("Commas(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Commas(uint32(4294967295)); got != "4,294,967,295" {
		t.Errorf("uint32: %q", got)
	}
	if got := Commas(uint64(math.MaxUint64)); got != "18,446,744,073,709,551,615" {
		t.Errorf("uint64: %q", got)
	}
}
