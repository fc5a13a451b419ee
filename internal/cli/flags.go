package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/config"
)

// tenth is syslinux's TIMEOUT unit.
const tenth = 100 * time.Millisecond

// menuTimeout is build's --timeout: a duration (5s, 1m30s; 0 waits for a
// key), held as written and converted by tenths.
type menuTimeout struct{ text string }

func (t *menuTimeout) String() string     { return t.text }
func (t *menuTimeout) Type() string       { return "duration" }
func (t *menuTimeout) Set(s string) error { t.text = s; return nil }

// tenths converts the flag to syslinux's tenths of a second, rounded to
// the nearest. A bare number is read as tenths, as --timeout was before
// it took a duration; deprecated says so.
func (t *menuTimeout) tenths() (n int, deprecated string, err error) {
	bad := func(why string) (int, string, error) {
		return 0, "", fmt.Errorf("--timeout %s: %s", t.text, why)
	}
	if n, err := strconv.Atoi(t.text); err == nil {
		if n < 0 || n > maxTimeout {
			return bad(fmt.Sprintf("want 0 (wait for a key) to %d tenths of a second (%s)", maxTimeout, time.Duration(maxTimeout)*tenth))
		}
		if n != 0 {
			deprecated = fmt.Sprintf("--timeout %d: a bare number is read as tenths of a second (%s), as before; write --timeout %s",
				n, time.Duration(n)*tenth, time.Duration(n)*tenth)
		}
		return n, deprecated, nil
	}
	d, err := time.ParseDuration(t.text)
	switch {
	case err != nil:
		return bad("want a duration such as 5s or 1m30s (0: wait for a key)")
	case d < 0:
		return bad("want 0 (wait for a key) or more")
	case d > time.Duration(maxTimeout)*tenth:
		return bad(fmt.Sprintf("syslinux waits at most %s (%d tenths of a second)", time.Duration(maxTimeout)*tenth, maxTimeout))
	}
	n = int((d + tenth/2) / tenth)
	if n == 0 && d > 0 {
		return bad("syslinux counts tenths of a second, and this rounds to 0, which waits for a key forever; use 0 to mean that, or 100ms or more")
	}
	return n, "", nil
}

// serialFlag is build's --serial: a bool (--serial, --serial=false) that
// also takes the on and off it took before.
type serialFlag struct {
	on     bool
	legacy string // "on" or "off" when spelt so
}

func (s *serialFlag) String() string   { return strconv.FormatBool(s.on) }
func (s *serialFlag) Type() string     { return "bool" }
func (s *serialFlag) IsBoolFlag() bool { return true }

func (s *serialFlag) Set(v string) error {
	switch strings.ToLower(v) {
	case "on", "off":
		s.on, s.legacy = strings.EqualFold(v, "on"), strings.ToLower(v)
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want true or false (or on, off)")
	}
	s.on, s.legacy = b, ""
	return nil
}

func (s *serialFlag) deprecated() string {
	if s.legacy == "" {
		return ""
	}
	return fmt.Sprintf("--serial %s: write --serial=%v", s.legacy, s.on)
}

// joinSerial rewrites build's old "--serial on|off" (two arguments) as
// --serial=on|off: --serial is a bool now and would leave "off" behind as an
// argument. build takes no arguments, so nothing else is changed.
func joinSerial(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			return append(out, args[i:]...)
		}
		if args[i] == "--serial" && i+1 < len(args) && (args[i+1] == "on" || args[i+1] == "off") {
			out = append(out, "--serial="+args[i+1])
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// usesID finds {{.id}} in a template's text.
var usesID = regexp.MustCompile(`\{\{[^}]*\.id\b`)

// singleID sets the template variable id of a single build, as an
// inventory row sets it for each host: from --id, else --host. host is
// --host, else --id. templates are the texts that may use {{.id}}, by flag.
func singleID(host, id string, vars map[string]string, templates map[string]string) (string, error) {
	if id == "" {
		id = host
	}
	if host == "" {
		host = id
	}
	if err := config.CheckValue("--id", id); err != nil {
		return "", err
	}
	if v, ok := vars["id"]; ok && id != "" && v != id {
		return "", fmt.Errorf("--var id=%s and --id/--host %s disagree: give one", v, id)
	} else if ok {
		return host, nil
	}
	if id != "" {
		vars["id"] = id
		return host, nil
	}
	for _, flag := range []string{"--ks", "--ks-template", "--cfg-template"} {
		if usesID.MatchString(templates[flag]) {
			return "", fmt.Errorf("%s uses {{.id}}, which a single build takes from --id or --host (an inventory, from its id column)", flag)
		}
	}
	return host, nil
}
