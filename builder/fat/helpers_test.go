package fat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

var testTime = time.Date(2024, 5, 17, 13, 45, 31, 0, time.UTC)

// needTool returns the path of an external oracle (testutil.NeedTool:
// skipped when missing, failed under CI).
func needTool(t testing.TB, name string) string {
	t.Helper()
	return testutil.NeedTool(t, name)
}

// fileData is deterministic content for a test file.
func fileData(path string, size int64) []byte {
	r := rand.New(rand.NewPCG(uint64(size), uint64(len(path))))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// image is a built test image and everything needed to check it.
type image struct {
	path string
	base int64 // byte offset of the volume
	plan *Plan
	data map[string][]byte
}

// buildImage plans s, writes content files into a temp folder, and writes
// the image at byte offset base of a fresh file, through section readers
// over the content files (the copy_file_range path) unless buffered.
func buildImage(t testing.TB, s Spec, base int64, buffered bool) *image {
	t.Helper()
	p, err := NewPlan(s)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	dir := t.TempDir()
	im := &image{path: filepath.Join(dir, "fat.img"), base: base, plan: p, data: map[string][]byte{}}
	content := map[string]io.ReaderAt{}
	for i, f := range s.Files {
		b := fileData(f.Path, f.Size)
		im.data[f.Path] = b
		if buffered {
			content[f.Path] = bytes.NewReader(b)
			continue
		}
		src, err := os.Create(filepath.Join(dir, fmt.Sprintf("content-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close() })
		// a 3-byte prefix makes the section offset non-zero
		if _, err := src.Write(append([]byte("pre"), b...)); err != nil {
			t.Fatal(err)
		}
		content[f.Path] = io.NewSectionReader(src, 3, f.Size)
	}
	out, err := os.Create(im.path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := out.Truncate(base + int64(p.TotalSectors)*SectorSize); err != nil {
		t.Fatal(err)
	}
	if err := p.Write(context.Background(), out, base, p.BootSector(), content, WriteOptions{}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return im
}

// volumeFile returns a file holding just the volume (fsck.fat has no offset).
func (im *image) volumeFile(t testing.TB) string {
	t.Helper()
	if im.base == 0 {
		return im.path
	}
	in, err := os.Open(im.path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	vol := im.path + ".vol"
	out, err := os.Create(vol)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, io.NewSectionReader(in, im.base, int64(im.plan.TotalSectors)*SectorSize)); err != nil {
		t.Fatal(err)
	}
	return vol
}

// checkFsck runs fsck.fat -n and fails on a non-zero exit or any output
// beyond the version banner and the summary line.
func checkFsck(t testing.TB, im *image) {
	t.Helper()
	fsck := needTool(t, "fsck.fat")
	vol := im.volumeFile(t)
	out, err := exec.Command(fsck, "-n", "-V", vol).CombinedOutput()
	if err != nil {
		t.Fatalf("fsck.fat -n: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		switch {
		case strings.HasPrefix(line, "fsck.fat "),
			strings.HasPrefix(line, "Checking we can access the last sector"),
			strings.HasPrefix(line, "Starting check/repair pass."),
			strings.HasPrefix(line, "Starting verification pass."),
			strings.HasPrefix(line, vol+": "):
		default:
			t.Fatalf("fsck.fat -n reports: %q\n%s", line, out)
		}
	}
	files := len(im.plan.Files) + len(im.plan.Folders)
	if im.plan.LabelEntry {
		files++ // fsck.fat counts the label entry
	}
	want := fmt.Sprintf("%s: %d files, %d/%d clusters", vol, files, im.plan.UsedClusters, im.plan.Clusters)
	if !strings.Contains(string(out), want) {
		t.Errorf("fsck.fat summary: want %q in\n%s", want, out)
	}
}

// mtools runs an mtools command on the image at its offset.
func mtools(t testing.TB, im *image, tool string, args ...string) []byte {
	t.Helper()
	bin := needTool(t, tool)
	args = append([]string{"-i", fmt.Sprintf("%s@@%d", im.path, im.base)}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// checkMtools reads every file with mtype and its attributes with mattrib.
func checkMtools(t testing.TB, im *image) {
	t.Helper()
	args := []string{"-a", "-/", "::"}
	if len(im.plan.Files) == 0 {
		args = []string{"-a", "::"} // mdir -/ of an empty volume says "::" not found
	}
	dir := string(mtools(t, im, "mdir", args...))
	if !strings.Contains(dir, fmt.Sprintf("Volume Serial Number is %04X-%04X", im.plan.VolumeID>>16, im.plan.VolumeID&0xFFFF)) {
		t.Errorf("mdir shows another serial number than %08X:\n%s", im.plan.VolumeID, dir)
	}
	for _, f := range im.plan.Files {
		name := baseName(f.Path)
		if !strings.Contains(dir, name) && !strings.Contains(dir, displayShort(f.ShortName)) &&
			!strings.Contains(dir, strings.TrimRight(f.ShortName[:8], " ")) {
			t.Errorf("mdir does not list %s:\n%s", f.Path, dir)
		}
	}
	stamp := "1980-01-01   0:00" // zero ModTime clamps to FAT's epoch
	if mt := im.plan.ModTime.UTC(); !mt.IsZero() {
		stamp = fmt.Sprintf("%s %3d:%02d", mt.Format("2006-01-02"), mt.Hour(), mt.Minute())
	}
	if len(im.plan.Files) > 0 && !strings.Contains(dir, stamp) {
		t.Errorf("mdir shows no entry dated %q:\n%s", stamp, dir)
	}
	// mtype and mattrib start a process per file: check at most ~25
	step := max(1, len(im.plan.Files)/25)
	for i := 0; i < len(im.plan.Files); i += step {
		f := im.plan.Files[i]
		got := mtools(t, im, "mtype", "::/"+f.Path)
		if !bytes.Equal(got, im.data[f.Path]) {
			t.Errorf("mtype %s: %d bytes differ from the %d written", f.Path, len(got), len(im.data[f.Path]))
		}
		attr := string(mtools(t, im, "mattrib", "::/"+f.Path))
		if want := mattribFlags(f.Attr); !strings.HasPrefix(attr, want) {
			t.Errorf("mattrib %s = %q, want prefix %q", f.Path, attr, want)
		}
	}
}

// mattribFlags is mattrib's listing of a: "  A  S R     ::/X" -> "  A  S R".
func mattribFlags(a Attr) string {
	flag := func(bit Attr, c string) string {
		if a&bit != 0 {
			return c
		}
		return " "
	}
	return "  " + flag(Archive, "A") + "  " + flag(System, "S") + flag(Hidden, "H") + flag(ReadOnly, "R")
}

// checkDiskfs reads every file back with go-diskfs's FAT reader and
// compares bytes, cluster chain and disk ranges with the plan.
func checkDiskfs(t testing.TB, im *image) {
	t.Helper()
	f, err := os.Open(im.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := file.New(f, true)
	size := int64(im.plan.TotalSectors) * SectorSize
	var fsys interface {
		OpenFile(string, int) (filesystem.File, error)
	}
	switch im.plan.Type {
	case 12:
		fsys, err = fat12.Read(b, size, im.base, SectorSize)
	case 16:
		fsys, err = fat16.Read(b, size, im.base, SectorSize)
	case 32:
		fsys, err = fat32.Read(b, size, im.base, SectorSize)
	}
	if err != nil {
		t.Fatalf("go-diskfs FAT%d Read: %v", im.plan.Type, err)
	}
	cb := uint64(im.plan.ClusterBytes())
	for _, pf := range im.plan.Files {
		h, err := fsys.OpenFile("/"+pf.Path, os.O_RDONLY)
		if err != nil {
			t.Errorf("go-diskfs open %s: %v", pf.Path, err)
			continue
		}
		if pf.Size == 0 {
			continue // go-diskfs v1.9.4 cannot read a file with no clusters
		}
		// one Read of exactly Size bytes: v1.9.4's Read overreads a file's
		// last cluster when called at a non-cluster-aligned offset
		got := make([]byte, pf.Size)
		n, err := h.Read(got)
		if (err != nil && err != io.EOF) || int64(n) != pf.Size || !bytes.Equal(got, im.data[pf.Path]) {
			t.Errorf("go-diskfs read %s: %d bytes (err %v), want the %d written", pf.Path, n, err, pf.Size)
		}
		ff := h.(*fat12.File)
		chain, err := ff.GetClusterChain()
		var want []uint32
		for c := pf.FirstCluster; c < pf.FirstCluster+pf.Clusters; c++ {
			want = append(want, c)
		}
		if err != nil || !slices.Equal(chain, want) {
			t.Errorf("%s: go-diskfs chain %v (err %v), plan %d..%d", pf.Path, chain, err, pf.FirstCluster, pf.FirstCluster+pf.Clusters-1)
		}
		ranges, err := ff.GetDiskRanges()
		sectors, _ := im.plan.FileSectors(pf.Path)
		if err != nil || len(ranges) != 1 || ranges[0].Offset != uint64(sectors[0])*SectorSize ||
			ranges[0].Length != uint64(pf.Clusters)*cb {
			t.Errorf("%s: go-diskfs ranges %+v (err %v), plan sector %d, %d clusters", pf.Path, ranges, err, sectors[0], pf.Clusters)
		}
	}
}

// checkAll runs every oracle.
func checkAll(t *testing.T, im *image) {
	t.Helper()
	t.Run("fsck", func(t *testing.T) { checkFsck(t, im) })
	t.Run("mtools", func(t *testing.T) { checkMtools(t, im) })
	t.Run("diskfs", func(t *testing.T) { checkDiskfs(t, im) })
	t.Run("sectors", func(t *testing.T) { checkSectors(t, im) })
}

// checkSectors reads each file through FileSectors from the raw image.
func checkSectors(t testing.TB, im *image) {
	t.Helper()
	raw, err := os.ReadFile(im.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, pf := range im.plan.Files {
		secs, err := im.plan.FileSectors(pf.Path)
		if err != nil {
			t.Fatal(err)
		}
		want := im.data[pf.Path]
		var slack []byte
		for i, sec := range secs {
			off := im.base + int64(sec)*SectorSize
			piece := raw[off : off+SectorSize]
			n := min(int64(SectorSize), pf.Size-int64(i)*SectorSize)
			if !bytes.Equal(piece[:n], want[int64(i)*SectorSize:int64(i)*SectorSize+n]) {
				t.Fatalf("%s: sector %d (volume sector %d) differs", pf.Path, i, sec)
			}
			slack = piece[n:]
		}
		if slices.ContainsFunc(slack, func(b byte) bool { return b != 0 }) {
			t.Errorf("%s: slack after the file is not zero", pf.Path)
		}
	}
}
