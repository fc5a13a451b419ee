package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// script writes `completion SHELL` to a file and returns its path.
func script(t *testing.T, shell string) string {
	t.Helper()
	out, _, err := runCLI("completion", shell)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "esxi-autopart."+shell)
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCompletionBash: the script parses, and its function completes
// commands, flags, a flag's words and file names: of the kind a flag takes
// (--iso: *.iso), or any.
func TestCompletionBash(t *testing.T) {
	p := script(t, "bash")
	if out, err := exec.Command("bash", "-n", p).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "esxi-7.0.iso"), nil, 0o644)
	for _, name := range []string{"OLD.ISO", "syslinux-3.86.tar.gz", "hosts.csv", "notes.txt", "pipeline.yaml"} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "media"), 0o755)
	for _, tt := range []struct{ line, want string }{
		{"esxi-autopart bu", "build"},
		{"esxi-autopart c", "check completion"},
		{"esxi-autopart --v", "--version"},
		{"esxi-autopart build --is", "--iso"},
		{"esxi-autopart build --ks-t", "--ks-template"},
		{"esxi-autopart build --fat ", "16 32"},
		{"esxi-autopart build --iso esxi", "esxi-7.0.iso"},
		{"esxi-autopart build --iso ", "media esxi-7.0.iso OLD.ISO"}, // folders, and ISOs only
		{"esxi-autopart build --syslinux ", "media syslinux-3.86.tar.gz"},
		{"esxi-autopart check --hosts ", "media hosts.csv"},
		{"esxi-autopart check --config ", "media pipeline.yaml"},
		{"esxi-autopart build --ks-template n", "notes.txt"}, // any file
		{"esxi-autopart build --ks ", ""},                    // a value: nothing to offer
		{"esxi-autopart boot x.img --firmware u", "uefi"},
		{"esxi-autopart boot x.img --firmware = u", "uefi"}, // --firmware=u, as bash splits it
		{"esxi-autopart build --fat =", "16 32"},
		{"esxi-autopart boot esxi", "esxi-7.0.iso"},
		{"esxi-autopart media esxi", "esxi-7.0.iso"},
		{"esxi-autopart help ins", "inspect"},
		{"esxi-autopart completion z", "zsh"},
		{"esxi-autopart manifest m", "merge media"}, // merge, or a SHARD_DIR
	} {
		words := strings.Fields(tt.line)
		if strings.HasSuffix(tt.line, " ") {
			words = append(words, "")
		}
		var arr []string
		for _, w := range words {
			arr = append(arr, "'"+w+"'")
		}
		prog := "source " + p + "\nCOMP_WORDS=(" + strings.Join(arr, " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) +
			"\n_esxi_autopart\necho \"${COMPREPLY[*]}\"\n"
		cmd := exec.Command("bash", "-c", prog)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != tt.want {
			t.Errorf("%q: %q, %v; want %q", tt.line, got, err, tt.want)
		}
	}
}

// TestCompletionZshFish: the zsh and fish scripts parse (when the shells
// are installed), zsh's registers its function, and fish completes.
func TestCompletionZshFish(t *testing.T) {
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Log("no zsh")
	} else {
		p := script(t, "zsh")
		out, err := exec.Command("zsh", "-c", "autoload -U compinit; compinit -u -D; source "+p+"; print -r -- ${_comps[esxi-autopart]}").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "_esxi-autopart" {
			t.Errorf("zsh: %v\n%s", err, out)
		}
		if out, err := exec.Command("zsh", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("zsh -n: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("fish"); err != nil {
		t.Log("no fish")
		return
	}
	p := script(t, "fish")
	out, err := exec.Command("fish", "-c", "source "+p+"; complete -C 'esxi-autopart bo'; complete -C 'esxi-autopart boot --accel '").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "boot\t") || !strings.Contains(string(out), "kvm\t") {
		t.Errorf("fish: %v\n%s", err, out)
	}
}

func TestCompletionErrors(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if _, _, err := runCLI(args...); exitCode(err) != 2 {
			t.Errorf("%q: exit %d (%v)", args, exitCode(err), err)
		}
	}
}
