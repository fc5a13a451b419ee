package config

import (
	"fmt"
	"regexp"
	"strconv"
	"text/template"
	"text/template/parse"
)

// MaxRangeDepth is how deeply {{range}} may nest in a template. A loop
// that prints nothing is not bounded by MaxRendered: {{range}} five deep
// over an 8.0 ISO's 83 modules runs 4 billion times. Two deep is more than
// any boot config needs.
const MaxRangeDepth = 2

// MaxRangeCount is the largest number a {{range N}} may count to.
const MaxRangeCount = 65536

// checkWork refuses templates whose work is not bounded by their output:
// {{range}} nested deeper than MaxRangeDepth, counting through
// {{template}} calls, {{range N}} over more than MaxRangeCount, and
// templates that call themselves.
func checkWork(t *template.Template) error {
	var walk func(n parse.Node, depth int, calls []string) error
	walk = func(n parse.Node, depth int, calls []string) error {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Nodes {
				if err := walk(c, depth, calls); err != nil {
					return err
				}
			}
		case *parse.RangeNode:
			if depth+1 > MaxRangeDepth {
				return fmt.Errorf("line %d: {{range}} nested %d deep (at most %d)", n.Line, depth+1, MaxRangeDepth)
			}
			if err := countLimit(n); err != nil {
				return err
			}
			if err := walk(n.List, depth+1, calls); err != nil {
				return err
			}
			return walk(n.ElseList, depth, calls)
		case *parse.IfNode:
			if err := walk(n.List, depth, calls); err != nil {
				return err
			}
			return walk(n.ElseList, depth, calls)
		case *parse.WithNode:
			if err := walk(n.List, depth, calls); err != nil {
				return err
			}
			return walk(n.ElseList, depth, calls)
		case *parse.TemplateNode:
			for _, c := range calls {
				if c == n.Name {
					return fmt.Errorf("line %d: {{template %q}} calls itself", n.Line, n.Name)
				}
			}
			if sub := t.Lookup(n.Name); sub != nil && sub.Tree != nil {
				return walk(sub.Tree.Root, depth, append(calls, n.Name))
			}
		}
		return nil
	}
	if t.Tree == nil {
		return nil
	}
	return walk(t.Tree.Root, 0, []string{t.Name()})
}

// countLimit refuses {{range N}} with a number N above MaxRangeCount (a
// template has no arithmetic: every other count comes from the data).
func countLimit(n *parse.RangeNode) error {
	if n.Pipe == nil {
		return nil
	}
	for _, c := range n.Pipe.Cmds {
		for _, a := range c.Args {
			if num, ok := a.(*parse.NumberNode); ok && (!num.IsInt || num.Int64 > MaxRangeCount) {
				return fmt.Errorf("line %d: {{range %s}} counts past %d", n.Line, num.Text, MaxRangeCount)
			}
		}
	}
	return nil
}

// MaxPrintfWidth bounds the width and precision of a template's printf
// verbs: "%0999999d" makes a megabyte that a loop may throw away unprinted.
const MaxPrintfWidth = 4096

// MaxMade bounds the bytes a template's string functions (printf, print,
// println, html, js, urlquery) make in one render, printed or not: a
// variable doubled by {{$a = print $a $a}} thirty times would be 4 TB.
const MaxMade = 4 * MaxRendered

var printfVerb = regexp.MustCompile(`%[-+# 0]*(\d+|\*)?(?:\.(\d+|\*))?`)

// budget counts what a render's string functions make.
type budget struct{ made int }

func newBudget() *budget { return &budget{} }

// take counts s against MaxMade.
func (b *budget) take(fn, s string) (string, error) {
	if b.made += len(s); b.made > MaxMade {
		return "", fmt.Errorf("%s: the template's functions made more than %d bytes", fn, MaxMade)
	}
	return s, nil
}

// funcs are text/template's string functions, bounded.
func (b *budget) funcs() template.FuncMap {
	return template.FuncMap{
		"printf": func(format string, args ...any) (string, error) {
			for _, m := range printfVerb.FindAllStringSubmatch(format, -1) {
				for _, n := range m[1:] {
					if v, err := strconv.Atoi(n); n == "*" || err == nil && v > MaxPrintfWidth {
						return "", fmt.Errorf("printf %q: widths and precisions are at most %d", format, MaxPrintfWidth)
					}
				}
			}
			return b.take("printf", fmt.Sprintf(format, args...))
		},
		"print":    func(args ...any) (string, error) { return b.take("print", fmt.Sprint(args...)) },
		"println":  func(args ...any) (string, error) { return b.take("println", fmt.Sprintln(args...)) },
		"html":     func(args ...any) (string, error) { return b.take("html", template.HTMLEscaper(args...)) },
		"js":       func(args ...any) (string, error) { return b.take("js", template.JSEscaper(args...)) },
		"urlquery": func(args ...any) (string, error) { return b.take("urlquery", template.URLQueryEscaper(args...)) },
	}
}
