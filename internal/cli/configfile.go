package cli

import (
	"errors"
	"fmt"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"path/filepath"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// applyConfig sets fs's flags from the YAML file at path (--config): its
// keys are long flag names. One file serves every command: a key of
// another command's flag is ignored (but checked), and a section named
// after a command (check:, build:) holds keys for that command alone,
// which win over the file's top level. A flag given on the command line
// wins, except --var, whose entries are merged key by key (the command
// line's win, then the section's). Relative paths of file flags are
// relative to the file's folder. A key no command takes, a value of the
// wrong type and a key given twice are refused, naming the file and line.
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
	cf := configFile{path: path, fs: fs, values: map[string][]string{}}
	if err := cf.read(root, ""); err != nil {
		return err
	}
	for _, name := range cf.order {
		values := cf.values[name]
		if fs.Changed(name) {
			sv, merge := fs.Lookup(name).Value.(pflag.SliceValue)
			if name != "var" || !merge {
				continue // the command line wins
			}
			if err := sv.Replace(append(values, sv.GetSlice()...)); err != nil {
				return fmt.Errorf("%s: %s: %w", path, name, err)
			}
			continue
		}
		for _, s := range values {
			if err := fs.Set(name, s); err != nil {
				return fmt.Errorf("%s: %s: %w", path, name, err) // checked as read: not reached
			}
		}
	}
	return nil
}

// configFile is a --config file as one command reads it.
type configFile struct {
	path   string
	fs     *pflag.FlagSet      // the command's flags
	values map[string][]string // flag name → the values the file gives it
	order  []string            // flag names in the order first given
}

// dir is the config file's real folder (symlinks resolved, the file's own
// too): relative paths in it name files beside the file, wherever the
// path it was reached by goes.
func (cf *configFile) dir() string {
	if r, err := fileio.Real(cf.path); err == nil {
		return filepath.Dir(r)
	}
	return fileio.Folder(cf.path)
}

func (cf *configFile) at(n *yaml.Node) string { return fmt.Sprintf("%s line %d", cf.path, n.Line) }

// read takes the keys of mapping m: the file's top level (section "") or
// the section of a command. Another command's keys and sections are
// checked against its flags and left out.
func (cf *configFile) read(m *yaml.Node, section string) error {
	seen := map[string]int{}
	var mine *yaml.Node // this command's section, read after the top level
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: want a flag name as the key, not a %s", cf.at(k), kindName(k))
		}
		if line, ok := seen[k.Value]; ok {
			return fmt.Errorf("%s: %s is set twice (first on line %d)", cf.at(k), k.Value, line)
		}
		seen[k.Value] = k.Line
		if c := lookupCommand(k.Value); section == "" && c != nil && v.Kind == yaml.MappingNode {
			if c.name == cf.fs.Name() {
				mine = v
			} else if err := cf.check(v, c); err != nil {
				return err
			}
			continue
		}
		if err := cf.take(k, v, section); err != nil {
			return err
		}
	}
	if mine != nil {
		return cf.read(mine, cf.fs.Name())
	}
	return nil
}

// take sets key k to v for this command, or checks it for the commands
// that take it when this one does not.
func (cf *configFile) take(k, v *yaml.Node, section string) error {
	f := cf.fs.Lookup(k.Value)
	if k.Value == "config" || k.Value == "help" {
		f = nil
	}
	if f == nil {
		others := commandsWithFlag(k.Value)
		switch {
		case section != "":
			return fmt.Errorf("%s: unknown key %q in section %s: %s has no --%s%s", cf.at(k), k.Value, section, section, k.Value, takenBy(others, k.Value))
		case len(others) == 0:
			return unknownKey(cf.at(k), k.Value)
		}
		return checkValues(cf.at(v), others[0], k.Value, v) // another command's setting
	}
	values, err := nodeValues(f, v)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", cf.at(v), k.Value, err)
	}
	if err := checkValues(cf.at(v), lookupCommand(cf.fs.Name()), k.Value, v); err != nil {
		return err
	}
	if hasAnnotation(f, annPath) {
		for j, s := range values {
			if s != "" && !filepath.IsAbs(s) {
				values[j] = fileio.JoinUnder(cf.dir(), s) // Entered resolves its ".." after the links
			}
		}
	}
	if _, ok := cf.values[f.Name]; !ok {
		cf.order = append(cf.order, f.Name)
	} else if f.Name != "var" {
		cf.values[f.Name] = nil // the section's value replaces the top level's
	}
	cf.values[f.Name] = append(cf.values[f.Name], values...)
	return nil
}

// check checks the section of another command c: every key a flag of c's,
// of the right type.
func (cf *configFile) check(m *yaml.Node, c *command) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if line, ok := seen[k.Value]; ok {
			return fmt.Errorf("%s: %s is set twice (first on line %d)", cf.at(k), k.Value, line)
		}
		seen[k.Value] = k.Line
		fs, _ := c.flagSet(c.new())
		if k.Kind != yaml.ScalarNode || fs.Lookup(k.Value) == nil || k.Value == "config" || k.Value == "help" {
			return fmt.Errorf("%s: unknown key %q in section %s: %s has no --%s%s", cf.at(k), k.Value, c.name, c.name, k.Value,
				takenBy(commandsWithFlag(k.Value), k.Value))
		}
		if err := checkValues(cf.at(v), c, k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

// checkValues sets flag name of a fresh flag set of c to v's values, to
// refuse a value of the wrong type wherever the key is.
func checkValues(at string, c *command, name string, v *yaml.Node) error {
	fs, _ := c.flagSet(c.new())
	f := fs.Lookup(name)
	values, err := nodeValues(f, v)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", at, name, err)
	}
	for _, s := range values {
		if err := fs.Set(name, s); err != nil {
			return fmt.Errorf("%s: %s: %w", at, name, err)
		}
	}
	return nil
}

// commandsWithFlag are the commands that have flag --name.
func commandsWithFlag(name string) []*command {
	if name == "config" || name == "help" {
		return nil
	}
	var out []*command
	for _, c := range commands {
		if fs, _ := c.flagSet(c.new()); fs.Lookup(name) != nil {
			out = append(out, c)
		}
	}
	return out
}

// takenBy names the commands that take a key, for a key in the wrong section.
func takenBy(cs []*command, name string) string {
	if len(cs) == 0 {
		return ""
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	return fmt.Sprintf(" (%s takes it)", strings.Join(names, ", "))
}

// unknownKey is a key no command takes, with the nearest flag name.
func unknownKey(at, key string) error {
	seen := map[string]bool{}
	var names []string
	for _, c := range commands {
		fs, _ := c.flagSet(c.new())
		fs.VisitAll(func(f *pflag.Flag) {
			if !seen[f.Name] && f.Name != "config" && f.Name != "help" {
				seen[f.Name] = true
				names = append(names, f.Name)
			}
		})
	}
	if near := human.Nearest(key, names); near != "" {
		return fmt.Errorf("%s: unknown key %q: no command has --%s; did you mean %s?", at, key, key, near)
	}
	return fmt.Errorf("%s: unknown key %q: no command has --%s (keys are long flag names, or a command's name for its own section)", at, key, key)
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
