package config

import (
	"fmt"
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
