package inspect

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
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
			in.fault("%s and %s share cluster %s (cross-linked)", far.owner, s.owner, human.Commas(s.first))
			reported++
		}
		if i == 0 || s.last > far.last {
			far = s
		}
	}
}
