package check

import (
	"fmt"
	"strings"
)

// Host is one host to check: its inventory row and what the build would
// give it.
type Host struct {
	Row
	KS        string            // the ks= value it boots with
	Kickstart []byte            // its rendered kickstart (nil without a template)
	Boot      map[string]string // network options on its boot line: ip, netmask, gateway, vlanid
}

// Fleet is everything `check` (and the start of every build) looks at.
type Fleet struct {
	Inventory  string   // the inventory file ("" for a single host)
	Template   string   // the kickstart template file ("" for none)
	Version    string   // ESXi version on the ISO ("" when unknown)
	Unique     []string // columns that must be unique (nil: DefaultUnique)
	VarsFile   string   // names the variables of a single host in findings ("--var"); "" skips their checks
	Embedded   bool     // the kickstart goes into each image (--embed-ks)
	KSExternal bool     // a ks=usb:/cdrom: kickstart is on another medium (--ks-external)
	Hosts      []Host
}

// Check runs every check and returns the findings, sorted.
func (f Fleet) Check() []Finding {
	rows := make([]Row, len(f.Hosts))
	for i, h := range f.Hosts {
		rows[i] = h.Row
	}
	var out []Finding
	if f.Inventory != "" {
		out = Inventory(f.Inventory, rows, f.Unique)
	} else if f.VarsFile != "" {
		for _, r := range rows {
			out = append(out, rowFindings(f.VarsFile, r)...)
		}
	}
	out = append(out, f.sameKS()...)
	for _, h := range f.Hosts {
		out = append(out, f.ksFindings(h)...)
		if h.Kickstart != nil {
			out = append(out, CheckKickstart(Kickstart{Host: h.ID, File: f.Template, Text: h.Kickstart, Version: f.Version, Boot: h.Boot})...)
		}
	}
	Sort(out)
	return out
}

// sameKS warns when every host of an inventory fetches its kickstart from
// the same network address: they would all install with one kickstart
// (one address, one host name). A ks= on the boot medium is each image's
// own.
func (f Fleet) sameKS() []Finding {
	if f.Inventory == "" || len(f.Hosts) < 2 {
		return nil
	}
	ks := f.Hosts[0].KS
	lower := strings.ToLower(ks)
	if ks == "" || lower == "usb" || strings.HasPrefix(lower, "usb:") || strings.HasPrefix(lower, "cdrom:") {
		return nil
	}
	for _, h := range f.Hosts[1:] {
		if h.KS != ks {
			return nil
		}
	}
	return []Finding{{Severity: Warning, File: "--ks", Column: "ks", Value: ks,
		Message: fmt.Sprintf("%s: all %d hosts boot with this ks=, so they fetch one kickstart; put {{.id}} (or another column) in --ks, "+
			"e.g. http://deploy/ks/{{.id}}.cfg", quote(ks), len(f.Hosts))}}
}

// ksFindings checks the ks= value: a kickstart on the boot medium must be
// put there.
func (f Fleet) ksFindings(h Host) []Finding {
	file, line := f.Inventory, h.Line
	if file == "" {
		file, line = "--ks", 0
	}
	where := func(sev, m string) Finding {
		return Finding{Severity: sev, Host: h.ID, File: file, Line: line, Column: "ks", Value: h.KS, Message: m}
	}
	ks := strings.ToLower(h.KS)
	switch {
	case h.KS == "":
		return []Finding{where(Warning, "no ks=: the installer would wait for answers at the console")}
	case (ks == "usb" || strings.HasPrefix(ks, "usb:") || strings.HasPrefix(ks, "cdrom:")) && !f.Embedded && !f.KSExternal: // ks=usb: /ks.cfg on a USB disk
		return []Finding{where(Error, fmt.Sprintf("ks=%s reads the kickstart from a local medium, but it is not put into the image "+
			"(--embed-ks with --ks-template does; --ks-external says it is on another medium)", h.KS))}
	}
	return nil
}
