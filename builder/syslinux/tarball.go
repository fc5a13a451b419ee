package syslinux

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// Member size limits, checked against the tar header before reading.
const (
	maxMBR    = 440     // boot code ends where the disk signature starts
	maxModule = 1 << 20 // a com32 module of 3.x is tens of KiB
)

// Tarball holds what the builder needs from a syslinux 3.x release tarball.
type Tarball struct {
	Name    string            // path/name of the tarball, for messages
	Top     string            // top folder, e.g. "syslinux-3.70"
	Bss     []byte            // core/ldlinux.bss (512 bytes)
	Sys     []byte            // core/ldlinux.sys
	MBR     []byte            // mbr/mbr.bin (<= 440 bytes)
	GPTMBR  []byte            // mbr/gptmbr.bin (<= 440 bytes), nil when the tarball has none: only GPT images need it
	Modules map[string][]byte // requested com32 modules by lower-case base name
}

// OpenTarball reads the tarball at path; see ReadTarball.
func OpenTarball(path string, modules ...string) (*Tarball, error) {
	f, err := regular.Open(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTarball(f, path, modules...)
}

// member is a file wanted from the tarball, by path relative to the top.
type member struct {
	rel    string // e.g. "core/ldlinux.sys"
	module string // lower-case base name if a com32 module, else ""
	byBase bool   // matched by base name anywhere under com32/
	exact  int64  // required size, 0 = any up to max
	max    int64
	dst    *[]byte
}

// ReadTarball reads a syslinux release tarball (gzip, bzip2, xz or plain tar,
// sniffed from the magic bytes) as a stream and returns core/ldlinux.bss,
// core/ldlinux.sys, mbr/mbr.bin, mbr/gptmbr.bin when present, and the
// requested com32 modules. A module is
// named by base name ("mboot.c32", found anywhere under com32/) or by path
// relative to the top folder ("com32/modules/mboot.c32"). name is used in
// messages. The whole archive is read, so that truncation and duplicates
// are caught; paths with "..", absolute paths, and links or other non-regular
// entries at a wanted path are refused.
func ReadTarball(r io.Reader, name string, modules ...string) (*Tarball, error) {
	return ReadTarballContext(context.Background(), r, name, modules...)
}

// ReadTarballContext is ReadTarball that stops, with ctx's error, once
// ctx ends: every read of the compressed bytes and of the inflated stream
// checks it, so neither a slow file nor a stream that inflates to
// maxTotal bytes holds a signal back.
func ReadTarballContext(ctx context.Context, r io.Reader, name string, modules ...string) (*Tarball, error) {
	t, err := readTarball(ctx, ctxReader{ctx, r}, name, modules...)
	if err != nil && ctx.Err() != nil { // a read refused because ctx ended: not a fault of the tarball
		return nil, fmt.Errorf("%s: %w", name, ctx.Err())
	}
	return t, err
}

// ctxReader refuses every read once ctx has ended.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func readTarball(ctx context.Context, r io.Reader, name string, modules ...string) (*Tarball, error) {
	t := &Tarball{Name: name, Modules: map[string][]byte{}}
	want := map[string]*member{
		"core/ldlinux.bss": {rel: "core/ldlinux.bss", exact: bssSize, max: bssSize, dst: &t.Bss},
		"core/ldlinux.sys": {rel: "core/ldlinux.sys", max: MaxSysSize, dst: &t.Sys},
		"mbr/mbr.bin":      {rel: "mbr/mbr.bin", max: maxMBR, dst: &t.MBR},
		"mbr/gptmbr.bin":   {rel: "mbr/gptmbr.bin", max: maxMBR, dst: &t.GPTMBR},
	}
	byBase := map[string]string{} // lower-case base name -> request, for modules named by base
	for _, m := range modules {
		m = strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(m, "\\", "/")), "/")
		base := strings.ToLower(path.Base(m))
		if m == "" || m == "." || base == "" {
			return nil, fmt.Errorf("%s: empty module name: %w", name, ErrMissing)
		}
		if strings.Contains(m, "/") {
			want[m] = &member{rel: m, module: base, max: maxModule}
		} else {
			byBase[base] = m
		}
	}
	modPath := map[string]string{} // module base -> member path it came from
	linkErr := map[string]error{}  // module base -> why a by-base match was unusable

	tr, err := decompress(r, name)
	if err != nil {
		return nil, err
	}
	tr = ctxReader{ctx, tr} // the inflated stream: a bomb inflates from few reads of r
	rd := tar.NewReader(tr)
	seen := map[string]bool{}
	entries := 0
	for {
		hdr, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, tarErr(name, entries, err)
		}
		entries++
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		top, rel, err := splitName(hdr.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", name, hdr.Name, err)
		}
		if rel == "" { // the top folder itself, or a file at the top level
			continue
		}
		if t.Top == "" {
			t.Top = top
		} else if top != t.Top {
			return nil, fmt.Errorf("%s: %s: outside the top folder %s/: %w", name, hdr.Name, t.Top, ErrUnsafePath)
		}
		m := want[rel]
		if m == nil && strings.HasPrefix(rel, "com32/") {
			if req, ok := byBase[strings.ToLower(path.Base(rel))]; ok {
				m = &member{rel: rel, module: strings.ToLower(path.Base(req)), byBase: true, max: maxModule}
			}
		}
		if m == nil {
			continue
		}
		if seen[rel] {
			return nil, fmt.Errorf("%s: %s: appears twice in the archive: %w", name, rel, ErrDuplicate)
		}
		seen[rel] = true
		body, err := readMember(rd, hdr, name, m)
		if err != nil && m.byBase && errors.Is(err, ErrNotRegular) {
			// A link elsewhere under com32/ may sit beside the real file:
			// only an error if no regular copy turns up.
			if linkErr[m.module] == nil {
				linkErr[m.module] = err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if m.module == "" {
			*m.dst = body
			continue
		}
		if prev, ok := modPath[m.module]; ok {
			if string(t.Modules[m.module]) != string(body) {
				return nil, fmt.Errorf("%s: %s and %s: two different %s, name the one wanted by path: %w",
					name, prev, rel, m.module, ErrDuplicate)
			}
			continue
		}
		modPath[m.module] = rel
		t.Modules[m.module] = body
	}
	// Drain what follows the end-of-archive blocks so that a truncated
	// compressed stream (checksum, trailer) is noticed.
	if _, err := io.Copy(io.Discard, tr); err != nil {
		return nil, tarErr(name, entries, err)
	}
	if entries == 0 {
		return nil, fmt.Errorf("%s: no members: %w", name, ErrNotTarball)
	}
	if err := t.complete(want, byBase, modPath, linkErr); err != nil {
		return nil, err
	}
	return t, nil
}

// complete reports the first missing member, by path.
func (t *Tarball) complete(want map[string]*member, byBase, modPath map[string]string, linkErr map[string]error) error {
	top := t.Top
	if top == "" {
		top = "<top>"
	}
	for _, rel := range []string{"core/ldlinux.bss", "core/ldlinux.sys", "mbr/mbr.bin"} {
		if *want[rel].dst == nil {
			return fmt.Errorf("%s: no %s/%s: %w", t.Name, top, rel, ErrMissing)
		}
	}
	var missing []string
	for rel, m := range want {
		if m.module != "" {
			if _, ok := t.Modules[m.module]; !ok {
				missing = append(missing, rel)
			}
		}
	}
	for base := range byBase {
		if _, ok := modPath[base]; !ok {
			if linkErr[base] != nil {
				return linkErr[base]
			}
			missing = append(missing, "com32/.../"+base)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%s: no %s/%s: %w", t.Name, top, strings.Join(missing, ", "), ErrMissing)
	}
	return nil
}

// splitName cleans a member name into its top folder and the path below it.
func splitName(name string) (top, rel string, err error) {
	n := strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':') {
		return "", "", fmt.Errorf("absolute path: %w", ErrUnsafePath)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", "", fmt.Errorf("path with \"..\": %w", ErrUnsafePath)
		}
	}
	n = path.Clean(n)
	n = strings.TrimPrefix(n, "./")
	if n == "." || n == "" {
		return "", "", nil
	}
	top, rel, _ = strings.Cut(n, "/")
	return top, rel, nil
}

// readMember checks the header of a wanted member and reads its body.
func readMember(rd *tar.Reader, hdr *tar.Header, name string, m *member) ([]byte, error) {
	switch hdr.Typeflag {
	case tar.TypeReg, '\x00':
	case tar.TypeSymlink:
		return nil, fmt.Errorf("%s: %s: a symlink to %q, not a regular file: %w", name, m.rel, hdr.Linkname, ErrNotRegular)
	case tar.TypeLink:
		return nil, fmt.Errorf("%s: %s: a hard link to %q, not a regular file: %w", name, m.rel, hdr.Linkname, ErrNotRegular)
	default:
		return nil, fmt.Errorf("%s: %s: tar type %q, not a regular file: %w", name, m.rel, hdr.Typeflag, ErrNotRegular)
	}
	switch {
	case hdr.Size < 0:
		return nil, fmt.Errorf("%s: %s: negative size: %w", name, m.rel, ErrNotTarball)
	case m.exact != 0 && hdr.Size != m.exact:
		return nil, fmt.Errorf("%s: %s: %s bytes, want exactly %s: %w", name, m.rel, human.Commas(hdr.Size), human.Commas(m.exact), ErrTooLarge)
	case m.rel == "core/ldlinux.sys" && hdr.Size > m.max:
		return nil, fmt.Errorf("%s: %s: %s bytes, more than the %d sectors (%s bytes) syslinux 3.x can load: %w",
			name, m.rel, human.Commas(hdr.Size), MaxSectors, human.Commas(MaxSysSize), ErrTooLarge)
	case hdr.Size > m.max:
		return nil, fmt.Errorf("%s: %s: %s bytes, more than the %s allowed: %w", name, m.rel, human.Commas(hdr.Size), human.Commas(m.max), ErrTooLarge)
	case hdr.Size == 0:
		return nil, fmt.Errorf("%s: %s: empty: %w", name, m.rel, ErrMissing)
	}
	body := make([]byte, hdr.Size) // bounded by m.max above
	if _, err := io.ReadFull(rd, body); err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, err // already located by limitReader
		}
		return nil, fmt.Errorf("%s: %s: %w", name, m.rel, readErr(err))
	}
	return body, nil
}

// tarErr describes an error from the tar reader or the decompressor.
func tarErr(name string, entries int, err error) error {
	switch {
	case errors.Is(err, ErrTooLarge):
		return err // already located by limitReader
	case errors.Is(err, ErrTruncated) || errors.Is(err, ErrCorrupt):
		return fmt.Errorf("%s: %w", name, err) // from the decompressor
	case entries == 0 && (errors.Is(err, tar.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF)):
		return fmt.Errorf("%s: no tar header at the start (not a tar archive, or cut short): %w (%w)", name, ErrNotTarball, err)
	case errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("%s: bad tar header after %d members: %w (%w)", name, entries, ErrCorrupt, err)
	}
	return fmt.Errorf("%s: %w", name, readErr(err))
}

// readErr marks premature ends as truncation.
func readErr(err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTruncated) || errors.Is(err, ErrCorrupt) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%w)", ErrTruncated, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w (%w)", ErrCorrupt, err)
}
