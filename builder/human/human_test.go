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

func TestNearest(t *testing.T) {
	cmds := []string{"build", "check", "inspect", "media", "boot", "manifest", "demo", "completion", "version", "help"}
	flags := []string{"iso", "syslinux", "ks", "host", "output", "hosts", "id"}
	vars := []string{"hostname", "ip", "gateway", "id"}
	for _, c := range []struct {
		w     string
		known []string
		want  string
	}{
		{"biuld", cmds, "build"}, {"chek", cmds, "check"}, {"frobnicate", cmds, ""}, {"insp", cmds, "inspect"},
		{"b", cmds, ""}, {"bo", cmds, ""}, // too short to guess
		{"sylinux", flags, "syslinux"}, {"sys", flags, "syslinux"}, {"hots", flags, "host"}, {"ho", flags, ""},
		{"Hostname", vars, "hostname"}, {"hostnme", vars, "hostname"}, {"IP", vars, "ip"}, {"ipaddr", vars, ""}, {"dns", vars, ""},
	} {
		if got := Nearest(c.w, c.known); got != c.want {
			t.Errorf("Nearest(%q) = %q, want %q", c.w, got, c.want)
		}
	}
}
