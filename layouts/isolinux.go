package layouts

import (
	"fmt"
	"strings"
)

const (
	maxConfigBytes = 64 << 10 // largest isolinux.cfg read
	maxConfigLines = 4096     // lines parsed
)

// Isolinux is a parsed isolinux.cfg (or syslinux.cfg): global settings and
// labels. Parsing is tolerant: keywords in any case, CRLF or LF, "#"
// comments, unknown keywords ignored ("include" files are not followed).
type Isolinux struct {
	Default string  // DEFAULT: a label name or a module such as menu.c32
	Timeout string  // TIMEOUT, in tenths of a second, as written
	Title   string  // MENU TITLE
	Labels  []Label // in file order
}

// Label is one LABEL block.
type Label struct {
	Name      string // LABEL argument
	Line      int    // line number of the LABEL keyword (1-based)
	MenuLabel string // MENU LABEL
	Kernel    string // KERNEL (or LINUX, COM32) argument
	Append    string // APPEND argument
	AppendAt  int    // line number of the APPEND keyword
	Localboot string // LOCALBOOT argument ("" when absent)
}

// ParseIsolinux parses config text. It fails only on size and binary bytes.
func ParseIsolinux(text []byte) (*Isolinux, error) {
	if len(text) > maxConfigBytes {
		return nil, fmt.Errorf("%d bytes: larger than %d", len(text), maxConfigBytes)
	}
	if i := strings.IndexByte(string(text), 0); i >= 0 {
		return nil, fmt.Errorf("NUL byte at offset %d: not a text file", i)
	}
	c := &Isolinux{}
	var cur *Label
	lines := strings.Split(string(text), "\n")
	if len(lines) > maxConfigLines {
		return nil, fmt.Errorf("%d lines: more than %d", len(lines), maxConfigLines)
	}
	for n, line := range lines {
		line = strings.TrimSpace(strings.ReplaceAll(line, "\r", " "))
		if line == "" || line[0] == '#' {
			continue
		}
		kw, arg := split(line)
		if strings.EqualFold(kw, "menu") {
			sub, rest := split(arg)
			kw, arg = "menu "+strings.ToLower(sub), rest
		}
		switch strings.ToLower(kw) {
		case "label":
			c.Labels = append(c.Labels, Label{Name: arg, Line: n + 1})
			cur = &c.Labels[len(c.Labels)-1]
		case "default":
			c.Default = arg
		case "timeout":
			c.Timeout = arg
		case "menu title":
			c.Title = arg
		case "menu label":
			if cur != nil {
				cur.MenuLabel = arg
			}
		case "kernel", "linux", "com32":
			if cur != nil {
				cur.Kernel = arg
			}
		case "append":
			if cur != nil {
				cur.Append, cur.AppendAt = arg, n+1
			}
		case "localboot":
			if cur != nil {
				cur.Localboot = arg
			}
		}
	}
	return c, nil
}

// split returns the first word of s and the rest, trimmed.
func split(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i+1:])
}

// Module is one entry of a multiboot module list.
type Module struct {
	Name string // "vmkboot.gz" (as written, a leading "/" removed)
	Args string // text after the name up to the next "---" ("" if none)
}

// ParseModules splits an mboot.c32 APPEND line ("a.gz x=1 --- b.gz --- c.gz")
// at "---" words into modules.
func ParseModules(appendLine string) ([]Module, error) {
	var mods []Module
	var cur []string
	flush := func() error {
		if len(cur) == 0 {
			return fmt.Errorf("module %d of %q is empty", len(mods)+1, appendLine)
		}
		name := strings.TrimPrefix(cur[0], "/")
		if name == "" || name == "." || name == "---" || strings.HasSuffix(name, "/") {
			return fmt.Errorf("module %d of %q names no file (%q)", len(mods)+1, appendLine, cur[0])
		}
		mods = append(mods, Module{Name: name, Args: strings.Join(cur[1:], " ")})
		cur = nil
		return nil
	}
	for _, w := range strings.Fields(appendLine) {
		if w != "---" {
			cur = append(cur, w)
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return mods, nil
}
