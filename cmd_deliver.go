package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/bmap"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
)

// writeBmap writes to bmapPath the bmap of the verified raw image img,
// mapping what the plan wrote, each range's SHA-256 read back from img.
func writeBmap(img, bmapPath string, p *builder.Plan, force bool) error {
	f, err := os.Open(img)
	if err != nil {
		return err
	}
	defer f.Close()
	var b bytes.Buffer
	if err := bmap.Write(&b, f, p.ImageBytes, p.Mapped()); err != nil {
		return fmt.Errorf("%s: %w", bmapPath, err)
	}
	return writeFileAtomic(bmapPath, b.Bytes(), force)
}

// bmapName is where an image's bmap goes: IMAGE.bmap, with the
// compression extension dropped (bmaptool looks there for esx01.img.zst).
func bmapName(out string, k compress.Kind) string {
	return strings.TrimSuffix(out, k.Ext()) + ".bmap"
}

// compression is the format the output asks for (-o NAME.zst, or
// --compress, which appends its extension to a name without it).
func compression(out, flag string) (compress.Kind, string, error) {
	byName := compress.FromName(out)
	k, err := compress.Parse(flag)
	if err != nil {
		return compress.None, "", err
	}
	switch {
	case k == compress.None:
		return byName, out, nil
	case byName == compress.None:
		return k, out + k.Ext(), nil
	case byName != k:
		return compress.None, "", fmt.Errorf("-o %s is %s by its name, but --compress says %s", out, byName, k)
	}
	return k, out, nil
}

// deliver writes the verified image to out: raw, or compressed from a
// verified raw copy beside it (removed afterwards); IMAGE.bmap too when
// withBmap. packed is nil for a raw image.
func deliver(ctx context.Context, p *builder.Plan, out string, k compress.Kind, withBmap bool, o builder.WriteOptions) (
	res *builder.Result, packed *compress.Written, err error) {
	if k == compress.None {
		if res, err = p.WriteFile(ctx, out, o); err != nil {
			return nil, nil, err
		}
		if withBmap {
			if err := writeBmap(res.Path, bmapName(out, k), p, o.Force); err != nil {
				os.Remove(res.Path)
				return nil, nil, err
			}
		}
		return res, nil, nil
	}
	if err := builder.CheckOutput(out, o.Force); err != nil {
		return nil, nil, err
	}
	raw := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".raw-"+strconv.Itoa(os.Getpid()))
	defer os.Remove(raw)
	if res, err = p.WriteFile(ctx, raw, builder.WriteOptions{Sync: o.Sync}); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", out, err)
	}
	if withBmap {
		if err := writeBmap(raw, bmapName(out, k), p, o.Force); err != nil {
			return nil, nil, err
		}
	}
	if packed, err = compress.CompressFile(k, raw, out); err != nil {
		return nil, nil, err
	}
	res.Path = out
	return res, packed, nil
}

// unpacked returns a raw image for path: path itself, or a temporary
// decompressed copy (done removes it).
func unpacked(path string) (raw string, done func(), err error) {
	k, err := compress.Sniff(path)
	if err != nil || k == compress.None {
		return path, func() {}, err
	}
	tmp, err := compress.Decompress(k, path, os.TempDir())
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.Remove(tmp) }, nil
}
