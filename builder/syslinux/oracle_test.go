package syslinux_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// needFile skips when a system file is missing, unless CI is set.
func needFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	return b
}

// Debian's real mbr.bin (440 bytes, the limit) and .c32 modules go through
// a fixture tarball and come back byte-exact.
func TestRealSystemFilesRoundTrip(t *testing.T) {
	mbr := needFile(t, "/usr/lib/syslinux/mbr/mbr.bin")
	mboot := needFile(t, "/usr/lib/syslinux/modules/bios/mboot.c32")
	menu := needFile(t, "/usr/lib/syslinux/modules/bios/menu.c32")
	data := build(t, tarball.Spec{MBR: mbr, Modules: map[string][]byte{
		"com32/modules/mboot.c32": mboot, "com32/menu/menu.c32": menu}})
	tb, err := syslinux.ReadTarball(bytes.NewReader(data), "debian.tar.gz", "mboot.c32", "menu.c32")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tb.MBR, mbr) || !bytes.Equal(tb.Modules["mboot.c32"], mboot) || !bytes.Equal(tb.Modules["menu.c32"], menu) {
		t.Error("files differ after the round trip")
	}
}

// The installer binary embeds ldlinux.sys; BannerVersion must find the
// same version that `syslinux --version` prints.
func TestBannerVersionRealInstaller(t *testing.T) {
	bin := needFile(t, "/usr/bin/syslinux")
	out, err := exec.Command("/usr/bin/syslinux", "--version").CombinedOutput()
	fields := strings.Fields(string(out))
	if err != nil || len(fields) < 2 {
		t.Fatalf("syslinux --version: %v %q", err, out)
	}
	got, ok := syslinux.BannerVersion(bin, "SYSLINUX")
	if !ok || got != fields[1] {
		t.Errorf("BannerVersion = %q %v, syslinux --version says %q", got, ok, fields[1])
	}
}
