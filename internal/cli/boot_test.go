package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/compress"
)

// TestPrintCommandCompressed: --print-command of a compressed image is
// refused (exit 2), not printed naming the raw copy boot removes on exit.
func TestPrintCommandCompressed(t *testing.T) {
	var b bytes.Buffer
	w, err := compress.NewWriter(compress.Zstd, &b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 1<<16))
	w.Close()
	img := filepath.Join(t.TempDir(), "esx01.img.zst")
	if err := os.WriteFile(img, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runCLI("boot", img, "--expect", "x", "--print-command")
	if exitCode(err) != 2 || stdout != "" || !strings.Contains(err.Error(), "decompress the image") {
		t.Errorf("exit %d, %v; stdout %q", exitCode(err), err, stdout)
	}
}

// TestOnlyOneFirmware: the hint for a --firmware both run whose --expect
// only one firmware printed, and the runs that get none.
func TestOnlyOneFirmware(t *testing.T) {
	bios := bootResult{Firmware: "bios", OK: true, Matched: []string{"SYSLINUX 3.86", "done"}}
	uefiFailed := bootResult{Firmware: "uefi", Matched: []string{}}
	uefiOK := bootResult{Firmware: "uefi", OK: true, Matched: []string{"x"}}
	biosFailed := bootResult{Firmware: "bios", Matched: []string{"x"}}
	for _, tc := range []struct {
		name          string
		results       []bootResult
		expects, b, u []string
		want          string
	}{
		{"BIOS-only marker", []bootResult{bios, uefiFailed}, []string{`SYSLINUX 3\.86`, "done"}, nil, nil,
			`the bios boot showed every --expect but the uefi boot never showed /SYSLINUX 3\.86/: a marker only one firmware prints belongs in --expect-bios (and the other's in --expect-uefi)`},
		{"UEFI-only second marker", []bootResult{biosFailed, uefiOK}, []string{"x", "EFI"}, nil, nil,
			`the uefi boot showed every --expect but the bios boot never showed /EFI/`},
		{"both failed", []bootResult{biosFailed, uefiFailed}, []string{"x"}, nil, nil, ""},
		{"both passed", []bootResult{bios, uefiOK}, []string{"x"}, nil, nil, ""},
		{"per-firmware patterns given", []bootResult{bios, uefiFailed}, []string{"x"}, []string{"y"}, nil, ""},
		{"one firmware", []bootResult{uefiFailed}, []string{"x"}, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := onlyOneFirmware(tc.results, tc.expects, tc.b, tc.u)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestLoadTime: boot's default timeout covers the loads measured with the
// real loaders on a busy 2-core machine under TCG, with a margin of 1.5 at
// least: a real-size 7.0 image (359,398,224 bytes of modules) took 389 s
// by BIOS (SYSLINUX 3.86 -s, VMware's mboot.c32) and 31 s by UEFI
// (mboot64.efi).
func TestLoadTime(t *testing.T) {
	const payload = 359_398_224
	for fw, took := range map[string]time.Duration{"bios": 389 * time.Second, "uefi": 31 * time.Second} {
		if got := 60*time.Second + loadTime(fw, payload); got < took*3/2 {
			t.Errorf("%s: default timeout %v for %d bytes, measured %v", fw, got, payload, took)
		}
	}
}
