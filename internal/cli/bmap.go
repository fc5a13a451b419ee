package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/bmap"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
)

// readBmap is the bmap (named bmapName in messages) of the verified raw
// image img.
func readBmap(img, bmapName string, p *builder.Plan) ([]byte, error) {
	f, err := os.Open(img)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return bmapBytes(f, bmapName, p)
}

// bmapBytes is the bmap (for bmapPath) of the image r, mapping what the
// plan wrote with both FATs whole (what a used disk must receive), each
// range's SHA-256 read back from r.
func bmapBytes(r *os.File, bmapPath string, p *builder.Plan) ([]byte, error) {
	var b bytes.Buffer
	if err := bmap.Write(&b, r, p.ImageBytes, p.DiskMapped()); err != nil {
		return nil, fmt.Errorf("%s: %w", bmapPath, err)
	}
	return b.Bytes(), nil
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

// deliver stages the verified image for out in set: raw, or compressed
// from the verified raw image (which is then dropped); IMAGE.bmap too when
// withBmap. packed is nil for a raw image. Nothing is in place until
// set.publish.
func deliver(ctx context.Context, p *builder.Plan, out string, k compress.Kind, withBmap bool, o builder.WriteOptions, compressing func(int64), set *outputSet) (
	res *builder.Result, packed *compress.Written, err error) {
	if err := builder.CheckOutput(out, o.Force); err != nil {
		return nil, nil, err
	}
	raw := out
	if k != compress.None {
		raw = fileio.JoinUnder(fileio.Folder(out), "."+filepath.Base(out)+".raw")
	}
	pd, err := p.WriteTemp(ctx, raw, builder.WriteOptions{Force: o.Force, Sync: o.Sync, ZeroRuns: o.ZeroRuns, Progress: o.Progress})
	if err != nil {
		if k != compress.None {
			return nil, nil, fmt.Errorf("%s: %w", out, err)
		}
		return nil, nil, err
	}
	if withBmap {
		b, err := bmapBytes(pd.File(), bmapName(out, k), p)
		if err != nil {
			pd.Discard()
			return nil, nil, err
		}
		if err := set.stage(bmapName(out, k), b, p.Mode(), o.Force); err != nil { // its range hashes cover KS.CFG
			pd.Discard()
			return nil, nil, err
		}
	}
	res = &pd.Result
	if k == compress.None {
		set.addImage(pd)
		return res, nil, nil
	}
	defer pd.Discard() // the raw image is never published
	t, err := set.temp(out, o.Force)
	if err != nil {
		return nil, nil, err
	}
	var src io.Reader = io.NewSectionReader(pd.File(), 0, p.ImageBytes)
	if compressing != nil {
		src = &compress.ProgressReader{R: src, Progress: compressing}
	}
	n, sum, err := compress.CompressTo(ctx, k, src, t)
	if err != nil {
		t.Discard()
		return nil, nil, fmt.Errorf("compressing %s: %w", out, err)
	}
	if err := set.add(t, out, p.Mode(), o.Force); err != nil {
		return nil, nil, err
	}
	res.Path = out
	return res, &compress.Written{Path: out, Kind: k, Bytes: n, SHA256: sum}, nil
}

// unpacked returns a raw image for path: path itself, or a temporary
// decompressed copy (done removes it).
func unpacked(ctx context.Context, path string) (raw string, done func(), err error) {
	k, err := compress.Sniff(path)
	if err != nil || k == compress.None {
		return path, func() {}, err
	}
	tmp, err := compress.Decompress(ctx, k, path, os.TempDir())
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.Remove(tmp) }, nil
}
