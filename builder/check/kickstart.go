package check

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// Kickstart is one host's rendered kickstart and what it boots with.
type Kickstart struct {
	Host    string            // the host's id
	File    string            // the template it was rendered from (named in findings)
	Text    []byte            // the rendered kickstart
	Version string            // the ESXi version on the ISO ("7.0"; "" checks against 5.0-8.0's common grammar)
	Boot    map[string]string // network options on the boot line (kernelopt): ip, netmask, gateway, vlanid
}

// maxKickstart bounds what is parsed (a real one is a few KB).
const maxKickstart = 1 << 20

// ksLine is a parsed command line of a kickstart.
type ksLine struct {
	n    int
	cmd  *command
	name string
	opts map[string]string // option → value ("" for a flag)
	args []string
}

// CheckKickstart checks a kickstart against the installer's grammar for
// k.Version, and its network against k.Boot.
func CheckKickstart(k Kickstart) []Finding {
	v := k.Version
	if v == "" {
		v = "5.0"
	}
	var out []Finding
	add := func(sev string, line int, col, f string, a ...any) {
		out = append(out, Finding{Severity: sev, Host: k.Host, File: k.File, Line: line, Column: col, Message: fmt.Sprintf(f, a...)})
	}
	if len(k.Text) > maxKickstart {
		add(Error, 0, "", "%d bytes: larger than %d", len(k.Text), maxKickstart)
		return out
	}
	lines, findings := parseKickstart(k.Text, v)
	for _, f := range findings {
		add(f.Severity, f.Line, f.Column, "%s", f.Message)
	}
	seen := map[string]*ksLine{}
	for i := range lines {
		l := &lines[i]
		key := l.cmd.names[0]
		if prev, ok := seen[key]; ok && l.cmd.once {
			add(Error, l.n, l.name, "given twice (first on line %d): the installer takes one", prev.n)
		}
		if _, ok := seen[key]; !ok {
			seen[key] = l
		}
	}
	last := 0
	if n := len(lines); n > 0 {
		last = lines[n-1].n
	}
	need := func(what string, names ...string) {
		for _, n := range names {
			if seen[n] != nil {
				return
			}
		}
		add(Error, last, "", "no %s: the installer stops and asks for it (add %s)", what, strings.Join(names, " or "))
	}
	need("EULA acceptance", "vmaccepteula")
	if versionLess(v, "5.0") {
		need("install target", "autopart")
		need("installation source", "install")
		need("root password", "rootpw")
	} else {
		need("install target", "install", "installorupgrade", "upgrade")
		if seen["upgrade"] == nil {
			need("root password", "rootpw")
		}
	}
	if n := seen["network"]; n != nil {
		out = append(out, networkFindings(k, n)...)
	} else if len(k.Boot) > 0 && k.Boot["ip"] != "" {
		add(Warning, last, "network", "the host boots with ip=%s but the kickstart has no network line: the installed host would use DHCP", k.Boot["ip"])
	}
	return out
}

// parseKickstart splits a kickstart into command lines and reports lines
// the installer would not accept.
func parseKickstart(text []byte, v string) ([]ksLine, []Finding) {
	var lines []ksLine
	var out []Finding
	bad := func(n int, col, f string, a ...any) {
		out = append(out, Finding{Severity: Error, Line: n, Column: col, Message: fmt.Sprintf(f, a...)})
	}
	if i := strings.IndexByte(string(text), '\r'); i >= 0 {
		bad(strings.Count(string(text[:i]), "\n")+1, "", "CR byte (CRLF line ends): the installer reads it as part of the value; write LF line ends")
	}
	inScript := false
	for i, raw := range strings.Split(string(text), "\n") {
		n := i + 1
		s := strings.TrimSpace(strings.ReplaceAll(raw, "\r", ""))
		if inScript && !strings.HasPrefix(s, "%") {
			continue // a script line of %pre/%post/%firstboot
		}
		if s == "" || s[0] == '#' {
			continue
		}
		words, err := splitWords(s)
		if err != nil {
			bad(n, "", "%v", err)
			continue
		}
		name := strings.ToLower(words[0])
		c, other := lookup(name, v)
		if c == nil {
			switch {
			case other != nil:
				bad(n, name, "%s is not a command of ESXi %s (it is of ESXi %s)", name, v, versions(other))
			default:
				bad(n, name, "unknown command%s", suggest(name, commandNames(v)))
			}
			inScript = strings.HasPrefix(name, "%")
			continue
		}
		l := ksLine{n: n, cmd: c, name: name, opts: map[string]string{}}
		show := func(s string) string { return s }
		if c.secret {
			show = func(string) string { return "(a value not shown)" }
		}
		for j := 1; j < len(words); j++ {
			w := words[j]
			if !strings.HasPrefix(w, "--") {
				l.args = append(l.args, w)
				continue
			}
			oname, val, hasVal := strings.Cut(w, "=")
			oname = strings.ToLower(oname)
			spec, ok := c.options[oname]
			if !ok {
				if c.secret { // a password may start with --
					bad(n, name, "unknown option %s", show(oname))
				} else {
					bad(n, name, "unknown option %s%s", oname, suggest(oname, optionNames(c)))
				}
				continue
			}
			if _, dup := l.opts[oname]; dup {
				bad(n, name, "option %s given twice", oname)
			}
			switch {
			case spec.value == 0 && hasVal:
				bad(n, name, "option %s takes no value (%s)", oname, show(w))
			case spec.value == 1 && !hasVal && j+1 < len(words) && !strings.HasPrefix(words[j+1], "--"):
				j++
				val, hasVal = words[j], true
			}
			if spec.value == 1 && (!hasVal || val == "") {
				bad(n, name, "option %s needs a value", oname)
			}
			if spec.allowed != nil && hasVal && !containsFold(spec.allowed, val) {
				bad(n, name, "option %s=%s: want %s", oname, show(val), strings.Join(spec.allowed, " or "))
			}
			l.opts[oname] = val
		}
		if len(l.args) < c.args[0] {
			bad(n, name, "needs %s", argWant(c))
		} else if c.args[1] >= 0 && len(l.args) > c.args[1] {
			bad(n, name, "%s%s", tooMany(c, l.args, show), otherForm(name, v, len(l.args)))
		} else if c.argValid != nil && !containsFold(c.argValid, l.args[0]) {
			bad(n, name, "%s: want %s", show(l.args[0]), strings.Join(c.argValid, ", "))
		}
		inScript = c.section
		lines = append(lines, l)
	}
	return lines, out
}

// networkFindings checks the network line's addresses and compares them
// with the boot line's.
func networkFindings(k Kickstart, l *ksLine) []Finding {
	var out []Finding
	add := func(sev, f string, a ...any) {
		out = append(out, Finding{Severity: sev, Host: k.Host, File: k.File, Line: l.n, Column: "network", Message: fmt.Sprintf(f, a...)})
	}
	o := l.opts
	static := strings.EqualFold(o["--bootproto"], "static")
	if strings.EqualFold(o["--bootproto"], "dhcp") {
		for _, opt := range []string{"--ip", "--netmask", "--gateway"} {
			if _, ok := o[opt]; ok {
				add(Warning, "%s with --bootproto=dhcp: the installer ignores it", opt)
			}
		}
	}
	var ip, gw netip.Addr
	var err error
	if static {
		for _, opt := range []string{"--ip", "--netmask"} {
			if o[opt] == "" {
				add(Error, "--bootproto=static needs %s", opt)
			}
		}
		if o["--gateway"] == "" {
			add(Warning, "--bootproto=static without --gateway: the host reaches its own subnet only")
		}
	}
	if v := o["--ip"]; v != "" {
		if ip, err = parseAddr(v); err != nil {
			add(Error, "--ip=%s: %v", quote(v), err)
		}
	}
	if v := o["--gateway"]; v != "" {
		if gw, err = parseAddr(v); err != nil {
			add(Error, "--gateway=%s: %v", quote(v), err)
		}
	}
	for _, ns := range strings.Split(o["--nameserver"], ",") {
		if ns != "" {
			if _, err := parseAddr(ns); err != nil {
				add(Error, "--nameserver %s: %v", quote(ns), err)
			}
		}
	}
	bits := -1
	if v := o["--netmask"]; v != "" {
		if bits, err = parseMask(v, ip.Is6()); err != nil {
			add(Error, "--netmask=%s: %v", quote(v), err)
		} else if ip.IsValid() {
			for _, m := range subnetFindings(ip, gw, bits) {
				add(Error, "%s", m)
			}
		}
	}
	if v := o["--hostname"]; v != "" {
		if err := checkHostname(v, false); err != nil {
			add(Error, "--hostname=%s: %v", quote(v), err)
		}
	}
	if v := o["--vlanid"]; v != "" {
		if err := checkVLAN(v); err != nil {
			add(Error, "--vlanid=%s: %v", quote(v), err)
		}
	}
	// The boot line's network (kernelopt ip=, netmask=, gateway=, vlanid=)
	// fetches the kickstart; the kickstart's configures the installed host.
	for _, key := range []string{"ip", "netmask", "gateway", "vlanid"} {
		bv := k.Boot[key]
		kv, ok := o["--"+key]
		if bv == "" {
			continue
		}
		switch {
		case key == "ip" && (o["--bootproto"] == "" || strings.EqualFold(o["--bootproto"], "dhcp")):
			add(Warning, "the host boots with ip=%s but the kickstart's network is DHCP", bv)
		case ok && kv != "" && wellFormed(key, bv) && wellFormed(key, kv) && !sameNet(key, bv, kv): // a malformed value is said on its own
			add(Error, "--%s=%s differs from the boot line's %s=%s: the host would fetch its kickstart on one network and install on another", key, kv, key, bv)
		}
	}
	return out
}

// wellFormed reports whether v is a well-formed value of a network option
// (an address, a netmask, a VLAN ID), which sameNet can compare.
func wellFormed(key, v string) bool {
	switch key {
	case "ip", "gateway":
		_, err := parseAddr(v)
		return err == nil
	case "netmask":
		_, err := parseMask(v, false)
		return err == nil
	case "vlanid":
		return checkVLAN(v) == nil
	}
	return true
}

// sameNet compares two values of a network option by meaning.
func sameNet(key, a, b string) bool {
	switch key {
	case "ip", "gateway":
		x, e1 := netip.ParseAddr(a)
		y, e2 := netip.ParseAddr(b)
		return e1 == nil && e2 == nil && x == y
	case "netmask":
		x, e1 := parseMask(a, false)
		y, e2 := parseMask(b, false)
		return e1 == nil && e2 == nil && x == y
	}
	return strings.TrimLeft(a, "0") == strings.TrimLeft(b, "0")
}

// splitWords splits a line as the installer's shell-like reader does:
// blanks separate words, single or double quotes group them.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	quote, inWord := byte(0), false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unbalanced %c quote", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// tooMany says that a command has more positional words than it takes.
func tooMany(c *command, args []string, show func(string) string) string {
	words := show(strings.Join(args, " "))
	switch c.args[1] {
	case 0:
		return fmt.Sprintf("%s: takes no words, only options", words)
	case 1:
		return fmt.Sprintf("%s: takes one word, not %d", words, len(args))
	}
	return fmt.Sprintf("%s: takes at most %d words, not %d", words, c.args[1], len(args))
}

// otherForm names the versions whose command name takes n words, when
// version v's does not: "install usb" is ESXi 4.x's form.
func otherForm(name, v string, n int) string {
	for i := range grammar {
		c := &grammar[i]
		if c.knows(v) || !slices.Contains(c.names, name) {
			continue
		}
		if n >= c.args[0] && (c.args[1] < 0 || n <= c.args[1]) {
			return fmt.Sprintf(" (the form of ESXi %s; ESXi %s's %s takes %s)", versions(c), v, name, optionList(name, v))
		}
	}
	return ""
}

// optionList lists the options of version v's command name.
func optionList(name, v string) string {
	c, _ := lookup(name, v)
	if c == nil || len(c.options) == 0 {
		return "no options"
	}
	return strings.Join(optionNames(c), ", ")
}

func argWant(c *command) string {
	switch {
	case c.argValid != nil:
		return "one of " + strings.Join(c.argValid, ", ")
	case c.args[0] == 1 && c.args[1] == 1:
		return "one word"
	}
	return fmt.Sprintf("at least %d words", c.args[0])
}

func versions(c *command) string {
	if c.until == "" {
		return c.since + " and later"
	}
	return c.since + " to " + c.until
}

func commandNames(v string) []string {
	var out []string
	for i := range grammar {
		if grammar[i].knows(v) {
			out = append(out, grammar[i].names...)
		}
	}
	return out
}

func optionNames(c *command) []string {
	out := make([]string, 0, len(c.options))
	for k := range c.options {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest names the closest known word within two edits.
func suggest(w string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(w, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
