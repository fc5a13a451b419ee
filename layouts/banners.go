package layouts

import (
	"path"
	"regexp"
	"strings"
)

// LoaderBanner is a version text found in one of the media's boot loaders.
type LoaderBanner struct {
	File   string `json:"file"`   // path on the media ("isolinux.bin", "mboot.c32")
	Bytes  int64  `json:"bytes"`  // the file's size
	Banner string `json:"banner"` // "ISOLINUX 3.86 2010-04-01"; "" when none is found
}

// bannerRE finds the version strings boot loaders carry: syslinux's
// "ISOLINUX 3.86 2010-04-01", COM32 modules' and VMware's esx-boot
// "mboot 1.2"/"esx-boot 7.0" style texts.
var bannerRE = regexp.MustCompile(`(?i)\b(?:ISOLINUX|SYSLINUX|EXTLINUX|PXELINUX|COM32R?|mboot(?:\.c32)?|menu\.c32|esx-boot|VMware ESXi? boot(?:loader)?)[ :/-]v?[0-9]+\.[0-9]+[0-9A-Za-z.+_-]*(?: [0-9]{4}-[0-9]{2}-[0-9]{2})?`)

// maxLoaderBytes bounds a loader file that is read for its banner.
const maxLoaderBytes = 8 << 20

// Banners reads the boot loaders the layout uses (isolinux.bin, the
// mboot.c32 and menu.c32 it copies, the UEFI loader) and returns the first
// version text in each, in that order; a file that is not there is left out.
func Banners(m Media, d *Detected) []LoaderBanner {
	names := []string{"isolinux.bin", "isolinux/isolinux.bin"}
	for _, c := range d.Files {
		base := strings.ToLower(path.Base(c.Src))
		if base == "mboot.c32" || base == "menu.c32" {
			names = append(names, c.Src)
		}
	}
	for _, c := range d.Files {
		if d.UEFI != "" && strings.EqualFold(c.Dst, d.UEFI) {
			names = append(names, c.Src)
		}
	}
	out := []LoaderBanner{}
	for _, n := range names {
		f, ok := m.Lookup(n)
		if !ok {
			continue
		}
		lb := LoaderBanner{File: f.Path, Bytes: f.Size}
		if b, err := m.ReadFile(f.Path, maxLoaderBytes); err == nil {
			lb.Banner = string(bannerRE.Find(b))
		}
		out = append(out, lb)
	}
	return out
}
