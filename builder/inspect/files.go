package inspect

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// span is one run of clusters owned by a file or folder.
type span struct {
	first, last uint32
	owner       string
}

// checkFiles lists every file and folder, hashes the files and checks that
// no two of them share a cluster.
func (in *inspector) checkFiles() {
	var spans []span
	add := func(owner string, cl []uint32) {
		for i := 0; i < len(cl); {
			j := i
			for j+1 < len(cl) && cl[j+1] == cl[j]+1 {
				j++
			}
			spans = append(spans, span{cl[i], cl[j], owner})
			i = j + 1
		}
	}
	add("the root folder", in.tree.root.clusters)
	for _, n := range in.tree.all {
		fr := FileReport{
			Path: n.path, ShortName: n.raw83, Dir: n.dir, Size: n.size, Attr: attrString(n.attr),
			FirstCluster: n.first, Clusters: runs(n.clusters), ClusterRuns: runList(n.clusters), Fragments: countRuns(n.clusters),
		}
		add(n.path, n.clusters)
		switch {
		case n.dir:
		case n.chainErr != nil:
			in.fault("%s: %v", n.path, n.chainErr)
		case in.opt.SkipHashes:
		default:
			h := sha256.New()
			err := in.vol.readChain(n.clusters, n.size, func(b []byte) error { _, err := h.Write(b); return err })
			if err != nil {
				in.fault("%s: %v", n.path, err)
			} else {
				fr.SHA256 = hex.EncodeToString(h.Sum(nil))
			}
		}
		in.rep.Files = append(in.rep.Files, fr)
	}
	slices.SortFunc(spans, func(a, b span) int { return int(int64(a.first) - int64(b.first)) })
	reported := 0
	var far span // the span reaching furthest so far
	for i, s := range spans {
		if i > 0 && s.first <= far.last && far.owner != s.owner && reported < 8 {
			in.fault("%s and %s share cluster %s (cross-linked)", far.owner, s.owner, commas(s.first))
			reported++
		}
		if i == 0 || s.last > far.last {
			far = s
		}
	}
}

// compareISO compares each file's SHA-256 with the ISO file at the same
// path. Edited configs (*.cfg) may differ; anything else must not.
func (in *inspector) compareISO() {
	iso := in.opt.ISO
	if iso == nil {
		return
	}
	buf := make([]byte, 1<<20)
	for i := range in.rep.Files {
		f := &in.rep.Files[i]
		if f.Dir || f.SHA256 == "" {
			continue
		}
		rel := strings.TrimPrefix(f.Path, "/")
		sec, err := iso.Section(rel)
		if errors.Is(err, fs.ErrNotExist) {
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
		say := in.fault
		if strings.HasSuffix(strings.ToLower(f.Path), ".cfg") {
			say = in.warn
		}
		say("%s (%s bytes) differs from the ISO's copy (%s bytes, SHA-256 %s…)", f.Path, commas(f.Size), commas(sec.Size()), f.ISOSHA256[:12])
	}
}
