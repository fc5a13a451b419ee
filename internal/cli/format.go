package cli

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Output formats of build: a raw disk image (optionally compressed) or a
// per-host install CD.
const (
	formatImage = "img"
	formatISO   = "iso"
)

// formatsWritten names what build writes, for refusals.
const formatsWritten = "build writes raw disk images (-o NAME.img, or any name without one of these extensions), " +
	"compressed ones (NAME.img.zst, .xz, .gz, or --compress) and install CDs (-o NAME.iso, or --format iso)"

// lyingExt are extensions of formats build does not write: an output so
// named would be a raw image under a name that says otherwise.
var lyingExt = map[string]string{
	".vmdk": "a VMware virtual disk", ".qcow": "a QEMU disk", ".qcow2": "a QEMU disk", ".vhd": "a Hyper-V disk",
	".vhdx": "a Hyper-V disk", ".vdi": "a VirtualBox disk", ".hdd": "a Parallels disk", ".ova": "an OVF archive",
	".ovf": "an OVF descriptor", ".dmg": "a macOS disk image", ".bz2": "bzip2 data", ".lz4": "LZ4 data",
	".lzma": "LZMA data", ".lz": "lzip data", ".zip": "a ZIP archive", ".7z": "a 7-Zip archive", ".tar": "a tar archive",
	".tgz": "a gzipped tar archive", ".rar": "a RAR archive", ".wim": "a Windows image", ".udf": "a UDF image",
	".nrg": "a Nero image", ".cue": "a CUE sheet", ".toast": "a Toast image", ".cdr": "a CD master",
}

// outputFormat decides the format from -o's name and --format (out is ""
// for a batch: --format alone decides). A name whose extension says a
// format build does not write is refused.
func outputFormat(out, format, compressFlag string) (string, error) {
	if format != "" && format != formatImage && format != formatISO {
		return "", fmt.Errorf("--format %q: use img or iso", format)
	}
	if out == "" {
		if format == formatISO && compressFlag != "" {
			return "", fmt.Errorf("--format iso --compress %s: install CDs are written as they are (a BMC mounts the .iso itself)", compressFlag)
		}
		if format == "" {
			return formatImage, nil
		}
		return format, nil
	}
	name := strings.ToLower(filepath.Base(out))
	ext := filepath.Ext(name)
	if what, ok := lyingExt[ext]; ok {
		return "", fmt.Errorf("-o %s: %s names %s, which build does not write; %s", out, ext, what, formatsWritten)
	}
	switch inner := filepath.Ext(strings.TrimSuffix(name, ext)); {
	case ext == ".iso":
		if format == formatImage {
			return "", fmt.Errorf("-o %s --format img: a raw disk image named .iso would lie; %s", out, formatsWritten)
		}
		if compressFlag != "" {
			return "", fmt.Errorf("-o %s --compress %s: install CDs are written as they are (a BMC mounts the .iso itself)", out, compressFlag)
		}
		return formatISO, nil
	case inner == ".iso":
		return "", fmt.Errorf("-o %s: a compressed install CD is not written (a BMC mounts the .iso itself); %s", out, formatsWritten)
	case format == formatISO:
		return "", fmt.Errorf("-o %s --format iso: name the install CD NAME.iso; %s", out, formatsWritten)
	}
	return formatImage, nil
}
