package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/regular"
	"github.com/esxi-autopart/esxi-autopart/layouts"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// AddedModule is a file the user adds to the media's boot module list
// (--add-module): a NIC or storage driver the installer needs, as the old
// procedure's "inject ESXi drivers" step did (oem.tgz on 4.x, a .v00/.tgz
// module on 5.x+). It goes into the partition's root folder under Name and
// at the end of the module list: the 4.x append line, and modules= of every
// BOOT.CFG on 5.x+.
type AddedModule struct {
	Path   string `json:"path"`   // the user's file
	Name   string `json:"name"`   // its FAT name in the root folder, upper-case 8.3 ("OEM.TGZ")
	Bytes  int64  `json:"bytes"`  // its size
	SHA256 string `json:"sha256"` // of its bytes, read when it was added

	file *os.File
}

// ConfigName is the module's name in the loader configs: lower case, as
// the media write theirs ("oem.tgz" on the 4.x append line).
func (m AddedModule) ConfigName() string { return strings.ToLower(m.Name) }

// ParseAddModule splits an --add-module value FILE[:NAME]: NAME is what
// follows the last ":" when that part has no "/" (else the whole value is
// FILE), and defaults to FILE's base name.
func ParseAddModule(arg string) (file, name string) {
	if i := strings.LastIndexByte(arg, ':'); i > 0 && !strings.ContainsAny(arg[i+1:], `/\`) {
		return arg[:i], arg[i+1:]
	}
	return arg, filepath.Base(arg)
}

// AddModule adds the file at path to the boot module list under name (""
// for the file's base name). It is refused, naming the file, when name has
// no 8.3 FAT name, when mboot would read it as something other than one
// module (a "---" in it), when it would land on a file the partition
// already has (the media's files, LDLINUX.SYS, SYSLINUX.CFG, KS.CFG, an
// earlier added module), and when the file is not a regular file or is
// empty (syslinux's file API, through which mboot.c32 reads it, takes an
// empty file for a missing one). The file is hashed now and stays open
// until Close; the read-back compares the image's copy with it.
func (in *Inputs) AddModule(path, name string) error {
	if name == "" {
		name = filepath.Base(path)
	}
	where := "--add-module " + path
	fat, err := layouts.FATName(name)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := bootcfg.CheckModuleName("/" + name); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if prev := in.claimedBy(fat); prev != "" {
		return fmt.Errorf("%s: its name %s is already on the partition (%s): give it another with %s:NAME", where, fat, prev, path)
	}
	f, err := regular.Open(path, false)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, make([]byte, 1<<20))
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", where, err)
	}
	if n == 0 {
		f.Close()
		return fmt.Errorf("%s: the file is empty: mboot.c32 reads modules through syslinux, which takes an empty file for a missing one", where)
	}
	in.Added = append(in.Added, AddedModule{Path: path, Name: fat, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil)), file: f})
	return nil
}

// claimedBy says what already has the root FAT name fat ("" when nothing).
func (in *Inputs) claimedBy(fat string) string {
	for _, own := range []string{LoaderName, ConfigName, KickstartName} {
		if fat == own {
			return "the builder writes " + own + " itself"
		}
	}
	for _, c := range in.Media.Files {
		if strings.EqualFold(c.Dst, fat) {
			return "the ISO's " + c.Src
		}
	}
	for _, g := range in.Media.Generated {
		if strings.EqualFold(g.Dst, fat) {
			return "the host's copy of the ISO's " + g.Src
		}
	}
	for _, m := range in.Added {
		if m.Name == fat {
			return "added from " + m.Path
		}
	}
	return ""
}

// closeAdded closes the added modules' files.
func (in *Inputs) closeAdded() {
	for _, m := range in.Added {
		m.file.Close()
	}
}

// addedToBootCfg appends the added modules to a rendered BOOT.CFG's
// modules=, by absolute paths (the files are in the root folder, and
// EFI/BOOT/BOOT.CFG reads relative names from its own folder).
func (in *Inputs) addedToBootCfg(dst string, text []byte) ([]byte, error) {
	if len(in.Added) == 0 {
		return text, nil
	}
	f, err := bootcfg.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dst, err)
	}
	var names []string
	for _, m := range in.Added {
		names = append(names, "/"+m.ConfigName())
	}
	if err := f.AppendModules(names); err != nil {
		return nil, fmt.Errorf("%s: %w", dst, err)
	}
	return f.Bytes(), nil
}

// checkAddedInConfig refuses a 4.x syslinux.cfg (a --cfg-template) whose
// module lists leave out an added module: the file would be copied but
// never loaded. 5.x+ media list the modules in BOOT.CFG, which the
// builder edits itself.
func (in *Inputs) checkAddedInConfig(o Options, cfg string) error {
	if in.Media.Family != 4 {
		return nil
	}
	for _, m := range in.Added {
		found := false
		for _, l := range strings.Split(cfg, "\n") {
			w := strings.Fields(l)
			if len(w) > 0 && strings.EqualFold(w[0], "append") && slicesContainsFold(w[1:], m.ConfigName()) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s: no append line names the added module %s (--add-module %s): put {{range .Modules}} --- {{.}}{{end}} on the mboot.c32 label's append line, as the layout's template does",
				o.CfgName, m.ConfigName(), m.Path)
		}
	}
	return nil
}

// slicesContainsFold reports whether s has w, ignoring ASCII case.
func slicesContainsFold(s []string, w string) bool {
	for _, x := range s {
		if strings.EqualFold(x, w) {
			return true
		}
	}
	return false
}
