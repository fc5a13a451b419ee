package batch

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		in, index, count string
		want             Shard
		err              string
	}{
		{in: "2/4", want: Shard{2, 4}},
		{in: "1/1", want: Shard{1, 1}},
		{in: "0/4", err: "want 1 <= K <= N"},
		{in: "5/4", err: "want 1 <= K <= N"},
		{in: "1/0", err: "want 1 <= K <= N"},
		{in: "2-4", err: "want K/N (e.g. 2/4) or auto"},
		{in: "a/4", err: "want K/N"},
		{in: "auto", index: "2", count: "4", want: Shard{3, 4}},
		{in: "auto", index: "0", err: "looked for JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) and JOB_COMPLETIONS (set it to the Job's completions); JOB_COMPLETIONS is not set"},
		{in: "auto", err: "JOB_COMPLETION_INDEX is not set, JOB_COMPLETIONS is not set"},
		{in: "auto", index: "x", count: "4", err: "must be numbers"},
		{in: "auto", index: "4", count: "4", err: "want 1 <= K <= N"},
	} {
		env[EnvIndex], env[EnvCount] = tc.index, tc.count
		got, err := ParseShard(tc.in, getenv)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShard(%q) with %q/%q: %v, want %q", tc.in, tc.index, tc.count, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestShardStable: every host is in exactly one shard, the shards are
// about even, and adding or removing a host moves no other host.
func TestShardStable(t *testing.T) {
	assign := func(ids []string, n int) map[string]int {
		out := map[string]int{}
		for _, id := range ids {
			for k := 1; k <= n; k++ {
				if (Shard{k, n}).Has(id) {
					if _, twice := out[id]; twice {
						t.Fatalf("%s in two shards", id)
					}
					out[id] = k
				}
			}
			if _, ok := out[id]; !ok {
				t.Fatalf("%s in no shard", id)
			}
		}
		return out
	}
	var ids []string
	for i := 0; i < 400; i++ {
		ids = append(ids, fmt.Sprintf("esx%03d", i))
	}
	before := assign(ids, 4)
	count := map[int]int{}
	for _, k := range before {
		count[k]++
	}
	for k := 1; k <= 4; k++ {
		if count[k] < 70 || count[k] > 130 {
			t.Errorf("shard %d has %d of 400 hosts", k, count[k])
		}
	}
	after := assign(append(ids[1:], "esx-new"), 4)
	for id, k := range after {
		if id != "esx-new" && before[id] != k {
			t.Errorf("%s moved from shard %d to %d", id, before[id], k)
		}
	}
}

// TestMerge: shards merge into the inventory's order; mixed inputs, a host
// twice, a missing host or shard, and failed hosts are refused.
func TestMerge(t *testing.T) {
	inv := []string{"a", "b", "c", "d"}
	shard := func(s string, hosts ...string) *Manifest {
		m := &Manifest{Tool: "esxi-autopart", Version: "v1", Epoch: "2020-01-01T00:00:00Z", Layout: "esxi-7.0", Syslinux: "3.86",
			Inputs: []InputFile{{Role: "iso", Path: "/runner" + s + "/esxi.iso", Bytes: 10, SHA256: "aa"}}, Shard: s, Inventory: inv}
		for _, h := range hosts {
			m.Hosts = append(m.Hosts, ManifestHost{ID: h, Image: h + ".img", SHA256: "sum-" + h})
		}
		return m
	}
	dirs := []string{"s1", "s2"}
	m, err := Merge([]*Manifest{shard("1/2", "b", "d"), shard("2/2", "c", "a")}, dirs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range m.Hosts {
		got = append(got, h.ID)
	}
	if strings.Join(got, ",") != "a,b,c,d" || m.Shard != "" {
		t.Errorf("merged hosts %v, shard %q", got, m.Shard)
	}
	mixed := shard("2/2", "c", "a")
	mixed.Inputs[0].SHA256 = "bb"
	failed := shard("2/2", "c", "a")
	failed.Hosts[1] = ManifestHost{ID: "a", Error: "disk full"}
	later := shard("2/2", "c", "a")
	later.Version = "v2"
	for _, tc := range []struct {
		name string
		ms   []*Manifest
		err  string
	}{
		{"mixed inputs", []*Manifest{shard("1/2", "b", "d"), mixed}, "s1 and s2 differ in inputs: iso=aa(10) vs iso=bb(10)"},
		{"another version", []*Manifest{shard("1/2", "b", "d"), later}, "s1 and s2 differ in tool version: v1 vs v2"},
		{"a host twice", []*Manifest{shard("1/2", "b", "d", "a"), shard("2/2", "c", "a")}, "host a is in s1 and in s2"},
		{"a host missing", []*Manifest{shard("1/2", "b", "d"), shard("2/2", "c")}, "1 host(s) of the inventory built by no shard: a"},
		{"a shard missing", []*Manifest{shard("1/3", "b", "d"), shard("2/3", "c", "a")}, "shard 3/3 missing (2 of 3 given)"},
		{"a shard twice", []*Manifest{shard("1/2", "b"), shard("1/2", "d")}, "s1 and s2 are both shard 1/2"},
		{"shard counts differ", []*Manifest{shard("1/2", "b"), shard("2/3", "d")}, "s2 is shard 2/3, s1 is of 2 shards"},
		{"a failed host", []*Manifest{shard("1/2", "b", "d"), failed}, "host a failed in s2: disk full"},
		{"not a shard", []*Manifest{shard("", "b"), shard("2/2")}, "s1 is not a shard's manifest"},
		{"a host not in the inventory", []*Manifest{shard("1/2", "b", "d", "z"), shard("2/2", "c", "a")}, "host(s) not in the inventory: z (in s1)"},
	} {
		_, err := Merge(tc.ms, dirs)
		if !errors.Is(err, ErrMerge) || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}
