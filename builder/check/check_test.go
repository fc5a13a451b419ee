package check

import (
	"fmt"
	"strings"
	"testing"
)

// row makes an inventory row from "col=value" pairs.
func row(line int, id string, kv ...string) Row {
	r := Row{ID: id, Line: line, Vars: map[string]string{"id": id}}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		r.Vars[k] = v
	}
	return r
}

// subnet makes n hosts e0… of 10.0.0.0/24 (ip .10 up, netmask 24,
// gateway .1, nameserver .2), with kv set on all of them and odd on host
// number at (-1: none).
func subnet(n int, kv string, at int, odd string) []Row {
	var rows []Row
	for i := range n {
		r := row(i+2, fmt.Sprintf("e%d", i), fmt.Sprintf("ip=10.0.0.%d", 10+i), "netmask=24", "gateway=10.0.0.1", "nameserver=10.0.0.2")
		k, v, _ := strings.Cut(kv, "=")
		r.Vars[k] = v
		if i == at {
			k, v, _ := strings.Cut(odd, "=")
			r.Vars[k] = v
		}
		rows = append(rows, r)
	}
	return rows
}

const goodKS5 = "vmaccepteula\ninstall --firstdisk --overwritevmfs\nrootpw secret\n" +
	"network --bootproto=static --ip=10.0.0.5 --netmask=255.255.255.0 --gateway=10.0.0.1 --hostname=esx01 --vlanid=12\nreboot\n"

const goodKS4 = "accepteula\nautopart --firstdisk --overwritevmfs\ninstall usb\nrootpw secret\nnetwork --bootproto=dhcp\n"

// TestCatalogue: one row per finding, each with the input that triggers it
// and the whole line the user reads.
func TestCatalogue(t *testing.T) {
	good := row(2, "esx01", "ip=10.0.0.5", "netmask=255.255.255.0", "gateway=10.0.0.1", "hostname=esx01", "mac=00:50:56:aa:bb:01", "vlanid=12")
	inv := func(rows ...Row) Fleet {
		f := Fleet{Inventory: "hosts.csv", Version: "7.0"}
		for _, r := range rows {
			f.Hosts = append(f.Hosts, Host{Row: r, KS: "http://deploy/ks/" + r.ID + ".cfg"})
		}
		return f
	}
	ks := func(version, text string, boot ...string) Fleet {
		h := Host{Row: row(2, "esx01"), KS: "http://deploy/ks/esx01.cfg", Kickstart: []byte(text), Boot: map[string]string{}}
		for _, p := range boot {
			k, v, _ := strings.Cut(p, "=")
			h.Boot[k] = v
		}
		return Fleet{Inventory: "hosts.csv", Template: "ks.tmpl", Version: version, Hosts: []Host{h}}
	}
	edit := func(text, from, to string) string {
		if !strings.Contains(text, from) {
			t.Fatalf("%q not in %q", from, text)
		}
		return strings.Replace(text, from, to, 1)
	}
	for _, tc := range []struct {
		name  string
		fleet Fleet
		want  []string // every finding, in order
	}{
		{"a good inventory", inv(good, row(3, "esx02", "ip=10.0.0.6", "netmask=24", "gateway=10.0.0.1", "mac=00-50-56-aa-bb-02")), nil},
		{"a good 5.x+ kickstart", ks("7.0", goodKS5, "ip=10.0.0.5", "netmask=255.255.255.0", "gateway=10.0.0.1", "vlanid=12"), nil},
		{"a good 4.x kickstart", ks("4.1", goodKS4), nil},
		{"duplicate ip", inv(good, row(3, "esx02", "ip=10.0.0.5")),
			[]string{"error esx02 hosts.csv:3: ip: 10.0.0.5 is also host esx01's (line 2): ip must be unique"}},
		{"duplicate hostname, any case", inv(good, row(3, "esx02", "hostname=ESX01")),
			[]string{"error esx02 hosts.csv:3: hostname: ESX01 is also host esx01's (line 2): hostname must be unique"}},
		{"duplicate mac, other separator", inv(good, row(3, "esx02", "mac=00-50-56-AA-BB-01")),
			[]string{"error esx02 hosts.csv:3: mac: 00-50-56-AA-BB-01 is also host esx01's (line 2): mac must be unique"}},
		{"duplicate ipv6 written differently", inv(row(2, "a", "ip=2001:db8::1"), row(3, "b", "ip=2001:DB8:0::1")),
			[]string{"error b hosts.csv:3: ip: 2001:DB8:0::1 is also host a's (line 2): ip must be unique"}},
		{"duplicate ip in a JSON inventory", func() Fleet {
			f := inv(row(1, "a", "ip=10.0.0.5"), row(2, "b", "ip=10.0.0.5"))
			f.Inventory = "hosts.json"
			return f
		}(), []string{"error b hosts.json:2: ip: 10.0.0.5 is also host a's (element 1): ip must be unique"}},
		{"bad ip", inv(row(2, "a", "ip=10.0.0.300")), []string{"error a hosts.csv:2: ip: 10.0.0.300: not an IPv4 or IPv6 address"}},
		{"bad gateway", inv(row(2, "a", "gateway=10.0.0")), []string{"error a hosts.csv:2: gateway: 10.0.0: not an IPv4 or IPv6 address"}},
		{"bad nameserver in a list", inv(row(2, "a", "nameserver=10.0.0.2,dns1")),
			[]string{`error a hosts.csv:2: nameserver: 10.0.0.2,dns1: dns1 is not an IPv4 or IPv6 address`}},
		{"netmask not contiguous", inv(row(2, "a", "netmask=255.0.255.0")),
			[]string{"error a hosts.csv:2: netmask: 255.0.255.0: the netmask's ones are not contiguous"}},
		{"prefix too long", inv(row(2, "a", "ip=10.0.0.5", "netmask=/33")), []string{"error a hosts.csv:2: netmask: /33: prefix length 33 is outside 0-32"}},
		{"gateway outside the subnet", inv(row(2, "a", "ip=10.0.0.5", "netmask=24", "gateway=10.0.1.1")),
			[]string{"error a hosts.csv:2: ip: 10.0.0.5: gateway 10.0.1.1 is outside 10.0.0.0/24, the subnet of 10.0.0.5"}},
		{"network address", inv(row(2, "a", "ip=10.0.0.0", "netmask=255.255.255.0")),
			[]string{"error a hosts.csv:2: ip: 10.0.0.0: 10.0.0.0 is the network address of 10.0.0.0/24"}},
		{"broadcast address", inv(row(2, "a", "ip=10.0.0.255", "netmask=24")),
			[]string{"error a hosts.csv:2: ip: 10.0.0.255: 10.0.0.255 is the broadcast address of 10.0.0.0/24"}},
		{"vlanid out of range", inv(row(2, "a", "vlanid=4095")), []string{"error a hosts.csv:2: vlanid: 4095: not a VLAN ID (0-4094)"}},
		{"hostname with underscore", inv(row(2, "a", "hostname=esx_01")),
			[]string{`error a hosts.csv:2: hostname: esx_01: not a host name: label "esx_01" has '_': only letters, digits and '-' (RFC 1123)`}},
		{"fqdn without a domain", inv(row(2, "a", "fqdn=esx01")), []string{"error a hosts.csv:2: fqdn: esx01: not a host name: not a fully qualified name (no domain)"}},
		{"bad mac", inv(row(2, "a", "mac=00:50:56:aa:bb")), []string{"error a hosts.csv:2: mac: 00:50:56:aa:bb: not a MAC address (six hex pairs, aa:bb:cc:dd:ee:ff)"}},
		{"ks=usb without the kickstart in the image", func() Fleet { f := inv(row(2, "a")); f.Hosts[0].KS = "usb:/KS.CFG"; return f }(),
			[]string{"error a hosts.csv:2: ks: ks=usb:/KS.CFG reads the kickstart from a local medium, but it is not put into the image (--embed-ks with --ks-template does; --ks-external says it is on another medium)"}},
		{"bare ks=usb without the kickstart in the image", func() Fleet { f := inv(row(2, "a")); f.Hosts[0].KS = "usb"; return f }(),
			[]string{"error a hosts.csv:2: ks: ks=usb reads the kickstart from a local medium, but it is not put into the image (--embed-ks with --ks-template does; --ks-external says it is on another medium)"}},
		{"ks=cdrom on another medium", func() Fleet {
			f := inv(row(2, "a"))
			f.Hosts[0].KS, f.KSExternal = "cdrom:/KS.CFG", true
			return f
		}(), nil},
		{"no ks", func() Fleet { f := inv(row(2, "a")); f.Hosts[0].KS = ""; return f }(),
			[]string{"warning a hosts.csv:2: ks: no ks=: the installer would wait for answers at the console"}},
		{"unknown command", ks("7.0", edit(goodKS5, "reboot", "rebot")), []string{"error esx01 ks.tmpl:5: rebot: unknown command (did you mean reboot?)"}},
		{"a 4.x command on 7.0", ks("7.0", edit(goodKS5, "install --firstdisk --overwritevmfs", "autopart --firstdisk")),
			[]string{"error esx01 ks.tmpl:2: autopart: autopart is not a command of ESXi 7.0 (it is of ESXi 4.0 to 4.1)",
				"error esx01 ks.tmpl:5: no install target: the installer stops and asks for it (add install or installorupgrade or upgrade)"}},
		{"a 5.x install on 4.1", ks("4.1", edit(goodKS4, "install usb", "install --firstdisk")),
			[]string{"error esx01 ks.tmpl:3: install: needs one of cdrom, usb, nfs, url", "error esx01 ks.tmpl:3: install: unknown option --firstdisk"}},
		{"unknown option", ks("7.0", edit(goodKS5, "--bootproto=static", "--bootprot=static")),
			[]string{"error esx01 ks.tmpl:4: network: unknown option --bootprot (did you mean --bootproto?)"}},
		{"bad option value", ks("7.0", edit(goodKS5, "--bootproto=static", "--bootproto=staic")),
			[]string{"error esx01 ks.tmpl:4: network: option --bootproto=staic: want dhcp or static"}},
		{"option twice", ks("7.0", edit(goodKS5, "--vlanid=12", "--vlanid=12 --vlanid=13")),
			[]string{"error esx01 ks.tmpl:4: network: option --vlanid given twice"}},
		{"flag with a value", ks("7.0", edit(goodKS5, "--overwritevmfs", "--overwritevmfs=yes")),
			[]string{"error esx01 ks.tmpl:2: install: option --overwritevmfs takes no value (--overwritevmfs=yes)"}},
		{"command twice", ks("7.0", goodKS5+"rootpw other\n"), []string{"error esx01 ks.tmpl:6: rootpw: given twice (first on line 3): the installer takes one"}},
		{"no EULA", ks("7.0", edit(goodKS5, "vmaccepteula\n", "")),
			[]string{"error esx01 ks.tmpl:4: no EULA acceptance: the installer stops and asks for it (add vmaccepteula)"}},
		{"no root password", ks("7.0", edit(goodKS5, "rootpw secret\n", "")),
			[]string{"error esx01 ks.tmpl:4: no root password: the installer stops and asks for it (add rootpw)"}},
		{"upgrade needs no root password", ks("7.0", "vmaccepteula\nupgrade --firstdisk\n"), nil},
		{"rootpw without a password", ks("7.0", edit(goodKS5, "rootpw secret", "rootpw --iscrypted")),
			[]string{"error esx01 ks.tmpl:3: rootpw: needs one word"}},
		{"static without its addresses", ks("7.0", edit(goodKS5, " --ip=10.0.0.5 --netmask=255.255.255.0 --gateway=10.0.0.1", "")),
			[]string{"error esx01 ks.tmpl:4: network: --bootproto=static needs --ip", "error esx01 ks.tmpl:4: network: --bootproto=static needs --netmask",
				"warning esx01 ks.tmpl:4: network: --bootproto=static without --gateway: the host reaches its own subnet only"}},
		{"kickstart gateway outside the subnet", ks("7.0", edit(goodKS5, "--gateway=10.0.0.1", "--gateway=192.168.0.1")),
			[]string{"error esx01 ks.tmpl:4: network: gateway 192.168.0.1 is outside 10.0.0.0/24, the subnet of 10.0.0.5"}},
		{"kickstart bad hostname", ks("7.0", edit(goodKS5, "--hostname=esx01", "--hostname=-esx01")),
			[]string{`error esx01 ks.tmpl:4: network: --hostname=-esx01: label "-esx01" starts or ends with '-'`}},
		{"unbalanced quote", ks("7.0", edit(goodKS5, "rootpw secret", `rootpw "sec ret`)),
			[]string{"error esx01 ks.tmpl:3: unbalanced \" quote", "error esx01 ks.tmpl:5: no root password: the installer stops and asks for it (add rootpw)"}},
		{"quoted password is one word", ks("7.0", edit(goodKS5, "rootpw secret", `rootpw "sec ret"`)), nil},
		{"CR bytes", ks("7.0", strings.ReplaceAll(goodKS5, "\n", "\r\n")),
			[]string{"error esx01 ks.tmpl:1: CR byte (CRLF line ends): the installer reads it as part of the value; write LF line ends"}},
		{"bad interpreter", ks("7.0", goodKS5+"%firstboot --interpreter=perl\nesxcli system\n"),
			[]string{"error esx01 ks.tmpl:6: %firstboot: option --interpreter=perl: want python or busybox"}},
		{"script lines are not commands", ks("7.0", goodKS5+"%post --interpreter=busybox --ignorefailure=true\nesxcli network ip\nrebot now\n"), nil},
		{"boot line and kickstart disagree", ks("7.0", goodKS5, "ip=10.0.0.6", "netmask=24", "vlanid=12"),
			[]string{"error esx01 ks.tmpl:4: network: --ip=10.0.0.5 differs from the boot line's ip=10.0.0.6: the host would fetch its kickstart on one network and install on another"}},
		{"addresses with DHCP", ks("7.0", edit(goodKS5, "--bootproto=static", "--bootproto=dhcp")),
			[]string{"warning esx01 ks.tmpl:4: network: --gateway with --bootproto=dhcp: the installer ignores it",
				"warning esx01 ks.tmpl:4: network: --ip with --bootproto=dhcp: the installer ignores it",
				"warning esx01 ks.tmpl:4: network: --netmask with --bootproto=dhcp: the installer ignores it"}},
		{"boot static, kickstart DHCP", ks("7.0", edit(goodKS5, "--bootproto=static --ip=10.0.0.5 --netmask=255.255.255.0 --gateway=10.0.0.1", "--bootproto=dhcp"), "ip=10.0.0.5"),
			[]string{"warning esx01 ks.tmpl:4: network: the host boots with ip=10.0.0.5 but the kickstart's network is DHCP"}},
		{"outlier gateway", inv(subnet(5, "gateway=10.0.0.1", 3, "gateway=10.0.0.254")...),
			[]string{"warning e3 hosts.csv:5: gateway: 10.0.0.254: the 4 other hosts of 10.0.0.0/24 use gateway 10.0.0.1"}},
		{"outlier nameservers", inv(subnet(4, "nameserver=10.0.0.2,10.0.0.3", 0, "nameserver=10.0.0.3,10.0.0.2")...),
			[]string{"warning e0 hosts.csv:2: nameserver: 10.0.0.3,10.0.0.2: the 3 other hosts of 10.0.0.0/24 use nameserver 10.0.0.2,10.0.0.3"}},
		{"outlier netmask", inv(subnet(6, "netmask=24", 1, "netmask=255.255.0.0")...),
			[]string{"warning e1 hosts.csv:3: netmask: 255.255.0.0: the 5 other hosts with gateway 10.0.0.1 use netmask 24"}},
		{"too few hosts to tell", inv(subnet(2, "gateway=10.0.0.1", 1, "gateway=10.0.0.254")...), nil},
		{"two gateways, no majority", func() Fleet {
			rows := subnet(4, "gateway=10.0.0.1", -1, "")
			rows[2].Vars["gateway"], rows[3].Vars["gateway"] = "10.0.0.254", "10.0.0.254"
			return inv(rows...)
		}(), nil},
		{"same ks for every host", func() Fleet {
			f := inv(row(2, "a"), row(3, "b"))
			f.Hosts[0].KS, f.Hosts[1].KS = "http://deploy/ks.cfg", "http://deploy/ks.cfg"
			return f
		}(), []string{"warning - --ks: ks: http://deploy/ks.cfg: all 2 hosts boot with this ks=, so they fetch one kickstart; put {{.id}} (or another column) in --ks, e.g. http://deploy/ks/{{.id}}.cfg"}},
		{"same embedded ks for every host", func() Fleet {
			f := inv(row(2, "a"), row(3, "b"))
			f.Hosts[0].KS, f.Hosts[1].KS, f.Embedded = "usb:/KS.CFG", "usb:/KS.CFG", true
			return f
		}(), nil},
		{"bad netmask on both lines", ks("7.0", edit(goodKS5, "--netmask=255.255.255.0", "--netmask=255.255.0.255"), "ip=10.0.0.5", "netmask=255.255.0.255"),
			[]string{"error esx01 ks.tmpl:4: network: --netmask=255.255.0.255: the netmask's ones are not contiguous"}},
		{"4.x install on 7.0", ks("7.0", edit(goodKS5, "install --firstdisk --overwritevmfs", "install usb --firstdisk")),
			[]string{"error esx01 ks.tmpl:2: install: usb: takes no words, only options (the form of ESXi 4.0 to 4.1; ESXi 7.0's install takes " +
				"--disk, --drive, --firstdisk, --ignoressd, --novmfsondisk, --overwritevmfs, --overwritevsan, --preservevmfs)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range tc.fleet.Check() {
				got = append(got, f.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
