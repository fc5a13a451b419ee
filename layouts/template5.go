package layouts

import (
	"fmt"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// Template5 makes the default syslinux.cfg template of ESXi 5.x+ media
// from their isolinux.cfg text, as VMware's USB procedure does by hand: the
// file is kept, with LF line ends, and
//
//   - the APPEND line at appendLine (the label running mboot.c32 -c
//     boot.cfg) loses any "-p N" (NoPartitionArg says why);
//   - a TIMEOUT line's value becomes {{.Timeout}} (tenths of a second);
//   - {{if .Serial}}serial 0 115200{{end}} comes first.
//
// Anything in the text that looks like a template action ("{{", "}}") is
// escaped, so the ISO's text reaches syslinux.cfg as it is. ks= is not on
// this line: it goes into BOOT.CFG's kernelopt= (Detected.Generated). Data
// fields are Template4's; a --cfg-template replacement may use any of them.
func Template5(isolinuxCfg []byte, appendLine int) (string, error) {
	t, _, err := template5(isolinuxCfg, appendLine)
	return t, err
}

// template5 is Template5, also returning the words it took off the APPEND
// line that mboot would pass to the kernel beside kernelopt=: a ks= (or a
// network option) there would be a second one.
func template5(isolinuxCfg []byte, appendLine int) (string, []string, error) {
	text := strings.ReplaceAll(string(isolinuxCfg), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", " ") // syslinux reads a lone CR as a blank
	lines := strings.Split(text, "\n")
	if appendLine < 1 || appendLine > len(lines) {
		return "", nil, fmt.Errorf("APPEND line %d: the file has %d lines", appendLine, len(lines))
	}
	for i, l := range lines {
		l = strings.NewReplacer("{{", "\x00L", "}}", "\x00R").Replace(l)
		lines[i] = strings.NewReplacer("\x00L", `{{"{{"}}`, "\x00R", `{{"}}"}}`).Replace(l)
	}
	var gone []string
	lines[appendLine-1], gone = dropKernelWords(NoPartitionArg(lines[appendLine-1]))
	for i, l := range lines {
		if kw, _ := split(l); strings.EqualFold(kw, "timeout") {
			lines[i] = lineIndent(l) + kw + " {{.Timeout}}"
		}
	}
	return "{{if .Serial}}serial 0 115200\n{{end}}" + strings.Join(lines, "\n"), gone, nil
}

// kernelKeys are the options the builder sets in kernelopt= per host.
var kernelKeys = append([]string{"ks"}, bootcfg.NetKeys...)

// mbootOptions splits the words after APPEND as mboot's getopt reads them:
// each option word with its value when that is the next word, up to the
// first word that is not an option (or "--"); rest is where the words
// mboot passes to the kernel begin.
func mbootOptions(words []string) (opts [][]string, rest int) {
	i := 0
	for i < len(words) {
		w := words[i]
		if len(w) < 2 || w[0] != '-' || w == "--" {
			break
		}
		n := 1
		if len(w) == 2 && strings.ContainsRune(mbootValueOpts, rune(w[1])) && i+1 < len(words) {
			n = 2
		}
		opts, i = append(opts, words[i:i+n]), i+n
	}
	return opts, i
}

// lineIndent is the blanks a line starts with.
func lineIndent(l string) string { return l[:len(l)-len(strings.TrimLeft(l, " \t"))] }

// dropKernelWords removes kernelKeys words from the words after mboot's
// options on an APPEND line (mboot passes those to the kernel).
func dropKernelWords(l string) (string, []string) {
	words := strings.Fields(l)
	if len(words) == 0 {
		return l, nil
	}
	_, rest := mbootOptions(words[1:])
	kept, gone := dropOpts(strings.Join(words[1+rest:], " "), kernelKeys)
	if len(gone) == 0 {
		return l, nil
	}
	return strings.TrimRight(lineIndent(l)+strings.Join(words[:1+rest], " ")+" "+kept, " "), gone
}

// NoPartitionArg removes mboot's "-p N" from an APPEND line, keeping the
// rest. VMware's USB procedure adds "-p 1", which makes mboot.c32 read
// boot.cfg, the kernel and every module with its own FAT reader (libfat)
// from partition N of the boot disk instead of through syslinux. That
// reader's FAT32 cluster-chain walk is broken in every esx-boot version
// from 6.7u1 to 9.0 (libfat/fatchain.c shifts by bytes_per_sector where it
// should divide), so on FAT32 any file longer than one cluster is read
// wrong and the BIOS boot hangs after syslinux's menu. Without -p, mboot
// reads through syslinux's file API from the partition syslinux booted
// from: right on FAT32, and right wherever the partition lies on the disk
// (a --partition-only image laid onto partition 3 too, where "-p 1" would
// read another partition). Measured with the real loaders built from the
// public sources: FAT32 with -p 1 hangs, FAT32 without -p boots.
func NoPartitionArg(l string) string {
	words := strings.Fields(l)
	if len(words) == 0 {
		return l
	}
	opts, rest := mbootOptions(words[1:])
	kept := []string{words[0]}
	for _, o := range opts {
		if !strings.HasPrefix(o[0], "-p") {
			kept = append(kept, o...)
		}
	}
	kept = append(kept, words[1+rest:]...)
	if len(kept) == len(words) {
		return l
	}
	return lineIndent(l) + strings.Join(kept, " ")
}

// mbootValueOpts are VMware mboot's options that take a value (mboot.c's
// getopt string ":ac:S:s:t:R:p:E:eVDL:HQUrb:A:q:").
const mbootValueOpts = "cSstRpELbAq"

// PartitionArg is an APPEND line of a syslinux.cfg that passes mboot "-p N".
type PartitionArg struct {
	Line  int    // 1-based line of the config
	Text  string // the line, trimmed
	Value string // N
}

// PartitionArgs finds the APPEND lines that give VMware's mboot a -p, read
// as mboot's getopt does: options up to the first word that is not one
// ("-c boot.cfg ks=x -p 1" passes "-p 1" to the kernel, not to mboot).
func PartitionArgs(cfg string) []PartitionArg {
	var out []PartitionArg
	for i, l := range strings.Split(cfg, "\n") {
		kw, rest := split(strings.TrimSpace(l))
		if !strings.EqualFold(kw, "append") {
			continue
		}
		opts, _ := mbootOptions(strings.Fields(rest))
		for _, o := range opts {
			switch {
			case o[0] == "-p" && len(o) == 2:
				out = append(out, PartitionArg{Line: i + 1, Text: strings.TrimSpace(l), Value: o[1]})
			case strings.HasPrefix(o[0], "-p") && len(o[0]) > 2:
				out = append(out, PartitionArg{Line: i + 1, Text: strings.TrimSpace(l), Value: o[0][2:]})
			}
		}
	}
	return out
}
