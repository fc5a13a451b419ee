package qemu

// ResetKVMVerdict forgets what this process learned about KVM and makes
// /dev/kvm look usable when usable is true (for tests of the fallback on
// machines without KVM).
func ResetKVMVerdict(usable bool) {
	kvmVerdict.Lock()
	kvmVerdict.broken, kvmVerdict.worked = "", false
	kvmVerdict.Unlock()
	if usable {
		kvmOpens = func() error { return nil }
	} else {
		kvmOpens = openKVM
	}
}
