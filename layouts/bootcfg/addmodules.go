package bootcfg

import (
	"bytes"
	"fmt"
	"strings"
)

// CheckModuleName refuses a module path that mboot would not read back as
// one module of a modules= list: it splits the list at every "---" (inside
// a word too) and takes an entry's first word as the path, so a name with
// "---", white space or control bytes would become other entries or
// options; a "#" or "=" is refused as well (comments and keys elsewhere in
// the file).
func CheckModuleName(name string) error {
	if name == "" {
		return fmt.Errorf("empty module name")
	}
	if strings.Contains(name, "---") {
		return fmt.Errorf("module name %q has \"---\": mboot splits modules= at every \"---\", so it would read two modules", name)
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == ' ' || c == '\t':
			return fmt.Errorf("module name %q: white space at byte %d (mboot would read the rest as the module's options)", name, i)
		case c < 0x20 || c >= 0x7F:
			return fmt.Errorf("module name %q: byte 0x%02X at byte %d is not printable ASCII", name, c, i)
		case c == '#' || c == '=':
			return fmt.Errorf("module name %q has %q, which boot.cfg reads as syntax", name, c)
		}
	}
	return nil
}

// AppendModules adds names at the end of the modules= list mboot reads
// (the last modules= line), each as " --- name", keeping the line's indent
// and end; without a modules= line, one is added after kernel=.
func (f *File) AppendModules(names []string) error {
	if len(names) == 0 {
		return nil
	}
	for _, n := range names {
		if err := CheckModuleName(n); err != nil {
			return err
		}
	}
	add := strings.Join(names, " --- ")
	for i := len(f.Lines) - 1; i >= 0; i-- {
		if l := f.Lines[i]; l.Key == "modules" {
			v := add
			if strings.TrimSpace(l.Value) != "" {
				v = l.Value + " --- " + add
			}
			f.Set1(i, v)
			return nil
		}
	}
	f.Set("modules", add, "kernel")
	return nil
}

// HostEditModules reports whether edited is HostEdit of orig with the ks=
// and network options edited's kernelopt= carries, followed by
// AppendModules of the modules edited's list has beyond orig's, and
// returns those added modules (none for a plain host edit).
func HostEditModules(orig, edited []byte) ([]string, bool) {
	o, err := Parse(orig)
	if err != nil {
		return nil, false
	}
	e, err := Parse(edited)
	if err != nil {
		return nil, false
	}
	opts := e.KernelOpt()
	var set []Opt
	for _, k := range append([]string{"ks"}, NetKeys...) {
		if v, ok := OptValue(opts, k); ok {
			set = append(set, Opt{Key: k, Value: v})
		}
	}
	want, err := HostEdit(o, set)
	if err != nil {
		return nil, false
	}
	var added []string
	om, _ := o.Get("modules")
	em, _ := e.Get("modules")
	before, err1 := SplitModules(om.Value)
	after, err2 := SplitModules(em.Value)
	if err1 == nil && err2 == nil && len(after) > len(before) {
		for _, m := range after[len(before):] {
			if m.Args != "" {
				return nil, false
			}
			added = append(added, m.Name)
		}
		if err := want.AppendModules(added); err != nil {
			return nil, false
		}
	}
	return added, bytes.Equal(want.Bytes(), edited) || bytes.Equal(AvoidWholeSectors(want.Bytes()), edited)
}
