package check

// The ESXi installer's kickstart grammar, one row per command and version
// range. Sources: VMware's "Installation and Upgrade Script Commands"
// (vSphere Installation and Setup, ESXi 5.0 to 8.0: docs.vmware.com, the
// section of that name in each release's guide) and, for 4.x, "Kickstart
// Commands" in the ESXi Installable and vCenter Server Setup Guide 4.1
// (scripted installation of ESXi 4.1). To add a version or an option a user
// reports, add or widen a row here.

// option is one option of a command.
type option struct {
	value   int      // 0: a flag; 1: needs =VALUE (or the next word); 2: the value is optional (--firstdisk[=...])
	allowed []string // when not nil, the only values accepted (case-insensitive)
}

// command is one kickstart command (or % section) for a range of versions.
type command struct {
	names    []string // the name and its aliases, lower case
	since    string   // first ESXi version that knows it ("4.0")
	until    string   // last one ("" for still current)
	options  map[string]option
	args     [2]int   // positional words: at least, at most (-1 no limit)
	argValid []string // when not nil, the first positional word must be one of these
	once     bool     // the installer takes it once; a second is a mistake
	section  bool     // %pre/%post/%firstboot: the lines after it are a script
	secret   bool     // its words are the root password: no finding quotes them (findings go to terminals, JSON and manifest.json)
}

var (
	flag      = option{}
	valued    = option{value: 1}
	maybe     = option{value: 2}
	disk5     = map[string]option{"--disk": valued, "--drive": valued, "--firstdisk": maybe, "--ignoressd": flag}
	interpOpt = option{value: 1, allowed: []string{"python", "busybox"}}
)

func with(base map[string]option, more map[string]option) map[string]option {
	out := map[string]option{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// grammar is every command the installer knows.
var grammar = []command{
	{names: []string{"vmaccepteula", "accepteula"}, since: "4.0", once: true},
	{names: []string{"clearpart"}, since: "4.0", options: map[string]option{"--drives": valued, "--alldrives": flag,
		"--ignoredrives": valued, "--overwritevmfs": flag, "--firstdisk": maybe}},
	{names: []string{"dryrun"}, since: "4.0", once: true},
	{names: []string{"autopart"}, since: "4.0", until: "4.1", once: true,
		options: map[string]option{"--disk": valued, "--drive": valued, "--firstdisk": maybe, "--overwritevmfs": flag}},
	{names: []string{"install"}, since: "4.0", until: "4.1", once: true, args: [2]int{1, 2},
		argValid: []string{"cdrom", "usb", "nfs", "url"}, options: map[string]option{"--server": valued, "--dir": valued}},
	{names: []string{"install"}, since: "5.0", once: true, options: with(disk5, map[string]option{
		"--overwritevsan": flag, "--overwritevmfs": flag, "--preservevmfs": flag, "--novmfsondisk": flag})},
	{names: []string{"installorupgrade"}, since: "5.0", once: true, options: with(disk5, map[string]option{
		"--overwritevsan": flag, "--overwritevmfs": flag, "--forcemigrate": flag})},
	{names: []string{"upgrade"}, since: "5.0", once: true, options: with(disk5, map[string]option{
		"--deletecosvmdk": flag, "--forcemigrate": flag})},
	{names: []string{"keyboard"}, since: "4.0", once: true, args: [2]int{1, -1}},
	{names: []string{"serialnum", "vmserialnum"}, since: "4.0", once: true, options: map[string]option{"--esx": valued}},
	{names: []string{"network"}, since: "4.0", once: true, options: map[string]option{
		"--bootproto": {value: 1, allowed: []string{"dhcp", "static"}}, "--device": valued, "--ip": valued,
		"--gateway": valued, "--nameserver": valued, "--netmask": valued, "--hostname": valued,
		"--vlanid": valued, "--addvmportgroup": {value: 1, allowed: []string{"0", "1"}}}},
	{names: []string{"paranoid"}, since: "4.0", once: true},
	{names: []string{"part", "partition"}, since: "4.0", args: [2]int{1, 1},
		options: map[string]option{"--ondisk": valued, "--ondrive": valued, "--onfirstdisk": maybe}},
	{names: []string{"reboot"}, since: "4.0", once: true, options: map[string]option{"--noeject": flag}},
	{names: []string{"rootpw"}, since: "4.0", once: true, secret: true, args: [2]int{1, 1}, options: map[string]option{"--iscrypted": flag}},
	{names: []string{"%include", "include"}, since: "4.0", args: [2]int{1, 1}},
	{names: []string{"%pre"}, since: "4.0", section: true, options: map[string]option{"--interpreter": interpOpt}},
	{names: []string{"%post"}, since: "4.0", section: true, options: map[string]option{"--interpreter": interpOpt,
		"--ignorefailure": {value: 1, allowed: []string{"true", "false"}}}},
	{names: []string{"%firstboot"}, since: "4.0", section: true, options: map[string]option{"--interpreter": interpOpt}},
}

// versionLess compares "4.1" and "7.0" style versions.
func versionLess(a, b string) bool {
	am, an := splitVersion(a)
	bm, bn := splitVersion(b)
	return am < bm || am == bm && an < bn
}

func splitVersion(v string) (int, int) {
	major, minor := 0, 0
	i := 0
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		major = major*10 + int(v[i]-'0')
	}
	if i < len(v) && v[i] == '.' {
		for i++; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
			minor = minor*10 + int(v[i]-'0')
		}
	}
	return major, minor
}

// knows reports whether c is in version v.
func (c *command) knows(v string) bool {
	return !versionLess(v, c.since) && (c.until == "" || !versionLess(c.until, v))
}

// lookup returns the command named name for version v, and any other
// version's command of that name (to say which versions have it).
func lookup(name, v string) (here, elsewhere *command) {
	for i := range grammar {
		c := &grammar[i]
		for _, n := range c.names {
			if n != name {
				continue
			}
			if c.knows(v) {
				return c, nil
			}
			elsewhere = c
		}
	}
	return nil, elsewhere
}
