package qemu

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// Accelerator names for Options.Accel.
const (
	AccelAuto = "auto" // KVM when it works, else TCG (the default)
	AccelKVM  = "kvm"
	AccelTCG  = "tcg"
)

// AccelEnv forces an accelerator for every auto boot of the process (the
// test suite's switch): "kvm" or "tcg".
const AccelEnv = "ESXI_AUTOPART_ACCEL"

// kvmVerdict is what this process has learned about KVM: once a boot under
// auto saw KVM fail, every later auto boot goes straight to TCG.
var kvmVerdict struct {
	sync.Mutex
	broken string // QEMU's reason, "" while KVM is not known to fail
	worked bool   // a boot under KVM matched its markers
}

// ResolveAccel turns accel ("", auto, kvm or tcg) into the accelerator to
// try first and why. For auto: AccelEnv when set; else TCG when /dev/kvm does
// not open or KVM already failed in this process; else KVM.
func ResolveAccel(accel string) (string, string, error) {
	switch accel {
	case AccelKVM, AccelTCG:
		return accel, "asked for", nil
	case "", AccelAuto:
	default:
		return "", "", fmt.Errorf("qemu: accelerator %q: want auto, kvm or tcg", accel)
	}
	switch env := os.Getenv(AccelEnv); env {
	case AccelKVM, AccelTCG:
		return env, AccelEnv + "=" + env, nil
	case "", AccelAuto:
	default:
		return "", "", fmt.Errorf("qemu: %s=%q: want auto, kvm or tcg", AccelEnv, env)
	}
	if err := kvmOpens(); err != nil {
		return AccelTCG, "no KVM: " + err.Error(), nil
	}
	kvmVerdict.Lock()
	defer kvmVerdict.Unlock()
	switch {
	case kvmVerdict.broken != "":
		return AccelTCG, "KVM failed earlier in this process (" + kvmVerdict.broken + ")", nil
	case kvmVerdict.worked:
		return AccelKVM, "KVM worked for an earlier boot", nil
	}
	return AccelKVM, "/dev/kvm opens; TCG if KVM fails", nil
}

// DetectAccel returns the accelerator an auto boot would try first.
func DetectAccel() string {
	a, _, err := ResolveAccel(AccelAuto)
	if err != nil {
		return AccelTCG
	}
	return a
}

// kvmOpens says whether /dev/kvm opens (a variable for tests).
var kvmOpens = openKVM

func openKVM() error {
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// noteKVM records how a boot under KVM went.
func noteKVM(err error) {
	kvmVerdict.Lock()
	defer kvmVerdict.Unlock()
	var ae *AccelError
	switch {
	case errors.As(err, &ae):
		kvmVerdict.broken = ae.Reason
	case err == nil:
		kvmVerdict.worked = true
	}
}

// AccelError is Run's error when the accelerator itself failed (QEMU
// reported a KVM internal error, or could not start KVM): the guest's
// boot path was never judged.
type AccelError struct {
	Accel  string // the accelerator that failed
	Reason string // QEMU's words
}

func (e *AccelError) Error() string {
	return fmt.Sprintf("qemu: %s failed: %s", e.Accel, e.Reason)
}
