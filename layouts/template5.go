package layouts

import (
	"fmt"
	"strings"
)

// Template5 makes the default syslinux.cfg template of ESXi 5.x+ media
// from their isolinux.cfg text, as VMware's USB procedure does by hand: the
// file is kept, with LF line ends, and
//
//   - the APPEND line at appendLine (the label running mboot.c32 -c
//     boot.cfg) gets "-p 1" (mboot reads boot.cfg and the modules from
//     partition 1), or its -p value becomes 1;
//   - a TIMEOUT line's value becomes {{.Timeout}} (tenths of a second);
//   - {{if .Serial}}serial 0 115200{{end}} comes first.
//
// Anything in the text that looks like a template action ("{{", "}}") is
// escaped, so the ISO's text reaches syslinux.cfg as it is. ks= is not on
// this line: it goes into BOOT.CFG's kernelopt= (Detected.Generated). Data
// fields are Template4's; a --cfg-template replacement may use any of them.
func Template5(isolinuxCfg []byte, appendLine int) (string, error) {
	text := strings.ReplaceAll(string(isolinuxCfg), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", " ") // syslinux reads a lone CR as a blank
	lines := strings.Split(text, "\n")
	if appendLine < 1 || appendLine > len(lines) {
		return "", fmt.Errorf("APPEND line %d: the file has %d lines", appendLine, len(lines))
	}
	for i, l := range lines {
		l = strings.NewReplacer("{{", "\x00L", "}}", "\x00R").Replace(l)
		lines[i] = strings.NewReplacer("\x00L", `{{"{{"}}`, "\x00R", `{{"}}"}}`).Replace(l)
	}
	lines[appendLine-1] = partitionOne(lines[appendLine-1])
	for i, l := range lines {
		if kw, _ := split(l); strings.EqualFold(kw, "timeout") {
			indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			lines[i] = indent + kw + " {{.Timeout}}"
		}
	}
	return "{{if .Serial}}serial 0 115200\n{{end}}" + strings.Join(lines, "\n"), nil
}

// partitionOne sets mboot's "-p 1" on an APPEND line, keeping the rest.
func partitionOne(l string) string {
	words := strings.Fields(l)
	for i := 1; i+1 < len(words); i++ {
		if words[i] == "-p" {
			words[i+1] = "1"
			indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			return indent + strings.Join(words, " ")
		}
	}
	l = strings.TrimRight(l, " \t")
	if len(words) > 1 && words[len(words)-1] == "-p" {
		return l + " 1"
	}
	return l + " -p 1"
}
