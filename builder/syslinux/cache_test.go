package syslinux_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestTarballCache: the second read of the same bytes comes from the cache
// with the same members; a damaged entry is ignored and rewritten; other
// bytes are another entry; a bad tarball is never cached.
func TestTarballCache(t *testing.T) {
	dir, cacheDir, key := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "key")
	cache := cachestore.Open(cacheDir, key)
	path := filepath.Join(dir, "syslinux-3.70.tar.gz")
	if err := tarball.WriteFile(path, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	want, err := syslinux.OpenTarball(path)
	if err != nil {
		t.Fatal(err)
	}
	read := func(wantHit bool) {
		t.Helper()
		got, hit, err := syslinux.OpenTarballCached(path, cache)
		if err != nil {
			t.Fatal(err)
		}
		if hit != wantHit {
			t.Fatalf("hit = %v, want %v", hit, wantHit)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("cached tarball differs:\n%+v\n%+v", got, want)
		}
	}
	read(false)
	read(true)
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "*"))
	if len(entries) != 1 {
		t.Fatalf("cache holds %v", entries)
	}
	b, _ := os.ReadFile(entries[0])
	b[len(b)/2] ^= 1
	os.WriteFile(entries[0], b, 0o644)
	read(false) // damaged: read again and rewritten
	read(true)

	// An entry another key signed, whose members are not the tarball's
	// (a cache from elsewhere, or edited by whoever could write it), is
	// ignored: the build gets the tarball's own members.
	forged := *want
	forged.Sys = append([]byte(nil), want.Sys...)
	forged.Sys[100] ^= 0xFF
	cachestore.Open(cacheDir, filepath.Join(t.TempDir(), "key")).Write("esxi-autopart tarball cache 1\n", filepath.Base(entries[0]), syslinux.EncodeEntry(&forged))
	read(false)
	read(true)

	if err := tarball.WriteFile(path, tarball.Spec{Version: "3.86", Date: "2010-04-16"}); err != nil {
		t.Fatal(err)
	}
	if want, err = syslinux.OpenTarball(path); err != nil {
		t.Fatal(err)
	}
	read(false) // other bytes, another entry
	read(true)

	if err := tarball.WriteFile(path, tarball.Spec{Omit: []string{"mbr/mbr.bin"}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, hit, err := syslinux.OpenTarballCached(path, cache); err == nil || hit {
			t.Fatalf("a tarball without mbr.bin: hit %v, err %v", hit, err)
		}
	}
}
