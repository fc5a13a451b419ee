package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// applyConfig sets fs's flags from the YAML file at path (--config): its
// keys are the command's long flag names. A flag given on the command line
// wins, except --var, whose entries are merged key by key (the command
// line's win). Relative paths of file flags are relative to the file's
// folder. Every mistake names the file and the line.
func applyConfig(fs *pflag.FlagSet, path string) error {
	text, err := readOptional(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s line %d: want flag names and their values (iso: ESXi.iso), not a %s", path, root.Line, kindName(root))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		at := func(n *yaml.Node) string { return fmt.Sprintf("%s line %d", path, n.Line) }
		f := fs.Lookup(k.Value)
		if f == nil || k.Value == "config" || k.Value == "help" || k.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: unknown key %q: %s has no --%s flag to set from a file", at(k), k.Value, fs.Name(), k.Value)
		}
		if line, ok := seen[k.Value]; ok {
			return fmt.Errorf("%s: %s is set twice (first on line %d)", at(k), k.Value, line)
		}
		seen[k.Value] = k.Line
		values, err := nodeValues(f, v)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", at(v), k.Value, err)
		}
		if hasAnnotation(f, annPath) {
			for j, s := range values {
				if s != "" && !filepath.IsAbs(s) {
					values[j] = filepath.Join(filepath.Dir(path), s)
				}
			}
		}
		if fs.Changed(f.Name) {
			sv, merge := f.Value.(pflag.SliceValue)
			if f.Name != "var" || !merge {
				continue // the command line wins
			}
			values = append(values, sv.GetSlice()...)
			if err := sv.Replace(values); err != nil {
				return fmt.Errorf("%s: %s: %w", at(v), k.Value, err)
			}
			continue
		}
		for _, s := range values {
			if err := fs.Set(f.Name, s); err != nil {
				return fmt.Errorf("%s: %s: %w", at(v), k.Value, err)
			}
		}
	}
	return nil
}

// nodeValues is what a key's value sets its flag to: a scalar, a list
// for a repeatable flag, and for --var a mapping of variables.
func nodeValues(f *pflag.Flag, v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	repeatable := strings.HasSuffix(f.Value.Type(), "Array") || strings.HasSuffix(f.Value.Type(), "Slice")
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return nil, errors.New("no value")
	case v.Kind == yaml.ScalarNode:
		return []string{v.Value}, nil
	case v.Kind == yaml.SequenceNode && repeatable:
		var out []string
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: want a single value in the list, not a %s", item.Line, kindName(item))
			}
			out = append(out, item.Value)
		}
		return out, nil
	case v.Kind == yaml.MappingNode && f.Name == "var":
		var out []string
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i+1].Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: variable %s: want a single value, not a %s", v.Content[i+1].Line, v.Content[i].Value, kindName(v.Content[i+1]))
			}
			out = append(out, v.Content[i].Value+"="+v.Content[i+1].Value)
		}
		return out, nil
	case repeatable:
		return nil, fmt.Errorf("want a value or a list of values, not a %s", kindName(v))
	}
	return nil, fmt.Errorf("want a single value, not a %s (--%s is not repeatable)", kindName(v), f.Name)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	}
	return "value"
}
