package inventory

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// Inventories whose cells or hosts outnumber the limits fail before they
// take memory in proportion; malformed JSON is located.
func TestLimitsAndJSON(t *testing.T) {
	wide := func(cols, rows int) []byte {
		var b strings.Builder
		b.WriteString("id")
		for i := 1; i < cols; i++ {
			fmt.Fprintf(&b, ",c%d", i)
		}
		b.WriteString("\n")
		for i := range rows {
			fmt.Fprintf(&b, "h%d%s\n", i, strings.Repeat(",", cols-1))
		}
		return []byte(b.String())
	}
	many := func(n int) []byte { return []byte("[" + strings.Repeat(`{},`, n) + "{}]") }
	for _, tc := range []struct {
		name string
		csv  bool
		in   []byte
		want string
	}{
		{"CSV cells", true, wide(1100, 1000), "more than 1048576 cells"},
		{"JSON hosts", false, many(MaxHosts + 10), fmt.Sprintf("more than %d hosts", MaxHosts)},
		{"JSON cells", false, []byte("[" + strings.Repeat(`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11},`, 95400) + "{}]"), "cells"},
		{"JSON duplicate key", false, []byte(`[{"id":"a","id":"b"}]`), `element 1: "id" twice`},
		{"JSON nested", false, []byte(`[{"id":"a","x":[1]}]`), `element 1: "x" must be a string`},
		{"JSON null value", false, []byte(`[{"id":"a","x":null}]`), `"x" must be a string`},
		{"JSON not an object", false, []byte(`[{"id":"a"},"b"]`), "element 2: want an object"},
		{"JSON bad key", false, []byte(`[{"id":"a","my-ip":"1"}]`), `element 1: variable name "my-ip"`},
		{"JSON cut short", false, []byte(`[{"id":"a"`), "element 1: unexpected EOF"},
		{"JSON trailing data", false, []byte(`[{"id":"a"}] [`), "data after the array"},
		{"JSON object", false, []byte(`{"id":"a"}`), "want a JSON array of objects"},
		{"JSON null", false, []byte(`null`), "want a JSON array of objects"},
		{"JSON empty array", false, []byte(`[]`), "no hosts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var err error
			if tc.csv {
				_, err = ParseCSV(tc.in)
			} else {
				_, err = parseJSON(tc.in)
			}
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 400<<20 {
				t.Errorf("allocated %d MiB for %d bytes", d>>20, len(tc.in))
			}
		})
	}
	hosts, err := parseJSON([]byte(` [ {"id":"esx01","vlan":12,"dhcp":false} ] `))
	if err != nil || len(hosts) != 1 || hosts[0].Vars["vlan"] != "12" || hosts[0].Vars["dhcp"] != "false" {
		t.Fatalf("hosts = %+v, err = %v", hosts, err)
	}
}

// FuzzParseJSON: no panic; accepted hosts have safe, unique ids.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`[{"id":"esx01","vlan":12,"dhcp":false},{"id":"esx02","ip":"10.0.0.2"}]`))
	f.Add([]byte(`[{"id":"a","id":"b"}]`))
	f.Add([]byte(`[{"id":"a","x":{"y":[1,null]}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		hosts, err := parseJSON(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, h := range hosts {
			if CheckID(h.ID) != nil || seen[strings.ToLower(h.ID)] {
				t.Fatalf("accepted id %q", h.ID)
			}
			seen[strings.ToLower(h.ID)] = true
		}
	})
}

// jsonNumber is RFC 8259's number.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// FuzzJSONNumberKept: a number in a JSON inventory becomes the variable
// as written, digit for digit (never through a float64: 2000000 is not
// 2e+06, 12345678901234567890 keeps its digits).
func FuzzJSONNumberKept(f *testing.F) {
	for _, n := range []string{"2000000", "12345678901234567890", "1.0", "1e3", "-0", "0.1", "1E+400"} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n string) {
		if !jsonNumber.MatchString(n) {
			return
		}
		hosts, err := parseJSON([]byte(`[{"id":"a","n":` + n + `}]`))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if got := hosts[0].Vars["n"]; got != n {
			t.Fatalf("%s became %s", n, got)
		}
	})
}
