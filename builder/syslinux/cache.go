package syslinux

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/esxi-autopart/esxi-autopart/builder/cachestore"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// A tarball cache keeps what ReadTarball found in a tarball (top folder,
// ldlinux.bss, ldlinux.sys, mbr.bin), keyed by the SHA-256 of the
// tarball's bytes: the same bytes were read whole and checked once, so
// reading them again would find the same members and the same faults. It
// saves inflating the whole release (~15.9 MB for 3.70) on every build.
// An entry is signed (cachestore): the members it holds go into the image
// as the tarball's, so one this user's key did not sign (edited, or from a
// cache restored from elsewhere) is ignored and rewritten, like one that
// does not decode; a cache that cannot be read or written is no cache.

// cacheMagic starts every entry; the number changes with the format.
const cacheMagic = "esxi-autopart tarball cache 2\n" // 2: mbr/gptmbr.bin added

// maxEntry bounds an entry's body: the magic, four lengths, a top
// folder's name, ldlinux.bss (512), ldlinux.sys (65 sectors), mbr.bin.
const maxEntry = 64 << 10

// OpenTarballCached is OpenTarball through the cache folder dir (nil for
// none). hit says whether the cache answered.
func OpenTarballCached(path string, dir *cachestore.Folder) (t *Tarball, hit bool, err error) {
	return OpenTarballCachedContext(context.Background(), path, dir)
}

// OpenTarballCachedContext is OpenTarballCached that stops hashing and
// inflating, with ctx's error, once ctx ends (see ReadTarballContext).
func OpenTarballCachedContext(ctx context.Context, path string, dir *cachestore.Folder) (t *Tarball, hit bool, err error) {
	if dir == nil {
		f, err := regular.Open(path, false)
		if err != nil {
			return nil, false, err
		}
		defer f.Close()
		t, err := ReadTarballContext(ctx, f, path)
		return t, false, err
	}
	f, err := regular.Open(path, false)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	entry := hex.EncodeToString(h.Sum(nil))
	if t, ok := readEntry(dir, entry); ok {
		t.Name = path
		return t, true, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	if t, err = ReadTarballContext(ctx, f, path); err != nil {
		return nil, false, err
	}
	writeEntry(dir, entry, t)
	return t, false, nil
}

func encodeEntry(t *Tarball) []byte {
	b := []byte(cacheMagic)
	for _, f := range [][]byte{[]byte(t.Top), t.Bss, t.Sys, t.MBR, t.GPTMBR} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// readEntry decodes entry name; ok is false for anything but a whole,
// signed entry.
func readEntry(dir *cachestore.Folder, name string) (*Tarball, bool) {
	body, ok := dir.Read(cacheMagic, name, maxEntry)
	if !ok || len(body) < len(cacheMagic) || string(body[:len(cacheMagic)]) != cacheMagic {
		return nil, false
	}
	body = body[len(cacheMagic):]
	var fields [5][]byte
	for i := range fields {
		if len(body) < 4 {
			return nil, false
		}
		n := binary.LittleEndian.Uint32(body)
		if uint64(n) > uint64(len(body)-4) {
			return nil, false
		}
		fields[i], body = body[4:4+n], body[4+n:]
	}
	if len(body) != 0 {
		return nil, false
	}
	t := &Tarball{Top: string(fields[0]), Bss: fields[1], Sys: fields[2], MBR: fields[3], Modules: map[string][]byte{}}
	if len(fields[4]) > 0 {
		t.GPTMBR = fields[4]
	}
	return t, true
}

// writeEntry stores t under name in dir, replacing what is there; errors
// leave the cache as it was.
func writeEntry(dir *cachestore.Folder, name string, t *Tarball) {
	dir.Write(cacheMagic, name, encodeEntry(t))
}
