package check

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/inventory"
)

// DefaultUnique are the columns whose values must differ between hosts,
// when the inventory has them.
var DefaultUnique = []string{"id", "hostname", "fqdn", "ip", "mac", "serial"}

// Row is one inventory host as the checks see it.
type Row struct {
	ID   string
	Line int               // line (CSV) or element (JSON) it came from
	Vars map[string]string // column → value
}

// Inventory checks every row's network columns and the values that must be
// unique across rows (unique: column names, nil for DefaultUnique).
func Inventory(file string, rows []Row, unique []string) []Finding {
	var out []Finding
	for _, r := range rows {
		out = append(out, rowFindings(file, r)...)
	}
	if unique == nil {
		unique = DefaultUnique
	}
	for _, col := range unique {
		out = append(out, clashes(file, rows, col)...)
	}
	return append(out, outliers(file, rows)...)
}

// get returns a column's value, matching its name without regard to case.
func get(vars map[string]string, col string) (string, string, bool) {
	if v, ok := vars[col]; ok {
		return col, v, true
	}
	for k, v := range vars {
		if strings.EqualFold(k, col) {
			return k, v, true
		}
	}
	return "", "", false
}

// rowFindings checks one row's ip, gateway, nameserver, netmask, vlanid,
// hostname, fqdn and mac columns.
func rowFindings(file string, r Row) []Finding {
	var out []Finding
	bad := func(col, v, f string, a ...any) {
		out = append(out, Finding{Severity: Error, Host: r.ID, File: file, Line: r.Line, Column: col, Value: v,
			Message: fmt.Sprintf("%s: ", quote(v)) + fmt.Sprintf(f, a...)})
	}
	addr := func(name string) (netip.Addr, bool) {
		col, v, ok := get(r.Vars, name)
		if !ok || v == "" {
			return netip.Addr{}, false
		}
		a, err := parseAddr(v)
		if err != nil {
			bad(col, v, "%v", err)
			return netip.Addr{}, false
		}
		return a, true
	}
	ip, hasIP := addr("ip")
	gw, _ := addr("gateway")
	if col, v, ok := get(r.Vars, "nameserver"); ok && v != "" {
		for _, ns := range strings.Split(v, ",") {
			if _, err := parseAddr(ns); err != nil {
				bad(col, v, "%s is %v", quote(ns), err)
			}
		}
	}
	if col, v, ok := get(r.Vars, "netmask"); ok && v != "" {
		bits, err := parseMask(v, hasIP && ip.Is6())
		if err != nil {
			bad(col, v, "%v", err)
		} else if hasIP {
			for _, m := range subnetFindings(ip, gw, bits) {
				bad("ip", ip.String(), "%s", m)
			}
		}
	}
	if col, v, ok := get(r.Vars, "vlanid"); ok && v != "" {
		if err := checkVLAN(v); err != nil {
			bad(col, v, "%v", err)
		}
	}
	for _, name := range []string{"hostname", "fqdn"} {
		if col, v, ok := get(r.Vars, name); ok && v != "" {
			if err := checkHostname(v, name == "fqdn"); err != nil {
				bad(col, v, "not a host name: %v", err)
			}
		}
	}
	if col, v, ok := get(r.Vars, "mac"); ok && v != "" {
		if err := checkMAC(v); err != nil {
			bad(col, v, "%v", err)
		}
	}
	return out
}

// clashes reports every row whose value in col an earlier row has, naming
// both lines. Names and MACs compare without case; addresses by value.
func clashes(file string, rows []Row, col string) []Finding {
	var out []Finding
	first := map[string]Row{}
	for _, r := range rows {
		name, v, ok := get(r.Vars, col)
		if col == "id" && !ok {
			name, v, ok = "id", r.ID, true
		}
		if !ok || v == "" {
			continue
		}
		key := strings.ToLower(v)
		if a, err := netip.ParseAddr(v); err == nil {
			key = a.String()
		}
		if strings.EqualFold(name, "mac") {
			key = strings.ReplaceAll(key, "-", ":")
		}
		if prev, ok := first[key]; ok {
			out = append(out, Finding{Severity: Error, Host: r.ID, File: file, Line: r.Line, Column: name, Value: v,
				Message: fmt.Sprintf("%s is also host %s's (%s %d): %s must be unique", quote(v), prev.ID, inventory.Unit(file), prev.Line, name)})
			continue
		}
		first[key] = r
	}
	return out
}
