package inspect

import (
	"fmt"
	"strconv"
	"strings"
)

// VMware's mboot (mboot.c32 on syslinux 3.86, mboot.efi on UEFI) as its
// source behaves (github.com/vmware/esx-boot: mboot/mboot.c,
// mboot/config.c, bootlib/parse.c, bootlib/string.c, bootlib/file.c), not
// as its manual says. Every rule here is a row of TestMbootRules.

// mbootKey is one key of mboot's boot.cfg table, in the table's order:
// a key is matched by prefix, so the first one the written key begins
// (config.c MBOOT_OPTIONS).
type mbootKey struct {
	name    string
	integer bool // OPT_INTEGER: a value that is not a number fails the whole file
}

var mbootKeys = []mbootKey{
	{"kernel", false}, {"kernelopt", false}, {"modules", false}, {"title", false},
	{"prefix", false}, {"nobootif", true}, {"timeout", true}, {"noquirks", true},
	{"norts", true}, {"crypto", false}, {"runtimewd", true}, {"tftpblksize", true},
	{"acpitables", false}, {"runtimewdtimeout", true}, {"skip", true}, {"errtimeout", true},
}

// mbootNote is one verdict on a line of boot.cfg or of the command line.
type mbootNote struct {
	line  int // 1-based line of boot.cfg; 0 for the command line
	fault bool
	text  string
}

// mbootCfg is boot.cfg as mboot's parse_config_file reads it.
type mbootCfg struct {
	values map[string]string // key (table name) → value; absent when unset or empty
	lineOf map[string]int    // key → the line that set it last
	notes  []mbootNote
	failed bool // the parse stopped with an error: mboot boots nothing
}

// mbootSpace is C's isspace, which str_merge_spaces folds.
func mbootSpace(r rune) bool { return r == ' ' || (r >= '\t' && r <= '\r') }

// parseMbootCfg reads boot.cfg: lines split on LF; each line's white-space
// runs (CR included) become one space and the ends are trimmed; a line
// that then starts with '#' is a comment; the text before the first '='
// must be a case-insensitive prefix of a key (the first in table order
// wins; a space before '=' is not skipped, so "kernel = x" matches
// nothing); unknown keys are ignored; an empty value unsets the key; an
// integer key with a non-number stops the parse; the last of a repeated
// key wins.
func parseMbootCfg(data []byte) mbootCfg {
	c := mbootCfg{values: map[string]string{}, lineOf: map[string]int{}}
	note := func(line int, fault bool, f string, a ...any) {
		c.notes = append(c.notes, mbootNote{line, fault, fmt.Sprintf(f, a...)})
	}
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.Join(strings.FieldsFunc(raw, mbootSpace), " ")
		if line == "" || line[0] == '#' {
			continue
		}
		written, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k := matchMbootKey(written)
		if k == nil {
			if t := strings.TrimRight(written, " "); t != written {
				if k2 := matchMbootKey(t); k2 != nil {
					note(n, false, "%q has a space before '=': mboot ignores the line (it would set %s= otherwise)", line, k2.name)
				}
			}
			continue
		}
		if !strings.EqualFold(written, k.name) {
			note(n, false, "%q sets %s=: mboot matches keys by prefix", line, k.name)
		}
		value = strings.TrimLeft(value, " ")
		if prev, ok := c.lineOf[k.name]; ok {
			note(n, false, "%s= again (line %d): mboot uses this last one", k.name, prev)
		}
		c.lineOf[k.name] = n
		if value == "" {
			delete(c.values, k.name)
			continue
		}
		if k.integer && !mbootNumber(value) {
			note(n, true, "%s=%s is not a number: mboot stops reading the file with a syntax error and boots nothing", k.name, value)
			c.failed = true
			return c
		}
		c.values[k.name] = value
	}
	if v, ok := c.values["skip"]; ok && v != "0" && !strings.HasPrefix(v, "-") {
		c.notes = append(c.notes, mbootNote{c.lineOf["skip"], true, "skip=" + v + ": mboot skips this configuration and boots nothing"})
		c.failed = true
	}
	if _, ok := c.values["kernel"]; !ok && !c.failed {
		line := c.lineOf["kernel"]
		c.notes = append(c.notes, mbootNote{line, true, "no kernel= is set: mboot stops with \"kernel=<FILEPATH> must be set\""})
		c.failed = true
	}
	return c
}

// matchMbootKey is locate_value's strncasecmp: written is a prefix of the
// key (the empty text matches the first key).
func matchMbootKey(written string) *mbootKey {
	for i := range mbootKeys {
		k := &mbootKeys[i]
		if len(written) <= len(k.name) && strings.EqualFold(k.name[:len(written)], written) {
			return k
		}
	}
	return nil
}

// mbootNumber is bootlib's is_number: an optional '-' and digits only.
func mbootNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// mbootArgs is mboot's command line (syslinux's APPEND), parsed by
// esx-boot's own getopt: options up to the first word that is not one (or
// "--"); the words after them go to the kernel's command line.
type mbootArgs struct {
	cfg    string   // -c FILE; "" for the default boot.cfg
	volume int      // -p N; 0 reads through the firmware (syslinux's file API)
	pSet   bool     // -p was given
	extra  []string // words after the options, appended to kernelopt
	notes  []mbootNote
}

// mbootOptArgs are mboot's options that take a value; mbootNumeric must be numbers.
const (
	mbootOptArgs = "cSstRpELbAq"
	mbootOptFlag = "aeVDHQUr"
	mbootNumeric = "spELb"
)

func parseMbootArgs(words []string) mbootArgs {
	var a mbootArgs
	bad := func(f string, x ...any) {
		a.notes = append(a.notes, mbootNote{0, true, fmt.Sprintf(f, x...) + ": mboot stops before reading boot.cfg"})
	}
	i := 0
	for ; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			i++
			break
		}
		if len(w) < 2 || w[0] != '-' {
			break
		}
		for j := 1; j < len(w); j++ {
			o := w[j]
			if strings.IndexByte(mbootOptFlag, o) >= 0 {
				continue
			}
			if strings.IndexByte(mbootOptArgs, o) < 0 {
				bad("unknown option -%c", o)
				return a
			}
			val := w[j+1:]
			if val == "" {
				if i+1 >= len(words) {
					bad("-%c has no value", o)
					return a
				}
				i++
				val = words[i]
			}
			if strings.IndexByte(mbootNumeric, o) >= 0 && !mbootNumber(val) {
				bad("-%c %s is not a number", o, val)
				return a
			}
			switch o {
			case 'c':
				a.cfg = val
			case 'p':
				a.volume, _ = strconv.Atoi(val)
				a.pSet = true
			}
			break
		}
	}
	a.extra = words[i:]
	return a
}

// mbootAbsolute is bootlib's is_absolute: a leading '/' or '\', or a URL.
func mbootAbsolute(p string) bool {
	return strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || strings.Contains(p, "://")
}

// mbootPath is make_path: an absolute path as it is, else prefix/path
// (path alone when the prefix is empty).
func mbootPath(prefix, p string) string {
	p = strings.TrimLeftFunc(p, mbootSpace)
	if mbootAbsolute(p) {
		return p
	}
	if prefix = strings.TrimLeftFunc(prefix, mbootSpace); prefix == "" {
		return p
	}
	return prefix + "/" + p
}

// mbootDir is strip_basename: the folder of a file path, "" for the root.
func mbootDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return strings.TrimRight(p[:i], "/")
}
