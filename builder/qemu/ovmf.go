package qemu

import (
	"errors"
	"fmt"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"os"
	"path/filepath"
	"strings"
)

// OVMF is a UEFI firmware for QEMU: either one whole image (passed with
// -bios) or a code image (read-only pflash) with a vars template that each
// boot gets its own scratch copy of.
type OVMF struct {
	Whole string // OVMF.fd: code and vars in one image
	Code  string // OVMF_CODE*.fd
	Vars  string // OVMF_VARS*.fd, the template (never written)
}

// OVMFCandidates are where Debian's ovmf package puts its files, in the
// order FindOVMF tries them.
var OVMFCandidates = []OVMF{
	{Whole: "/usr/share/ovmf/OVMF.fd"},
	{Code: "/usr/share/OVMF/OVMF_CODE_4M.fd", Vars: "/usr/share/OVMF/OVMF_VARS_4M.fd"},
	{Code: "/usr/share/OVMF/OVMF_CODE.fd", Vars: "/usr/share/OVMF/OVMF_VARS.fd"},
}

// ErrNoOVMF is wrapped by FindOVMF when no UEFI firmware is found.
var ErrNoOVMF = errors.New("no UEFI firmware (apt-get install ovmf, or give --ovmf PATH)")

// FindOVMF returns the firmware at override (a whole OVMF.fd, or an
// OVMF_CODE*.fd with its OVMF_VARS*.fd beside it), or else the first of
// OVMFCandidates that exists.
func FindOVMF(override string) (OVMF, error) {
	if override != "" {
		st, err := os.Stat(override)
		if err != nil {
			return OVMF{}, fmt.Errorf("--ovmf: %w", err)
		}
		if !st.Mode().IsRegular() {
			return OVMF{}, fmt.Errorf("--ovmf %s: not a regular file", override)
		}
		base := filepath.Base(override)
		if !strings.Contains(base, "CODE") {
			return OVMF{Whole: override}, nil
		}
		vars := filepath.Join(filepath.Dir(override), strings.Replace(base, "CODE", "VARS", 1))
		if _, err := os.Stat(vars); err != nil {
			return OVMF{}, fmt.Errorf("--ovmf %s: a code image needs its vars template beside it: %w", override, err)
		}
		return OVMF{Code: override, Vars: vars}, nil
	}
	var looked []string
	for _, c := range OVMFCandidates {
		p := c.Whole
		if p == "" {
			p = c.Code
		}
		looked = append(looked, p)
		if c.exists() {
			return c, nil
		}
	}
	return OVMF{}, fmt.Errorf("%w: looked for %s", ErrNoOVMF, strings.Join(looked, ", "))
}

func (f OVMF) exists() bool {
	for _, p := range []string{f.Whole, f.Code, f.Vars} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return f.Whole != "" || f.Code != ""
}

// String names the firmware file.
func (f OVMF) String() string {
	if f.Whole != "" {
		return f.Whole
	}
	return f.Code
}

// args are QEMU's arguments for f; Vars must already be a scratch copy.
func (f OVMF) args() []string {
	if f.Whole != "" {
		return []string{"-bios", f.Whole}
	}
	return []string{
		"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + escapeOpt(f.Code),
		"-drive", "if=pflash,format=raw,unit=1,file=" + escapeOpt(f.Vars),
	}
}

// maxVars bounds the UEFI variables template read into memory (OVMF's are
// 128 KiB to 4 MiB).
const maxVars = 64 << 20

// scratch returns f with Vars copied into dir, so that a boot's writes to
// the UEFI variables never reach the template.
func (f OVMF) scratch(dir string) (OVMF, error) {
	if f.Vars == "" {
		return f, nil
	}
	b, err := fileio.ReadFileMax(f.Vars, maxVars)
	if err != nil {
		return f, fmt.Errorf("qemu: UEFI vars template: %w", err)
	}
	p := filepath.Join(dir, "OVMF_VARS.fd")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return f, fmt.Errorf("qemu: UEFI vars copy: %w", err)
	}
	f.Vars = p
	return f, nil
}
