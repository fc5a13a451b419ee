package bootcfg

import (
	"fmt"
	"path"
	"strings"
)

// Ref is one file boot.cfg names: the kernel or a module.
type Ref struct {
	Key  string // "kernel" or "modules"
	Line int    // line number of that key
	Name string // as written ("/b.b00")
	Args string // text after a module's name up to the next "---" ("" if none)
	Path string // where mboot reads it on the medium, without a leading "/" ("b.b00", "esxi/k.b00")
}

// Files returns the kernel and then the modules in boot order, resolved as
// mboot does: a name starting with "/" from the medium's root, any other
// name below prefix= when it is set and not empty, else below dir (the
// folder holding boot.cfg, "" for the root). Network names (prefix= or a
// module with "://") and names that climb out of the medium are errors.
func (f *File) Files(dir string) ([]Ref, error) {
	k, ok := f.Get("kernel")
	if !ok || k.Value == "" {
		return nil, fmt.Errorf("no kernel= line")
	}
	base := strings.Trim(dir, "/")
	if p, ok := f.Get("prefix"); ok && p.Value != "" {
		if strings.Contains(p.Value, "://") {
			return nil, fmt.Errorf("line %d: prefix=%s is a network location; only files on the medium can be copied", p.N, p.Value)
		}
		base = strings.Trim(p.Value, "/")
	}
	resolve := func(l Line, name string) (string, error) {
		if strings.Contains(name, "://") {
			return "", fmt.Errorf("line %d: %s= names %s, a network location; only files on the medium can be copied", l.N, l.Key, name)
		}
		p := name
		if !strings.HasPrefix(name, "/") {
			p = base + "/" + name
		}
		p = path.Clean("/" + p)
		if p == "/" || strings.Contains(name, "..") {
			return "", fmt.Errorf("line %d: %s= names %q, not a file on the medium", l.N, l.Key, name)
		}
		return p[1:], nil
	}
	kname, _ := cut(k.Value)
	kp, err := resolve(k, kname)
	if err != nil {
		return nil, err
	}
	refs := []Ref{{Key: "kernel", Line: k.N, Name: kname, Path: kp}}
	m, ok := f.Get("modules")
	if !ok {
		return refs, nil
	}
	mods, err := SplitModules(m.Value)
	if err != nil {
		return nil, fmt.Errorf("line %d: modules=: %w", m.N, err)
	}
	for _, mod := range mods {
		p, err := resolve(m, mod.Name)
		if err != nil {
			return nil, err
		}
		refs = append(refs, Ref{Key: "modules", Line: m.N, Name: mod.Name, Args: mod.Args, Path: p})
	}
	return refs, nil
}

// Module is one entry of a modules= list.
type Module struct {
	Name string // as written ("/s.v00")
	Args string // text after the name up to the next "---" ("" if none)
}

// SplitModules splits a modules= value where mboot does: at every "---",
// inside a word too (find_next_listitem uses strstr). An empty entry (two
// "---" in a row, or one at either end), which mboot skips, is an error
// here; an empty value is no modules.
func SplitModules(v string) ([]Module, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var mods []Module
	for i, item := range strings.Split(v, "---") {
		words := strings.Fields(item)
		if len(words) == 0 {
			return nil, fmt.Errorf("entry %d is empty (\"---\" with no module name)", i+1)
		}
		mods = append(mods, Module{Name: words[0], Args: strings.Join(words[1:], " ")})
	}
	return mods, nil
}

// cut returns the first word of s and the rest.
func cut(s string) (string, string) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return "", ""
	}
	return f[0], strings.Join(f[1:], " ")
}
