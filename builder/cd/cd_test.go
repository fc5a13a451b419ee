package cd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

var epoch = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// copyISO writes the fixture, plans the copy with edits and fills out
// (VerifyWritten).
func copyISO(t *testing.T, spec isogen.Spec, edits []Edit) (in, out string, p *Plan, sum string) {
	return copyISOVerify(t, spec, edits, VerifyWritten)
}

func copyISOVerify(t *testing.T, spec isogen.Spec, edits []Edit, v Verify) (in, out string, p *Plan, sum string) {
	t.Helper()
	dir := t.TempDir()
	in, out = filepath.Join(dir, "in.iso"), filepath.Join(dir, "out.iso")
	if err := isogen.Write(in, spec); err != nil {
		t.Fatal(err)
	}
	src, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	if p, err = src.Plan(edits, epoch); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sum, _, err = p.Fill(context.Background(), f, v); err != nil {
		t.Fatal(err)
	}
	return in, out, p, sum
}

// TestCopy edits and adds files in ISOs of each naming scheme, then reads
// the copy with isofs, isoinfo (ISO 9660, Rock Ridge and Joliet names) and
// xorriso (El Torito): new bytes where edited, every other file where and
// as it was, both boot entries kept, the boot info table right.
func TestCopy(t *testing.T) {
	tests := []struct {
		name  string
		spec  isogen.Spec
		edits []Edit
	}{
		{"7.0 plain", isogen.Spec{Version: "7.0", ElTorito: true}, []Edit{
			{"BOOT.CFG", []byte("kernel=/b.b00\nkernelopt=ks=cdrom:/KS.CFG\n")},
			{"EFI/BOOT/BOOT.CFG", []byte("kernel=/b.b00\nkernelopt=ks=cdrom:/KS.CFG efi\n")},
			{"KS.CFG", []byte("vmaccepteula\n")}}},
		{"7.0 Joliet", isogen.Spec{Version: "7.0", ElTorito: true, Joliet: true}, []Edit{
			{"boot.cfg", bytes.Repeat([]byte("kernelopt=x\n"), 500)},
			{"KS.CFG", []byte("vmaccepteula\n")}}},
		{"4.1 Rock Ridge Joliet", isogen.Spec{Version: "4.1", ElTorito: true, RockRidge: true, Joliet: true}, []Edit{
			{"isolinux.cfg", []byte("default 1\nlabel 1\nkernel mboot.c32\nappend vmkboot.gz ks=cdrom:/KS.CFG --- vmkernel.gz\n")},
			{"KS.CFG", []byte("install cdrom\n")}}},
		{"4.1 no El Torito", isogen.Spec{Version: "4.1"}, []Edit{{"isolinux.cfg", []byte("x\n")}}},
		{"7.0, an empty file's record names BOOT.CFG's sector", isogen.Spec{Version: "7.0", ElTorito: true, Files: map[string][]byte{"boot.cf": {}}},
			[]Edit{{"BOOT.CFG", []byte("kernel=/b.b00\n")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, out, p, sum := copyISO(t, tc.spec, tc.edits)
			checkCopy(t, in, out, p, tc.edits)
			_, out2, _, again := copyISOVerify(t, tc.spec, tc.edits, VerifyFull)
			if again != sum {
				t.Errorf("same inputs, another SHA-256 (read back in full): %s, %s", sum, again)
			}
			if got := testutil.Run(t, nil, "sha256sum", out); !strings.HasPrefix(got, sum+" ") {
				t.Errorf("sha256sum: %s, Fill said %s", got, sum)
			}
			a, _ := os.ReadFile(out)
			b, _ := os.ReadFile(out2)
			if !bytes.Equal(a, b) {
				t.Errorf("same inputs, other bytes")
			}
		})
	}
}

// checkCopy reads the copy with isofs and the oracles.
func checkCopy(t *testing.T, in, out string, p *Plan, edits []Edit) {
	t.Helper()
	a, err := isofs.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := isofs.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.VolumeID() != b.VolumeID() || a.Names() != b.Names() {
		t.Errorf("volume %q names %s, want %q %s", b.VolumeID(), b.Names(), a.VolumeID(), a.Names())
	}
	edited := map[string][]byte{}
	for _, e := range edits {
		edited[strings.ToLower(e.Path)] = e.Data
	}
	for _, f := range b.Files() {
		got, err := b.ReadFile(f.Path, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := edited[strings.ToLower(f.Path)]
		if !ok {
			if want, err = a.ReadFile(f.Path, 1<<30); err != nil {
				t.Errorf("%s: not on the input: %v", f.Path, err)
				continue
			}
			sa, _ := a.Section(f.Path)
			sb, _ := b.Section(f.Path)
			_, oa, _ := sa.Outer()
			_, ob, _ := sb.Outer()
			if oa != ob {
				t.Errorf("%s moved from byte %d to %d", f.Path, oa, ob)
			}
		}
		delete(edited, strings.ToLower(f.Path))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, want %d", f.Path, len(got), len(want))
		}
	}
	if len(edited) > 0 {
		t.Errorf("not in the copy: %v", edited)
	}
	if len(a.Files())+countAdded(p) != len(b.Files()) {
		t.Errorf("%d files, want %d + %d", len(b.Files()), len(a.Files()), countAdded(p))
	}
	// isoinfo reads every hierarchy by itself.
	testutil.Need(t, "isoinfo", "xorriso")
	d := testutil.Run(t, nil, "isoinfo", "-d", "-i", out)
	if !strings.Contains(d, fmt.Sprintf("Volume size is: %d\n", p.ImageBytes/Sector)) {
		t.Errorf("isoinfo -d:\n%s", d)
	}
	for _, e := range edits {
		for _, mode := range hierarchyFlags(a) {
			name := "/" + e.Path + ";1" // isogen's Joliet names carry the version too
			switch mode {
			case "":
				name = "/" + strings.ToUpper(e.Path) + ";1"
			case "-R":
				name = "/" + e.Path
			}
			got := testutil.Run(t, nil, "isoinfo", append(append([]string{"-i", out}, splitFlag(mode)...), "-x", name)...)
			if got != string(e.Data) {
				t.Errorf("isoinfo %s -x %s: %q", mode, name, short(got))
			}
		}
	}
	ra := testutil.Run(t, nil, "xorriso", "-indev", in, "-report_el_torito", "plain")
	rb := testutil.Run(t, nil, "xorriso", "-indev", out, "-report_el_torito", "plain")
	if elTorito(ra) != elTorito(rb) {
		t.Errorf("xorriso's El Torito report differs:\n%s\nwant\n%s", elTorito(rb), elTorito(ra))
	}
	if p.Catalog != nil && !strings.Contains(rb, "El Torito img opts :   1  boot-info-table") {
		t.Errorf("xorriso sees no boot info table:\n%s", rb)
	}
}

func countAdded(p *Plan) int {
	n := 0
	for _, f := range p.Files {
		if f.Added {
			n++
		}
	}
	return n
}

// hierarchyFlags are isoinfo's ways to read each hierarchy the image has.
func hierarchyFlags(im *isofs.Image) []string {
	switch im.Names() {
	case isofs.NamesRockRidge:
		return []string{"-R", "-J", ""}
	case isofs.NamesJoliet:
		return []string{"-J", ""}
	}
	return []string{""}
}

func splitFlag(f string) []string {
	if f == "" {
		return nil
	}
	return []string{f}
}

var elToritoLine = regexp.MustCompile(`(?m)^El Torito (catalog|boot img|img path|img opts) .*$`)

func elTorito(report string) string {
	return strings.Join(elToritoLine.FindAllString(report, -1), "\n")
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// TestRootMoves: a new record moves the root folder after the input's end
// (with it the descriptor's root record, the path tables' first entry and
// every subfolder's ".."), also when the root spans several sectors, and
// every reader still finds every file (isoinfo walks by path table and by
// records).
func TestRootMoves(t *testing.T) {
	files := map[string][]byte{}
	for i := range 120 {
		files[fmt.Sprintf("filler%03d.dat", i)] = []byte{byte(i)}
	}
	spec := isogen.Spec{Version: "7.0", ElTorito: true, Joliet: true, Files: files}
	edits := []Edit{{"KS.CFG", []byte("vmaccepteula\n")}}
	in, out, p, _ := copyISO(t, spec, edits)
	roots := 0
	for _, pt := range p.Patches {
		if strings.HasSuffix(pt.What, "root folder") && pt.Offset >= p.Prefix {
			roots++
			if pt.Bytes < 2*Sector {
				t.Errorf("%s: %d bytes, want the root's several sectors", pt.What, pt.Bytes)
			}
		}
	}
	if roots != 2 {
		t.Errorf("%d root folders moved, want 2 (ISO 9660, Joliet): %+v", roots, p.Patches)
	}
	checkCopy(t, in, out, p, edits)
	for _, mode := range [][]string{nil, {"-J"}} {
		l := testutil.Run(t, nil, "isoinfo", append([]string{"-l", "-i", out}, mode...)...)
		if !strings.Contains(l, "KS.CFG") || !strings.Contains(l, "FILLER119.DAT") && !strings.Contains(l, "filler119.dat") ||
			!strings.Contains(l, "Directory listing of /EFI/BOOT/") {
			t.Errorf("isoinfo -l %v:\n%s", mode, l)
		}
	}
}

// TestRefused: what a copy cannot carry is refused with the reason.
func TestRefused(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.iso")
	if err := isogen.Write(in, isogen.Spec{Version: "7.0", ElTorito: true}); err != nil {
		t.Fatal(err)
	}
	src, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tests := []struct {
		edits []Edit
		want  string
	}{
		{[]Edit{{"ISOLINUX.BIN", []byte("x")}}, "ISOLINUX.BIN: an El Torito boot image: not edited"},
		{[]Edit{{"BOOT.CAT", []byte("x")}}, "BOOT.CAT: the El Torito boot catalog: not edited"},
		{[]Edit{{"ks.cfg", []byte("x")}}, `needs an upper-case 8.3 name in the root folder (A-Z, 0-9, _), not "ks.cfg"`},
		{[]Edit{{"EFI/KS.CFG", []byte("x")}}, "not \"EFI/KS.CFG\""},
		{[]Edit{{"BOOT.CFG", []byte("x")}, {"boot.cfg", []byte("y")}}, "edited twice"},
	}
	for _, tc := range tests {
		_, err := src.Plan(tc.edits, epoch)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), in+": ") {
			t.Errorf("%v: error %v, want %q", tc.edits, err, tc.want)
		}
	}
}

// TestVerifyFindsDamage: a byte changed after the copy, in the input's
// part or in an appended file, fails the read-back, which names it.
func TestVerifyFindsDamage(t *testing.T) {
	edits := []Edit{{"BOOT.CFG", []byte("kernel=/b.b00\nkernelopt=ks=http://d/k\n")}}
	_, out, p, _ := copyISO(t, isogen.Spec{Version: "7.0", ElTorito: true}, edits)
	for _, off := range []int64{40 * Sector, int64(p.Files[0].Sector)*Sector + 3} {
		f, err := os.OpenFile(out, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		f.ReadAt(b, off)
		b[0] ^= 0xFF
		f.WriteAt(b, off)
		_, err = p.Verify(context.Background(), f)
		want := fmt.Sprintf("byte %d (sector %d) reads", off, off/Sector)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("damage at byte %d: %v, want %q", off, err, want)
		}
		b[0] ^= 0xFF
		f.WriteAt(b, off)
		if _, err := p.Verify(context.Background(), f); err != nil {
			t.Errorf("repaired: %v", err)
		}
		f.Close()
	}
}
