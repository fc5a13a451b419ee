package bootcfg

import (
	"fmt"
	"strings"
)

// Opt is one kernel option word, "key=value".
type Opt struct {
	Key   string // "ks", "ip", ...
	Value string // no white space or control bytes
}

// NetKeys are the installer's network options, in the order EditKernelOpt
// callers write them after ks= (esxi-media.md: ks= with ip=, netmask=,
// gateway=, nameserver=, netdevice=, vlanid=).
var NetKeys = []string{"ip", "netmask", "gateway", "nameserver", "netdevice", "vlanid"}

// KernelOpt returns the kernelopt= value ("" when there is none).
func (f *File) KernelOpt() string {
	l, _ := f.Get("kernelopt")
	return l.Value
}

// OptValue returns the value of the first word "key=value" of a kernel
// option string whose key matches (ignoring case), and whether there is one.
func OptValue(opts, key string) (string, bool) {
	for _, w := range strings.Fields(opts) {
		if k, v, ok := strings.Cut(w, "="); ok && strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// EditKernelOpt rewrites every kernelopt= line: words in drop (a bare word
// such as "cdromBoot", or the key of a key=value word; case ignored) and
// words whose key an Opt in set names are removed, the other words keep
// their order, and set is appended in its order. Without a kernelopt= line
// one is added after kernel=. Every other line keeps its bytes.
func (f *File) EditKernelOpt(set []Opt, drop []string) error {
	gone := map[string]bool{}
	for _, d := range drop {
		gone[strings.ToLower(d)] = true
	}
	for _, o := range set {
		if err := checkWord(o.Key+"="+o.Value, o.Key); err != nil {
			return err
		}
		gone[strings.ToLower(o.Key)] = true
	}
	edit := func(v string) string {
		var words []string
		for _, w := range strings.Fields(v) {
			k, _, _ := strings.Cut(w, "=")
			if !gone[strings.ToLower(k)] {
				words = append(words, w)
			}
		}
		for _, o := range set {
			words = append(words, o.Key+"="+o.Value)
		}
		return strings.Join(words, " ")
	}
	changed := false
	for i := range f.Lines {
		if l := &f.Lines[i]; l.Key == "kernelopt" {
			f.Set1(i, edit(l.Value))
			changed = true
		}
	}
	if !changed {
		f.Set("kernelopt", edit(""), "kernel")
	}
	return nil
}

// Set1 gives line i (an index into Lines, a key=value line) the value v,
// keeping its indent and line end and writing its key in full ("kern="
// becomes "kernel="), so that mboot reads the line as written.
func (f *File) Set1(i int, v string) {
	l := &f.Lines[i]
	if l.Key == "" {
		return
	}
	indent := l.Raw[:len(l.Raw)-len(strings.TrimLeft(l.Raw, " \t"))]
	l.Raw, l.Value, l.Note, l.Fatal = indent+l.Key+"="+v, v, "", false
}

// checkWord refuses an option that would not stay one word of the line.
func checkWord(w, what string) error {
	k, v, _ := strings.Cut(w, "=")
	if k == "" || strings.ContainsAny(k, "= \t") {
		return fmt.Errorf("kernel option %q: not a key", what)
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == ' ' || c == '\t':
			return fmt.Errorf("kernel option %s=%q: white space at byte %d (it would split kernelopt=)", k, v, i)
		case c < 0x20 || c == 0x7F:
			return fmt.Errorf("kernel option %s=%q: control byte 0x%02X at byte %d", k, v, c, i)
		}
	}
	return nil
}
