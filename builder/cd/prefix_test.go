package cd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// hostEdits are one host's edits of a 7.0 CD: both BOOT.CFGs with its ks=
// and its kickstart as KS.CFG, of lengths that differ between hosts.
func hostEdits(host string, ks []byte) []Edit {
	line := "kernel=/b.b00\nkernelopt=runweasel cdromBoot ks=http://deploy/ks/" + host + ".cfg\n"
	return []Edit{{"BOOT.CFG", []byte(line)}, {"EFI/BOOT/BOOT.CFG", []byte(line)}, {"KS.CFG", ks}}
}

// fill plans edits from src and fills a new file in dir.
func fill(t *testing.T, src *Source, dir, name string, edits []Edit, v Verify) (*Plan, string, []byte) {
	t.Helper()
	p, err := src.Plan(edits, epoch)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, _, err := p.Fill(context.Background(), f, v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return p, sum, b
}

// TestHostsSharePrefix: CDs of two hosts (other ks= lengths, other
// kickstarts) from one Source have the same bytes up to the input's end,
// differ after it, and the input is hashed once for both; each CD's
// SHA-256 is sha256sum's; a host's CD from a fresh Source is the same
// file. A host whose part after the input needs more granules gets
// another volume size, so another prefix, hashed for it.
func TestHostsSharePrefix(t *testing.T) {
	for _, spec := range []isogen.Spec{{Version: "7.0", ElTorito: true}, {Version: "7.0", ElTorito: true, Joliet: true},
		{Version: "4.1", ElTorito: true, RockRidge: true, Joliet: true}} {
		dir := t.TempDir()
		in := filepath.Join(dir, "in.iso")
		if err := isogen.Write(in, spec); err != nil {
			t.Fatal(err)
		}
		src, err := Open(in)
		if err != nil {
			t.Fatal(err)
		}
		edits1 := hostEdits("esx01", []byte("vmaccepteula\n"))
		edits2 := hostEdits("esx0002", bytes.Repeat([]byte("# a longer kickstart\n"), 200))
		if spec.Version == "4.1" {
			edits1 = []Edit{{"isolinux.cfg", []byte("append vmkboot.gz ks=cdrom:/KS.CFG --- vmkernel.gz\n")}, edits1[2]}
			edits2 = []Edit{{"isolinux.cfg", []byte("append vmkboot.gz ks=http://deploy/ks/esx0002.cfg --- vmkernel.gz\n")}, edits2[2]}
		}
		p1, sum1, b1 := fill(t, src, dir, "esx01.iso", edits1, VerifyWritten)
		p2, sum2, b2 := fill(t, src, dir, "esx02.iso", edits2, VerifyWritten)
		if p1.Prefix != src.Size() || p1.ImageBytes != p2.ImageBytes || (p1.ImageBytes-p1.Prefix)%Granule != 0 {
			t.Fatalf("prefix %d (input %d), %d and %d bytes", p1.Prefix, src.Size(), p1.ImageBytes, p2.ImageBytes)
		}
		P := int(p1.Prefix)
		if i := firstDiff(b1[:P], b2[:P]); i >= 0 {
			t.Errorf("%v: the hosts' CDs differ at byte %d (sector %d), before the input's end %d", spec, i, i/Sector, P)
		}
		if bytes.Equal(b1[P:], b2[P:]) {
			t.Errorf("%v: the hosts' CDs are the same after the prefix", spec)
		}
		if n := src.prefixRuns.Load(); n != 1 {
			t.Errorf("%v: the input was hashed %d times for two hosts, want once", spec, n)
		}
		moved := 0
		for _, pt := range p1.Patches {
			if pt.Offset >= p1.Prefix && strings.HasSuffix(pt.What, "folder") {
				moved++
			}
		}
		if folders := len(src.trees) * len(p1.Files[:len(p1.Files)-1]); moved != folders { // one per hierarchy and replaced file; KS.CFG's is the root
			t.Errorf("%v: %d folders moved, want %d: %+v", spec, moved, folders, p1.Patches)
		}
		testutil.Need(t, "sha256sum")
		for name, sum := range map[string]string{"esx01.iso": sum1, "esx02.iso": sum2} {
			if got := testutil.Run(t, nil, "sha256sum", filepath.Join(dir, name)); !strings.HasPrefix(got, sum+" ") {
				t.Errorf("%v: sha256sum %s; Fill said %s", spec, got, sum)
			}
		}
		src2, err := Open(in)
		if err != nil {
			t.Fatal(err)
		}
		_, again, b := fill(t, src2, dir, "alone.iso", edits2, VerifyWritten)
		if again != sum2 || !bytes.Equal(b, b2) {
			t.Errorf("%v: esx02 alone: %s, beside esx01: %s (same bytes: %v)", spec, again, sum2, bytes.Equal(b, b2))
		}
		big := hostEdits("esx03", bytes.Repeat([]byte("x"), Granule))
		if spec.Version == "4.1" {
			big = []Edit{edits1[0], {"KS.CFG", bytes.Repeat([]byte("x"), Granule)}}
		}
		p3, sum3, _ := fill(t, src, dir, "esx03.iso", big, VerifyWritten)
		if p3.ImageBytes != p1.ImageBytes+Granule || src.prefixRuns.Load() != 2 {
			t.Errorf("%v: a host past the granule: %d bytes (others %d), input hashed %d times", spec, p3.ImageBytes, p1.ImageBytes, src.prefixRuns.Load())
		}
		if got := testutil.Run(t, nil, "sha256sum", filepath.Join(dir, "esx03.iso")); !strings.HasPrefix(got, sum3+" ") {
			t.Errorf("%v: sha256sum %s; Fill said %s", spec, got, sum3)
		}
		src.Close()
		src2.Close()
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestVerifyWrittenFindsDamage: a byte flipped in any sector the copy
// wrote (a rewrite before the prefix, a moved folder, a file's data, the
// padding) fails VerifyWritten, which names it; a byte flipped in the
// input's bytes the kernel copied is not read back by it (that is
// VerifyFull's part), and the structure check still reads what it walks.
func TestVerifyWrittenFindsDamage(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.iso")
	if err := isogen.Write(in, isogen.Spec{Version: "7.0", ElTorito: true, Joliet: true}); err != nil {
		t.Fatal(err)
	}
	src, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p, _, _ := fill(t, src, dir, "out.iso", hostEdits("esx01", []byte("vmaccepteula\n")), VerifyWritten)
	f, err := os.OpenFile(filepath.Join(dir, "out.iso"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flip := func(off int64) {
		b := make([]byte, 1)
		f.ReadAt(b, off)
		b[0] ^= 0xFF
		f.WriteAt(b, off)
	}
	var offs []int64
	for _, pt := range p.Patches {
		offs = append(offs, pt.Offset+pt.Bytes-1)
	}
	offs = append(offs, p.ImageBytes-1) // padding
	for _, off := range offs {
		flip(off)
		_, err := p.VerifyWritten(context.Background(), f)
		flip(off)
		if want := "byte " + itoa(off) + " (sector "; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("damage at byte %d: %v, want %q", off, err, want)
		}
	}
	if _, err := p.VerifyWritten(context.Background(), f); err != nil {
		t.Fatalf("repaired: %v", err)
	}
	sr, err := src.ISO.Section("B.B00") // an unchanged file's data
	if err != nil {
		t.Fatal(err)
	}
	_, copied, _ := sr.Outer()
	copied += 7
	for _, pt := range p.Patches {
		if pt.Offset <= copied && copied < pt.Offset+pt.Bytes {
			t.Fatalf("byte %d is written by the plan (%s)", copied, pt.What)
		}
	}
	flip(copied)
	defer flip(copied)
	if _, err := p.VerifyWritten(context.Background(), f); err != nil {
		t.Errorf("a byte the kernel copied, changed: VerifyWritten says %v; it does not read those", err)
	}
	if _, err := p.Verify(context.Background(), f); err == nil || !strings.Contains(err.Error(), "byte "+itoa(copied)+" ") {
		t.Errorf("the same byte: Verify (full) says %v", err)
	}
	if err := f.Truncate(p.ImageBytes + Sector); err != nil {
		t.Fatal(err)
	}
	if _, err := p.VerifyWritten(context.Background(), f); err == nil || !strings.Contains(err.Error(), "bytes, the plan") {
		t.Errorf("a longer file: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestInputChanged: an input written to after Open, before a copy or
// while it is made, is refused, and no hash of it is remembered.
func TestInputChanged(t *testing.T) {
	for _, v := range []Verify{VerifyWritten, VerifyFull} {
		for _, during := range []bool{false, true} {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.iso")
			if err := isogen.Write(in, isogen.Spec{Version: "7.0", ElTorito: true}); err != nil {
				t.Fatal(err)
			}
			src, err := Open(in)
			if err != nil {
				t.Fatal(err)
			}
			p, err := src.Plan(hostEdits("esx01", []byte("vmaccepteula\n")), epoch)
			if err != nil {
				t.Fatal(err)
			}
			touch := func() { // one byte rewritten with its own value: only the times change
				w, err := os.OpenFile(in, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				b := make([]byte, 1)
				w.ReadAt(b, 40*Sector)
				w.WriteAt(b, 40*Sector)
				w.Close()
				os.Chtimes(in, time.Time{}, time.Now().Add(time.Second)) // whatever the clock's grain
			}
			if during {
				afterWrite = touch
			} else {
				touch()
			}
			f, err := os.Create(filepath.Join(dir, "out.iso"))
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = p.Fill(context.Background(), f, v)
			afterWrite = nil
			f.Close()
			if !errors.Is(err, ErrInputChanged) || !strings.HasPrefix(err.Error(), in+": ") {
				t.Errorf("verify %d, changed during the copy %v: %v", v, during, err)
			}
			src.Close()
		}
	}
}
