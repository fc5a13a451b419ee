package check

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzKickstart: the kickstart parser never panics, and every finding
// names a line of the input.
func FuzzKickstart(f *testing.F) {
	for _, s := range []string{goodKS5, goodKS4, "%post\nrebot\n%pre --interpreter=\nx", "rootpw \"a b\nnetwork --ip 10.0.0.1 --ip=x\n", "\r\n\x00--"} {
		f.Add(s, "7.0")
	}
	f.Add(goodKS4, "4.1")
	f.Fuzz(func(t *testing.T, text, version string) {
		lines := strings.Count(text, "\n") + 1
		k := Kickstart{Host: "h", File: "ks", Text: []byte(text), Version: version,
			Boot: map[string]string{"ip": "10.0.0.5", "netmask": "24", "vlanid": "12"}}
		for _, fd := range CheckKickstart(k) {
			if fd.Line < 0 || fd.Line > lines {
				t.Fatalf("finding on line %d of a %d-line kickstart: %s", fd.Line, lines, fd)
			}
			if fd.Message == "" || (fd.Severity != Error && fd.Severity != Warning) {
				t.Fatalf("finding %+v", fd)
			}
		}
	})
}

// BenchmarkFleet10000 checks 10,000 hosts, inventory and kickstarts: the
// target is well under a second (ns/op below 1e9).
func BenchmarkFleet10000(b *testing.B) {
	fl := Fleet{Inventory: "hosts.csv", Template: "ks.tmpl", Version: "7.0"}
	for i := 0; i < 10000; i++ {
		ip := fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256+1)
		if i%256 == 255 {
			ip = fmt.Sprintf("10.9.%d.%d", i/256%256, 7)
		}
		id := fmt.Sprintf("esx%05d", i)
		r := row(i+2, id, "ip="+ip, "netmask=8", "gateway=10.0.0.1", "hostname="+id, fmt.Sprintf("mac=00:50:56:%02x:%02x:%02x", i>>16&255, i>>8&255, i&255))
		ks := strings.NewReplacer("10.0.0.5", ip, "255.255.255.0", "255.0.0.0", "esx01", id).Replace(goodKS5)
		fl.Hosts = append(fl.Hosts, Host{Row: r, KS: "http://deploy/ks/" + id + ".cfg", Kickstart: []byte(ks),
			Boot: map[string]string{"ip": ip, "netmask": "255.0.0.0", "gateway": "10.0.0.1"}})
	}
	b.ResetTimer()
	for b.Loop() {
		if fs := fl.Check(); len(fs) > 100 {
			b.Fatalf("%d findings, first %s", len(fs), fs[0])
		}
	}
}
