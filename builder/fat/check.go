package fat

import "fmt"

// Check verifies that a Plan is self-consistent: the geometry is what
// NewPlan computes for its size, type and cluster size, every entry's
// parent, names and entry counts are sound, and the chains are
// contiguous from cluster 2 in plan order. Write calls it first, so a
// Plan edited by hand (e.g. read back from JSON) cannot make it write
// out of bounds.
func (p *Plan) Check() error {
	g := &p.Geometry
	if g.Type != 12 && g.Type != 16 && g.Type != 32 {
		return fmt.Errorf("fat: plan: type %d", g.Type)
	}
	spc := g.SectorsPerCluster
	if spc == 0 || spc > 64 || spc&(spc-1) != 0 {
		return fmt.Errorf("fat: plan: %d sectors per cluster", spc)
	}
	want, err := layout(g.TotalSectors, g.Type, spc)
	if err != nil {
		return fmt.Errorf("fat: plan: %w", err)
	}
	want.Media, want.HiddenSectors, want.VolumeID, want.Label = g.Media, g.HiddenSectors, g.VolumeID, g.Label
	if *g != want {
		return fmt.Errorf("fat: plan: geometry %+v differs from the computed %+v", *g, want)
	}
	if g.Media != 0xF0 && g.Media < 0xF8 {
		return fmt.Errorf("fat: plan: media byte %#02x", g.Media)
	}
	if len(g.Label) != 11 {
		return fmt.Errorf("fat: plan: label %q is not 11 bytes", g.Label)
	}
	entries := make([]int, len(p.Folders)+1) // [0] = root
	if p.LabelEntry {
		entries[0] = 1
	}
	for i := range p.Folders {
		entries[i+1] = 2
	}
	shorts := map[string]bool{} // "parent/SHORTNAME"
	count := func(e *PlannedFile, maxParent int) error {
		if e.Parent < -1 || e.Parent >= maxParent {
			return fmt.Errorf("fat: plan: %s: parent %d", e.Path, e.Parent)
		}
		key := fmt.Sprintf("%d/%s", e.Parent, e.ShortName)
		if !validShort(e.ShortName) || shorts[key] {
			return fmt.Errorf("fat: plan: %s: short name %q invalid or taken", e.Path, e.ShortName)
		}
		shorts[key] = true
		if e.LongName != "" && checkLongName(e.LongName) != nil {
			return fmt.Errorf("fat: plan: %s: long name %q", e.Path, e.LongName)
		}
		if e.Size < 0 || e.Size > 0xFFFFFFFF {
			return fmt.Errorf("fat: plan: %s: size %d", e.Path, e.Size)
		}
		entries[e.Parent+1] += 1 + lfnSlots(e.LongName)
		return nil
	}
	for i := range p.Folders {
		if err := count(&p.Folders[i], i); err != nil {
			return err
		}
	}
	for i := range p.Files {
		if err := count(&p.Files[i], len(p.Folders)); err != nil {
			return err
		}
	}
	cb := g.ClusterBytes()
	if entries[0] != p.RootEntriesUsed || (g.Type != 32 && p.RootEntriesUsed > int(g.RootEntries)) ||
		(g.Type == 32 && p.RootClusters != clustersFor(int64(p.RootEntriesUsed)*dirEntrySize, cb, 1)) ||
		(g.Type != 32 && p.RootClusters != 0) {
		return fmt.Errorf("fat: plan: root folder of %d entries in %d clusters", p.RootEntriesUsed, p.RootClusters)
	}
	next := uint64(2) + uint64(p.RootClusters)
	for i, d := range p.Folders {
		if d.Entries != entries[i+1] || d.Clusters != clustersFor(int64(d.Entries)*dirEntrySize, cb, 1) || uint64(d.FirstCluster) != next {
			return fmt.Errorf("fat: plan: folder %s: %d entries at cluster %d (+%d)", d.Path, d.Entries, d.FirstCluster, d.Clusters)
		}
		next += uint64(d.Clusters)
	}
	for _, f := range p.Files {
		n := clustersFor(f.Size, cb, 0)
		if f.Clusters != n || (n == 0 && f.FirstCluster != 0) || (n > 0 && uint64(f.FirstCluster) != next) {
			return fmt.Errorf("fat: plan: file %s: %d clusters at %d", f.Path, f.Clusters, f.FirstCluster)
		}
		next += uint64(n)
	}
	used := next - 2
	if used > uint64(g.Clusters) || uint64(p.UsedClusters) != used || p.FreeClusters != g.Clusters-p.UsedClusters {
		return fmt.Errorf("fat: plan: %d clusters used of %d", used, g.Clusters)
	}
	if (p.FreeClusters == 0 && p.NextFree != 0xFFFFFFFF) || (p.FreeClusters > 0 && uint64(p.NextFree) != next) {
		return fmt.Errorf("fat: plan: next free cluster %d", p.NextFree)
	}
	return nil
}

// validShort: 11 bytes of 8.3 characters or blanks, not starting blank.
func validShort(s string) bool {
	if len(s) != 11 || s[0] == ' ' {
		return false
	}
	for i := 0; i < 11; i++ {
		if s[i] != ' ' && !isShortChar(s[i]) {
			return false
		}
	}
	return true
}
