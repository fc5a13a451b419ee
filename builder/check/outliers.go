package check

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// outliers warns of a host whose gateway or nameservers differ from what
// most hosts of its subnet use, and whose netmask differs from most hosts
// with its gateway: a value that is valid on its own, but most likely a
// typo (.254 where 29 hosts use .1). A gateway outside the host's subnet
// is an error of rowFindings, not repeated here.
func outliers(file string, rows []Row) []Finding {
	var out []Finding
	bySubnet, byGateway := map[netip.Prefix][]Row{}, map[netip.Addr][]Row{}
	for _, r := range rows {
		if gw, ok := addrOf(r, "gateway"); ok {
			byGateway[gw] = append(byGateway[gw], r)
		}
		ip, ok := addrOf(r, "ip")
		_, m, hasMask := get(r.Vars, "netmask")
		if !ok || !hasMask {
			continue
		}
		bits, err := parseMask(m, ip.Is6())
		if err != nil {
			continue
		}
		if p, err := ip.Prefix(bits); err == nil {
			bySubnet[p] = append(bySubnet[p], r)
		}
	}
	for _, p := range sortedKeys(bySubnet, func(a, b netip.Prefix) bool { return a.String() < b.String() }) {
		group := bySubnet[p]
		out = append(out, odd(file, group, "gateway", "hosts of "+p.String(), func(v string) string {
			if a, err := parseAddr(v); err == nil && p.Contains(a) { // outside: an error of its own
				return a.String()
			}
			return ""
		})...)
		out = append(out, odd(file, group, "nameserver", "hosts of "+p.String(), func(v string) string {
			var list []string
			for _, ns := range strings.Split(v, ",") {
				a, err := parseAddr(strings.TrimSpace(ns))
				if err != nil {
					return ""
				}
				list = append(list, a.String())
			}
			return strings.Join(list, ",")
		})...)
	}
	for _, gw := range sortedKeys(byGateway, func(a, b netip.Addr) bool { return a.Less(b) }) {
		out = append(out, odd(file, byGateway[gw], "netmask", "hosts with gateway "+gw.String(), func(v string) string {
			if bits, err := parseMask(v, gw.Is6()); err == nil {
				return fmt.Sprint(bits)
			}
			return ""
		})...)
	}
	return out
}

// odd warns of the rows of group whose value in col (by meaning: key, ""
// for a malformed or empty one) differs from a clear majority's: more
// than half the group, and more than twice as many hosts as use the odd
// value.
func odd(file string, group []Row, col, what string, key func(string) string) []Finding {
	if len(group) < 3 {
		return nil
	}
	count, spelt := map[string]int{}, map[string]string{}
	for _, r := range group {
		if _, v, ok := get(r.Vars, col); ok {
			if k := key(v); k != "" {
				count[k]++
				if spelt[k] == "" {
					spelt[k] = v
				}
			}
		}
	}
	major, n := "", 0
	for k, c := range count {
		if c > n || c == n && k < major {
			major, n = k, c
		}
	}
	if n < 2 || n*2 <= len(group) {
		return nil
	}
	var out []Finding
	for _, r := range group {
		name, v, ok := get(r.Vars, col)
		if !ok {
			continue
		}
		k := key(v)
		if k == "" || k == major || count[k]*2 >= n {
			continue
		}
		others := len(group) - 1
		share := fmt.Sprintf("%d of the %d other %s", n, others, what)
		if n == others {
			share = fmt.Sprintf("the %d other %s", others, what)
		}
		out = append(out, Finding{Severity: Warning, Host: r.ID, File: file, Line: r.Line, Column: name, Value: v,
			Message: fmt.Sprintf("%s: %s use %s %s", quote(v), share, col, quote(spelt[major]))})
	}
	return out
}

// addrOf is a row's column name as an address, when it is one.
func addrOf(r Row, name string) (netip.Addr, bool) {
	_, v, ok := get(r.Vars, name)
	if !ok {
		return netip.Addr{}, false
	}
	a, err := parseAddr(v)
	return a, err == nil
}

func sortedKeys[K comparable, V any](m map[K]V, less func(a, b K) bool) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	return keys
}
