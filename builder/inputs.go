// Package builder turns an ESXi install ISO, a syslinux 3.x release tarball
// and one host's settings into a bootable automation-partition image:
// inputs are read and checked (Open), a Plan decides every byte range of the
// image (Inputs.Plan), one streaming pass writes it and a read-back verifies
// it (Plan.WriteFile). The package prints nothing.
//
// It must not know flags, terminals or what is printed: internal/cli decides that.
package builder

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// Inputs are the read and checked ISO and syslinux tarball. They are the
// same for every host and may be planned from many times.
type Inputs struct {
	ISOPath     string
	TarballPath string
	ISO         *isofs.Image
	Tarball     *syslinux.Tarball
	Loader      *syslinux.Loader
	Media       *layouts.Detected
	// ISOCreated is the ISO's volume creation time (zero if absent); it is
	// the default timestamp of every file in the image.
	ISOCreated time.Time
	// TarballCached: the tarball's members came from the cache (its bytes
	// were read whole and checked by an earlier run), not from inflating it.
	TarballCached bool
	// Added are the user's modules added to the boot module list
	// (AddModule), in the order given.
	Added    []AddedModule
	identity [32]byte // hash of everything that identifies the inputs
}

// Open reads and checks both inputs: the ISO's layout is detected, the
// tarball's loader parsed, and the syslinux version the layout needs is
// enforced. The tarball is inflated on a second goroutine while the ISO is
// read: on two cores the two take the time of the longer.
func Open(isoPath, tarballPath string) (*Inputs, error) {
	return OpenContext(context.Background(), isoPath, tarballPath)
}

// OpenContext is Open that stops walking the ISO and inflating the
// tarball, with ctx's error, once ctx ends.
func OpenContext(ctx context.Context, isoPath, tarballPath string) (*Inputs, error) {
	return OpenCachedContext(ctx, isoPath, tarballPath, nil)
}

// OpenCached is Open with a tarball cache in the folder cacheDir (nil for
// none; see syslinux.OpenTarballCached): a tarball whose bytes were read
// and checked before is not inflated again. Inputs.TarballCached says
// whether the cache answered.
func OpenCached(isoPath, tarballPath string, cacheDir *cachestore.Folder) (*Inputs, error) {
	return OpenCachedContext(context.Background(), isoPath, tarballPath, cacheDir)
}

// OpenCachedContext is OpenCached that stops, with ctx's error, once ctx
// ends: the ISO's walk and the tarball's hashing and inflating check it
// between reads.
func OpenCachedContext(ctx context.Context, isoPath, tarballPath string, cacheDir *cachestore.Folder) (*Inputs, error) {
	in, err := openCached(ctx, isoPath, tarballPath, cacheDir)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("reading %s and %s: %w", isoPath, tarballPath, ctx.Err())
	}
	return in, err
}

func openCached(ctx context.Context, isoPath, tarballPath string, cacheDir *cachestore.Folder) (*Inputs, error) {
	type tarball struct {
		tb  *syslinux.Tarball
		hit bool
		err error
	}
	tc := make(chan tarball, 1)
	go func() {
		if tarballPath == "" { // UEFI-only media need none; load says when others do
			tc <- tarball{}
			return
		}
		tb, hit, err := syslinux.OpenTarballCachedContext(ctx, tarballPath, cacheDir)
		tc <- tarball{tb, hit, err}
	}()
	iso, err := isofs.OpenContext(ctx, isoPath)
	if err != nil {
		<-tc
		return nil, err
	}
	in := &Inputs{ISOPath: isoPath, TarballPath: tarballPath, ISO: iso}
	if err := in.load(func() (*syslinux.Tarball, error) { t := <-tc; in.TarballCached = t.hit; return t.tb, t.err }); err != nil {
		iso.Close()
		return nil, err
	}
	if err := ctx.Err(); err != nil { // ended after the last read: what was read is whole, but the caller stops
		in.Close()
		return nil, err
	}
	return in, nil
}

// load detects the layout, takes the tarball from tarball (which waits for
// it) and checks the pair.
func (in *Inputs) load(tarball func() (*syslinux.Tarball, error)) error {
	media, err := layouts.Detect(in.ISO)
	if err != nil {
		tarball()
		if strings.HasPrefix(err.Error(), in.ISOPath+": ") { // from isofs, which names the image
			return err
		}
		return fmt.Errorf("%s: %w", in.ISOPath, err)
	}
	in.Media = media
	tb, err := tarball()
	if err != nil {
		return err
	}
	if media.UEFIOnly || tb == nil {
		return in.loadUEFIOnly(tb)
	}
	in.Tarball = tb
	ld, err := syslinux.ParseLoader(tb.Bss, tb.Sys)
	if err != nil {
		if v, ok := syslinux.BannerVersion(tb.Sys[:min(len(tb.Sys), 256)], "SYSLINUX"); ok && v != media.Syslinux {
			return fmt.Errorf("%s %s (%w)", in.TarballPath, versionAdvice(v, media), err)
		}
		return fmt.Errorf("%s: %w", in.TarballPath, err)
	}
	in.Loader = ld
	if ld.Version != media.Syslinux {
		return fmt.Errorf("%s %s", in.TarballPath, versionAdvice(ld.Version, media))
	}
	return in.identify(tb)
}

// identify reads the ISO's creation date and hashes what identifies the
// inputs (tb nil: no syslinux).
func (in *Inputs) identify(tb *syslinux.Tarball) error {
	pvd, err := readPVD(in.ISOPath)
	if err != nil {
		return err
	}
	in.ISOCreated = pvdCreated(pvd)
	h := sha256.New()
	put := func(b []byte) { binary.Write(h, binary.LittleEndian, uint64(len(b))); h.Write(b) }
	put(pvd)
	if tb != nil {
		put(tb.Bss)
		put(tb.Sys)
		put(tb.MBR)
	}
	media := in.Media
	for _, c := range media.Files {
		put([]byte(c.Src))
		put([]byte(c.Dst))
		binary.Write(h, binary.LittleEndian, c.Size)
	}
	h.Sum(in.identity[:0])
	return nil
}

// versionAdvice says why a tarball's SYSLINUX version does not fit the
// media and what to use instead. The media's modules are never swapped for
// the tarball's: the ISO's mboot.c32 and menu.c32 are built for one
// syslinux, so the loader must match them.
func versionAdvice(have string, media *layouts.Detected) string {
	s := fmt.Sprintf("holds SYSLINUX %s, but %s media need syslinux %s", have, media.Layout, media.Syslinux)
	if f := strings.Fields(media.Isolinux); len(f) > 0 {
		s += " (the ISO's isolinux.bin is ISOLINUX " + f[0] + ")"
	}
	s += fmt.Sprintf(": use the syslinux-%s release tarball (kernel.org pub/linux/utils/boot/syslinux/3.xx/)", media.Syslinux)
	major, _, _ := strings.Cut(have, ".")
	switch n, err := strconv.Atoi(major); {
	case err == nil && n >= 4:
		s += "; syslinux 4.x and later install differently and load other module formats, and are not supported"
	case have == "3.70":
		s += "; 3.70 is for ESXi 4.x media"
	case have == "3.86":
		s += "; 3.86 is for ESXi 5.x and later media"
	}
	return s
}

// Close releases the ISO.
func (in *Inputs) Close() error {
	in.closeAdded()
	return in.ISO.Close()
}

// readPVD returns the ISO's primary volume descriptor (sector 16).
func readPVD(path string) ([]byte, error) {
	f, err := regular.Open(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 2048)
	if _, err := f.ReadAt(b, 16*2048); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%s: reading the primary volume descriptor: %w", path, err)
	}
	return b, nil
}

// pvdCreated decodes the volume creation date (PVD offset 813: 16 ASCII
// digits YYYYMMDDHHMMSScc and a signed offset from GMT in 15-minute steps).
func pvdCreated(pvd []byte) time.Time {
	d := pvd[813:830]
	var v [7]int
	widths := [7]int{4, 2, 2, 2, 2, 2, 2}
	o := 0
	for i, w := range widths {
		for j := 0; j < w; j++ {
			c := d[o+j]
			if c < '0' || c > '9' {
				return time.Time{}
			}
			v[i] = v[i]*10 + int(c-'0')
		}
		o += w
	}
	if v[0] < 1980 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 {
		return time.Time{}
	}
	zone := time.FixedZone("", int(int8(d[16]))*15*60)
	return time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, zone).UTC()
}
