package boottest

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/builder/qemu"
	"github.com/esxi-autopart/esxi-autopart/fixtures/asm"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// Oracles from Debian's syslinux packages (syslinux-common, syslinux).
const (
	debianMBR     = "/usr/lib/syslinux/mbr/mbr.bin"
	debianModules = "/usr/lib/syslinux/modules/bios"
)

// Boot timeouts: a good boot takes seconds under TCG; these only bound a
// hang.
const (
	bootTimeout  = 2 * time.Minute
	shortTimeout = 45 * time.Second // a loaded 2-core runner took over 20 s to reach the first marker
)

// testKS is the ks= value every image gets.
const testKS = "http://deploy.example/ks/esx01.cfg"

// baseOptions are one host's settings; tests change the disk options.
func baseOptions() builder.Options {
	return builder.Options{Host: "esx01", KS: testKS,
		Epoch: time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)}
}

// built is an image the builder wrote, with what it was built from.
type built struct {
	path    string
	iso     string
	plan    *builder.Plan
	files   []isogen.File // the ISO fixture's files, as builder/isofs reads them
	modules []string      // kernelImage: the modules after vmkboot.gz
}

// partOffset is the partition's byte offset in the image.
func (b built) partOffset() int64 { return int64(b.plan.Partition.StartLBA) * 512 }

// isoFile returns the ISO fixture's bytes of name (case-insensitive).
func (b built) isoFile(t *testing.T, name string) []byte {
	t.Helper()
	for _, f := range b.files {
		if strings.EqualFold(f.Path, name) {
			return f.Bytes()
		}
	}
	t.Fatalf("the ISO fixture has no %s", name)
	return nil
}

// fixtureInputs writes the ISO fixture is and a syslinux tarball of
// version (released on date) whose loader is our bootable stand-in and
// whose MBR code is Debian's mbr.bin into dir, and returns their paths
// and the fixture's files.
func fixtureInputs(t *testing.T, dir string, is isogen.Spec, version, date string) (iso, tar string, files []isogen.File) {
	t.Helper()
	testutil.SkipOrFail(t, asm.Toolchain())
	testutil.Need(t, debianMBR)
	bss, sys, err := asm.BuildStandin(filepath.Join(dir, "asm"), version, date)
	if err != nil {
		t.Fatal(err)
	}
	mbr, err := os.ReadFile(debianMBR)
	if err != nil {
		t.Fatal(err)
	}
	iso, tar = filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "syslinux-"+version+".tar.gz")
	if err := tarball.WriteFile(tar, tarball.Spec{Version: version, Date: date, Bss: bss, Sys: sys, MBR: mbr}); err != nil {
		t.Fatal(err)
	}
	if err := isogen.Write(iso, is); err != nil {
		t.Fatal(err)
	}
	if files, err = isogen.Contents(is); err != nil {
		t.Fatal(err)
	}
	return iso, tar, files
}

// buildImage builds an image with the builder API from the ISO fixture is
// and a syslinux-3.70-shaped tarball of our stand-in (fixtureInputs).
func buildImage(t *testing.T, is isogen.Spec, o builder.Options) built {
	t.Helper()
	dir := t.TempDir()
	b := built{path: filepath.Join(dir, "host.img")}
	iso, tb, files := fixtureInputs(t, dir, is, "3.70", "2008-06-30")
	b.iso, b.files = iso, files
	in, err := builder.Open(b.iso, tb)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if b.plan, err = in.Plan(o); err != nil {
		t.Fatal(err)
	}
	if _, err := b.plan.WriteFile(context.Background(), b.path, builder.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// requireBootable fails unless inspect judges the image bootable with no
// faults.
func requireBootable(t *testing.T, path string) {
	t.Helper()
	rep := inspectImage(t, path)
	if !rep.Bootable || len(rep.Faults) > 0 {
		t.Fatalf("inspect: bootable=%v, faults %q\n%s", rep.Bootable, rep.Faults, rep.Text())
	}
}

// lines makes patterns that each match one whole console line exactly.
func lines(ls ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(ls))
	for i, l := range ls {
		out[i] = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(l) + `$`)
	}
	return out
}

// boot runs QEMU on a read-only view of img until every pattern matched;
// extra QEMU arguments are appended.
func boot(t *testing.T, img string, timeout time.Duration, expect []*regexp.Regexp, extra ...string) (qemu.Result, error) {
	t.Helper()
	if _, err := qemu.LookPath(); err != nil {
		testutil.SkipOrFail(t, err)
	}
	o := qemu.NewOptions(img)
	o.Timeout = timeout
	o.Extra = extra
	return qemu.Run(context.Background(), o, expect)
}

// copyFile copies src to a new file dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// patchImage overwrites len(b) bytes of the image file at off.
func patchImage(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// readImage reads n bytes of the image file at off.
func readImage(t *testing.T, path string, off int64, n int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

// rootEntryOffset returns the byte offset in the image of the root folder
// entry whose 11-byte 8.3 name is name83 (e.g. "SYS     VGZ"). The root
// folder is found from the plan: FAT12/16's fixed area or FAT32's chain,
// which the builder allocates contiguously from RootCluster.
func rootEntryOffset(t *testing.T, b built, name83 string) int64 {
	t.Helper()
	g := b.plan.FAT.Geometry
	var first, n uint32 // fs-relative sector, sectors
	if g.Type == 32 {
		first = g.ClusterSector(g.RootCluster)
		n = b.plan.FAT.RootClusters * uint32(g.SectorsPerCluster)
	} else {
		first = uint32(g.ReservedSectors) + uint32(g.NumFATs)*g.FATSectors
		n = g.RootDirSectors
	}
	off := b.partOffset() + int64(first)*512
	dir := readImage(t, b.path, off, int(n)*512)
	for i := 0; i+32 <= len(dir); i += 32 {
		if dir[i] == 0 {
			break
		}
		if bytes.Equal(dir[i:i+11], []byte(name83)) && dir[i+11]&0x0F != 0x0F {
			return off + int64(i)
		}
	}
	t.Fatalf("no root folder entry %q in sectors %d..%d", name83, first, first+n-1)
	return 0
}

// offsetArg is the partition's byte offset as a decimal string.
func offsetArg(b built) string { return strconv.FormatInt(b.partOffset(), 10) }

// res compiles regular expressions.
func res(exprs ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(exprs))
	for i, e := range exprs {
		out[i] = regexp.MustCompile(e)
	}
	return out
}

// inspectImage runs builder/inspect on the image file at path.
func inspectImage(t testing.TB, path string) *inspect.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := inspect.Inspect(f, st.Size(), inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// realLoaders returns the folder of the real loaders built from their
// public sources on the developer's machine (docs real-loaders.md; never
// in the repository), named by ESXI_AUTOPART_REAL_LOADERS; the test is
// skipped without it, also under CI: these are local checks.
func realLoaders(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ESXI_AUTOPART_REAL_LOADERS")
	if dir == "" {
		t.Skip("ESXI_AUTOPART_REAL_LOADERS is not set (a local check with loaders built from public sources)")
	}
	testutil.SkipOrFail(t, asm.Toolchain())
	return dir
}
