package cli

import (
	"fmt"
	"sort"
	"strings"
)

// bashCompletion is `completion bash`: one function, _esxi_autopart, with
// a case per command listing its flags.
func bashCompletion() string {
	var b strings.Builder
	b.WriteString(`# bash completion for esxi-autopart: source <(esxi-autopart completion bash)
_esxi_autopart() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
	if [[ $cur == = ]]; then # --fat=<TAB>: bash splits the word at =
		prev=${COMP_WORDS[COMP_CWORD-1]} cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then # --fat=1<TAB>
		prev=${COMP_WORDS[COMP_CWORD-2]}
	fi
	COMPREPLY=()
	if ((COMP_CWORD <= 1)); then
		COMPREPLY=($(compgen -W "` + strings.Join(commandNames(), " ") + ` --help --version" -- "$cur"))
		return
	fi
	local flags= words= files=
	case ${COMP_WORDS[1]} in
`)
	for _, c := range commands {
		var all, paths, values []string
		kinds := map[string][]string{} // a path flag's names → the endings it takes
		fmt.Fprintf(&b, "\t%s)\n\t\tcase $prev in\n", c.name)
		for _, f := range compFlags(c) {
			names := []string{"--" + f.long}
			if f.short != "" {
				names = append(names, "-"+f.short)
			}
			all = append(all, names...)
			switch f.takes {
			case "path":
				if len(f.exts) > 0 {
					kinds[strings.Join(names, "|")] = f.exts
					break
				}
				paths = append(paths, names...)
			case "value":
				values = append(values, names...)
			case "words":
				fmt.Fprintf(&b, "\t\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", strings.Join(names, "|"), strings.Join(f.words, " "))
			}
		}
		for _, names := range sortedNames(kinds) { // folders, and the files of these endings in either case
			fmt.Fprintf(&b, "\t\t%s) COMPREPLY=($(compgen -d -- \"$cur\")", names)
			for _, e := range kinds[names] {
				fmt.Fprintf(&b, " $(compgen -f -X '!*.%s' -- \"$cur\") $(compgen -f -X '!*.%s' -- \"$cur\")", e, strings.ToUpper(e))
			}
			b.WriteString("); return ;;\n")
		}
		if len(paths) > 0 {
			fmt.Fprintf(&b, "\t\t%s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", strings.Join(paths, "|"))
		}
		if len(values) > 0 {
			fmt.Fprintf(&b, "\t\t%s) return ;;\n", strings.Join(values, "|"))
		}
		words, files := compArgs(c)
		fmt.Fprintf(&b, "\t\tesac\n\t\tflags=%q words=%q files=%v\n\t\t;;\n", strings.Join(all, " "), strings.Join(words, " "), map[bool]string{true: "1"}[files])
	}
	b.WriteString(`	*) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
		return
	fi
	[[ -n $words ]] && COMPREPLY=($(compgen -W "$words" -- "$cur"))
	[[ -n $files ]] && COMPREPLY+=($(compgen -f -- "$cur"))
}
complete -o filenames -o bashdefault -F _esxi_autopart esxi-autopart
`)
	return b.String()
}

// zshCompletion is `completion zsh`: _arguments per command, with each
// flag's description.
func zshCompletion() string {
	q := func(s string) string { // inside '...' of an _arguments spec
		r := strings.NewReplacer(`'`, `'\''`, `[`, `\[`, `]`, `\]`)
		return r.Replace(s)
	}
	var b strings.Builder
	b.WriteString("#compdef esxi-autopart\n# zsh completion for esxi-autopart: esxi-autopart completion zsh > \"${fpath[1]}/_esxi-autopart\"\ncompdef _esxi-autopart esxi-autopart\n\n")
	b.WriteString("_esxi-autopart() {\n\tlocal -a commands\n\tcommands=(\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "\t\t'%s:%s'\n", c.name, strings.ReplaceAll(c.summary, "'", `'\''`))
	}
	b.WriteString("\t)\n\tif (( CURRENT == 2 )); then\n\t\t_describe -t commands 'esxi-autopart command' commands\n\t\treturn\n\tfi\n")
	b.WriteString("\tlocal cmd=$words[2]\n\tshift words\n\t(( CURRENT-- ))\n\tcase $cmd in\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "\t%s)\n\t\t_arguments -s", c.name)
		for _, f := range compFlags(c) {
			action := ""
			switch f.takes {
			case "path":
				action = ":" + f.long + ":_files"
				if len(f.exts) > 0 {
					action += ` -g "*.(` + strings.Join(f.exts, "|") + `)(-.)"`
				}
			case "value":
				action = ":" + f.long + ":"
			case "words":
				action = ":" + f.long + ":(" + strings.Join(f.words, " ") + ")"
			}
			rep := map[bool]string{true: "*"}[f.repeat]
			if f.short != "" {
				fmt.Fprintf(&b, " \\\n\t\t\t'(-%s --%s)'%s{-%s,--%s}'[%s]%s'", f.short, f.long, rep, f.short, f.long, q(f.usage), action)
			} else {
				fmt.Fprintf(&b, " \\\n\t\t\t'%s--%s[%s]%s'", rep, f.long, q(f.usage), action)
			}
		}
		words, files := compArgs(c)
		switch {
		case len(words) > 0 && files:
			fmt.Fprintf(&b, " \\\n\t\t\t'1:argument:(%s)' \\\n\t\t\t'*:file:_files'", strings.Join(words, " "))
		case len(words) > 0:
			fmt.Fprintf(&b, " \\\n\t\t\t'1:argument:(%s)'", strings.Join(words, " "))
		case files:
			b.WriteString(" \\\n\t\t\t'*:file:_files'")
		}
		b.WriteString("\n\t\t;;\n")
	}
	b.WriteString("\tesac\n}\n\n# Run when autoloaded from $fpath; not when sourced.\nif [[ $funcstack[1] == _esxi-autopart ]]; then\n\t_esxi-autopart \"$@\"\nfi\n")
	return b.String()
}

// fishCompletion is `completion fish`: one complete line per command and
// per flag.
func fishCompletion() string {
	q := func(s string) string { return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'" }
	var b strings.Builder
	b.WriteString("# fish completion for esxi-autopart: esxi-autopart completion fish > ~/.config/fish/completions/esxi-autopart.fish\n")
	b.WriteString("complete -c esxi-autopart -f\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "complete -c esxi-autopart -n __fish_use_subcommand -a %s -d %s\n", c.name, q(c.summary))
	}
	for _, c := range commands {
		cond := q("__fish_seen_subcommand_from " + c.name)
		for _, f := range compFlags(c) {
			fmt.Fprintf(&b, "complete -c esxi-autopart -n %s -l %s", cond, f.long)
			if f.short != "" {
				fmt.Fprintf(&b, " -s %s", f.short)
			}
			switch f.takes {
			case "path":
				if len(f.exts) == 0 {
					b.WriteString(" -r -F")
					break
				}
				var calls []string
				for _, e := range f.exts {
					calls = append(calls, "__fish_complete_suffix ."+e)
				}
				fmt.Fprintf(&b, " -r -f -a %s", q("("+strings.Join(calls, "; ")+")"))
			case "value":
				b.WriteString(" -x")
			case "words":
				fmt.Fprintf(&b, " -x -a %s", q(strings.Join(f.words, " ")))
			}
			fmt.Fprintf(&b, " -d %s\n", q(f.usage))
		}
		words, files := compArgs(c)
		if len(words) > 0 {
			fmt.Fprintf(&b, "complete -c esxi-autopart -n %s -a %s\n", cond, q(strings.Join(words, " ")))
		}
		if files {
			fmt.Fprintf(&b, "complete -c esxi-autopart -n %s -F\n", cond)
		}
	}
	return b.String()
}

// sortedNames are m's keys in order, for a stable script.
func sortedNames(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
