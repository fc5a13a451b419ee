package batch

import (
	"fmt"
	"slices"
	"strings"
)

// Merge joins the manifests of an inventory's shards (dirs name them in
// messages) into one: they must come from the same tool version, epoch and
// inputs (by SHA-256; paths may differ between runners), each shard once,
// every inventory host built exactly once and none missing or failed. The
// result lists the hosts in the inventory's order.
func Merge(ms []*Manifest, dirs []string) (*Manifest, error) {
	refuse := func(f string, a ...any) (*Manifest, error) {
		return nil, fmt.Errorf("%w: %s", ErrMerge, fmt.Sprintf(f, a...))
	}
	if len(ms) == 0 {
		return refuse("no manifests")
	}
	first := ms[0]
	var n int
	shards := map[string]string{} // shard → dir
	for i, m := range ms {
		d := dirs[i]
		if m.Shard == "" {
			return refuse("%s is not a shard's manifest (built without --shard)", d)
		}
		s, err := ParseShard(m.Shard, func(string) string { return "" })
		if err != nil {
			return refuse("%s: shard %q: %v", d, m.Shard, err)
		}
		if n == 0 {
			n = s.N
		}
		if s.N != n {
			return refuse("%s is shard %s, %s is of %d shards", d, m.Shard, dirs[0], n)
		}
		key := s.String() // "+1/2" and "1/2" are one shard
		if prev, ok := shards[key]; ok {
			return refuse("%s and %s are both shard %s", prev, d, key)
		}
		shards[key] = d
		for _, c := range []struct{ what, a, b string }{
			{"tool version", first.Version, m.Version}, {"epoch", first.Epoch, m.Epoch},
			{"layout", first.Layout, m.Layout}, {"syslinux", first.Syslinux, m.Syslinux},
			{"inputs", inputKey(first.Inputs), inputKey(m.Inputs)},
		} {
			if c.a != c.b {
				return refuse("%s and %s differ in %s: %s vs %s", dirs[0], d, c.what, orNone(c.a), orNone(c.b))
			}
		}
		if k, a, b, ok := firstDiff(first.Settings, m.Settings); ok {
			return refuse("%s and %s were built with different settings: %s %s vs %s", dirs[0], d, k, orNone(a), orNone(b))
		}
		if len(m.RowErrors) > 0 {
			return refuse("%s did not build %d inventory row(s): %s", d, len(m.RowErrors), m.RowErrors[0])
		}
		if !slices.Equal(first.Inventory, m.Inventory) {
			return refuse("%s and %s list different inventory hosts", dirs[0], d)
		}
	}
	if len(shards) != n {
		var gone []string
		for k := 1; k <= n; k++ {
			if _, ok := shards[fmt.Sprintf("%d/%d", k, n)]; !ok {
				gone = append(gone, fmt.Sprintf("%d/%d", k, n))
			}
		}
		return refuse("shard %s missing (%d of %d given)", strings.Join(gone, ", "), len(shards), n)
	}
	built := map[string]ManifestHost{}
	from := map[string]string{}
	for i, m := range ms {
		for _, h := range m.Hosts {
			if err := h.checkNames(); err != nil {
				return refuse("%s: %v", dirs[i], err)
			}
			if prev, ok := from[h.ID]; ok {
				return refuse("host %s is in %s and in %s", h.ID, prev, dirs[i])
			}
			if h.Error != "" || h.Image == "" {
				return refuse("host %s failed in %s: %s", h.ID, dirs[i], orNone(h.Error))
			}
			from[h.ID], built[h.ID] = dirs[i], h
		}
	}
	out := *first
	out.Shard, out.Hosts, out.Checks, out.SchemaVersion = "", nil, nil, SchemaVersion
	var gone []string
	for _, id := range first.Inventory {
		h, ok := built[id]
		if !ok {
			gone = append(gone, id)
			continue
		}
		out.Hosts = append(out.Hosts, h)
		delete(built, id)
	}
	if len(gone) > 0 {
		return refuse("%d host(s) of the inventory built by no shard: %s", len(gone), strings.Join(gone, ", "))
	}
	if len(built) > 0 {
		var extra []string
		for id := range built {
			extra = append(extra, id+" (in "+from[id]+")")
		}
		slices.Sort(extra)
		return refuse("host(s) not in the inventory: %s", strings.Join(extra, ", "))
	}
	for _, m := range ms {
		out.Checks = append(out.Checks, m.Checks...)
	}
	return &out, nil
}

// firstDiff is the first key, in order, whose values differ in a and b.
func firstDiff(a, b map[string]string) (key, va, vb string, differ bool) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		x, okx := a[k]
		y, oky := b[k]
		if x != y || okx != oky {
			return k, x, y, true
		}
	}
	return "", "", "", false
}

func inputKey(in []InputFile) string {
	var parts []string
	for _, f := range in {
		parts = append(parts, fmt.Sprintf("%s=%s(%d)", f.Role, f.SHA256, f.Bytes))
	}
	return strings.Join(parts, " ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
