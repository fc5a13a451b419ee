package inspect

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// ISOReport is how the image matches the ISO it was checked against.
type ISOReport struct {
	Layout    string   `json:"layout"`        // the ISO's layout ("" when Options.ISOLayout is not given)
	Syslinux  string   `json:"syslinux"`      // the syslinux release the ISO's media need
	Missing   []string `json:"missing"`       // FAT paths of files the ISO's layout copies that the image lacks
	NotOnISO  []string `json:"not_on_iso"`    // image files the ISO lacks (the builder's own files aside)
	Differ    []string `json:"differ"`        // files whose bytes differ from the ISO's copy
	HostEdits []string `json:"host_edits"`    // BOOT.CFGs that differ only by the builder's per-host edit (and added modules)
	Added     []string `json:"added_modules"` // image files the ISO lacks that a boot path loads as modules (build --add-module: drivers)
	Match     bool     `json:"match"`         // the image is of this ISO: none missing, none differing
}

// builderFiles are the files the builder writes itself, not from the ISO.
var builderFiles = map[string]bool{"/LDLINUX.SYS": true, "/SYSLINUX.CFG": true, "/KS.CFG": true}

// compareISO compares each file's SHA-256 with the ISO file at the same
// path, both ways: a file the ISO's layout copies and the image lacks is a
// fault, and so is a syslinux release other than the one the ISO needs.
// A BOOT.CFG that differs from the ISO's copy only by the builder's
// per-host edit (bootcfg.HostEditModules: kernelopt=, and modules added at
// the end of modules=) is as expected; a file the ISO lacks that a boot
// path loads as a module is an added module (a driver), not a mismatch; another edited config
// (*.cfg) is a warning; any other difference a fault.
func (in *inspector) compareISO() {
	iso := in.opt.ISO
	if iso == nil {
		return
	}
	r := &ISOReport{Missing: []string{}, NotOnISO: []string{}, Differ: []string{}, HostEdits: []string{}, Added: []string{}}
	in.rep.ISO = r
	defer func() { r.Match = len(r.Missing) == 0 && len(r.Differ) == 0 }()
	in.checkISOLayout(r)
	buf := make([]byte, 1<<20)
	loaded := in.loadedModules()
	for i := range in.rep.Files {
		f := &in.rep.Files[i]
		if f.Dir || f.SHA256 == "" {
			continue
		}
		rel := strings.TrimPrefix(f.Path, "/")
		sec, err := iso.Section(rel)
		if errors.Is(err, fs.ErrNotExist) {
			switch up := strings.ToUpper(f.Path); {
			case builderFiles[up]:
			case loaded[up]:
				r.Added = append(r.Added, f.Path)
			default:
				r.NotOnISO = append(r.NotOnISO, f.Path)
			}
			continue
		}
		if err != nil {
			in.fault("%s: the ISO's copy: %v", f.Path, err)
			continue
		}
		h := sha256.New()
		if _, err := io.CopyBuffer(h, io.NewSectionReader(sec, 0, sec.Size()), buf); err != nil {
			in.fault("%s: reading the ISO's copy: %v", f.Path, err)
			continue
		}
		f.ISOSHA256 = hex.EncodeToString(h.Sum(nil))
		match := f.ISOSHA256 == f.SHA256
		f.ISOMatch = &match
		if match {
			continue
		}
		if in.isHostEdit(f.Path, sec) {
			f.ISOHostEdit = true
			r.HostEdits = append(r.HostEdits, f.Path)
			continue
		}
		r.Differ = append(r.Differ, f.Path)
		say := in.fault
		if strings.HasSuffix(strings.ToLower(f.Path), ".cfg") {
			say = in.warn
		}
		say("%s (%s bytes) differs from the ISO's copy (%s bytes, SHA-256 %s…)", f.Path, human.Commas(f.Size), human.Commas(sec.Size()), f.ISOSHA256[:12])
	}
	if len(r.NotOnISO) > 0 && len(r.Missing) > 0 {
		in.warn("%d file(s) of the image are not on the ISO (%s): the image was made from other media", len(r.NotOnISO), strings.Join(first(r.NotOnISO, 6), ", "))
	}
}

// checkISOLayout checks the image against the ISO's layout: its files are
// all there, and its loader is the syslinux release the media need.
func (in *inspector) checkISOLayout(r *ISOReport) {
	d := in.opt.ISOLayout
	if d == nil {
		return
	}
	r.Layout, r.Syslinux = d.Layout, d.Syslinux
	if v := in.rep.Loader.Version; v != "" && v != d.Syslinux {
		in.fault("LDLINUX.SYS is SYSLINUX %s, but the ISO's media (%s) need syslinux %s: the image is not of this ISO", v, d.Layout, d.Syslinux)
	}
	for _, c := range d.Files {
		if in.tree == nil || in.tree.lookup("/"+c.Dst) == nil {
			r.Missing = append(r.Missing, "/"+c.Dst)
		}
	}
	for _, g := range d.Generated {
		if in.tree == nil || in.tree.lookup("/"+g.Dst) == nil {
			r.Missing = append(r.Missing, "/"+g.Dst)
		}
	}
	if len(r.Missing) > 0 {
		in.fault("%d file(s) the ISO's %s media boot from are not on the image (%s): the image is not of this ISO",
			len(r.Missing), d.Layout, strings.Join(first(r.Missing, 6), ", "))
	}
}

// isHostEdit reports whether the image's file at p is a BOOT.CFG that is
// the ISO's copy (sec) with the builder's per-host edit.
func (in *inspector) isHostEdit(p string, sec *io.SectionReader) bool {
	if !strings.EqualFold(path.Base(p), "BOOT.CFG") || sec.Size() > bootcfg.MaxBytes || in.tree == nil {
		return false
	}
	n := in.tree.lookup(p)
	if n == nil {
		return false
	}
	img, err := in.vol.readFile(n, bootcfg.MaxBytes)
	if err != nil {
		return false
	}
	orig := make([]byte, sec.Size())
	if _, err := sec.ReadAt(orig, 0); err != nil {
		return false
	}
	_, ok := bootcfg.HostEditModules(orig, img)
	return ok
}

// loadedModules are the upper-case paths of the files a boot path loads as
// modules: the labels' module lists and the UEFI path's.
func (in *inspector) loadedModules() map[string]bool {
	out := map[string]bool{}
	add := func(ms []ModuleReport) {
		for _, m := range ms {
			if m.Found {
				out[strings.ToUpper(m.Path)] = true
			}
		}
	}
	for _, l := range in.rep.Config.Labels {
		add(l.Modules)
	}
	if in.rep.UEFI != nil {
		add(in.rep.UEFI.Modules)
	}
	return out
}

// first returns at most n of s, with "…" when there are more.
func first(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string(nil), s[:n]...), "…")
}
