package bootcfg

import "bytes"

// HostDrop are the kernel option words the per-host edit removes.
var HostDrop = []string{"cdromBoot"}

// HostEdit is the builder's per-host edit of the media's boot.cfg (every
// edit it makes): kernelopt= gets set (ks=, then the network options, in
// NetKeys order) and loses HostDrop; every other line keeps its bytes.
func HostEdit(f *File, set []Opt) (*File, error) {
	out := f.Clone()
	if err := out.EditKernelOpt(set, HostDrop); err != nil {
		return nil, err
	}
	return out, nil
}

// IsHostEdit reports whether edited is exactly HostEdit of orig with the
// ks= and network options that edited's kernelopt= carries: the file the
// builder writes for some host, and nothing else changed.
func IsHostEdit(orig, edited []byte) bool { return isEdit(orig, edited, HostEdit) }

// CDEdit is the per-host edit of a boot.cfg on a per-host CD: kernelopt=
// gets set like HostEdit, and keeps cdromBoot (the installer still boots
// from a CD).
func CDEdit(f *File, set []Opt) (*File, error) {
	out := f.Clone()
	if err := out.EditKernelOpt(set, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// IsCDEdit reports whether edited is exactly CDEdit of orig with the ks=
// and network options edited's kernelopt= carries.
func IsCDEdit(orig, edited []byte) bool { return isEdit(orig, edited, CDEdit) }

// isEdit reports whether edited is exactly edit of orig with the ks= and
// network options that edited's kernelopt= carries.
func isEdit(orig, edited []byte, edit func(*File, []Opt) (*File, error)) bool {
	o, err := Parse(orig)
	if err != nil {
		return false
	}
	e, err := Parse(edited)
	if err != nil {
		return false
	}
	opts := e.KernelOpt()
	var set []Opt
	for _, k := range append([]string{"ks"}, NetKeys...) {
		if v, ok := OptValue(opts, k); ok {
			set = append(set, Opt{Key: k, Value: v})
		}
	}
	want, err := edit(o, set)
	return err == nil && (bytes.Equal(want.Bytes(), edited) || bytes.Equal(AvoidWholeSectors(want.Bytes()), edited))
}
