package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/bmap"
)

// writeBmap writes img.bmap beside the verified image img, mapping what
// the plan wrote, with each range's SHA-256 read back from img.
func writeBmap(img string, p *builder.Plan, force bool) error {
	f, err := os.Open(img)
	if err != nil {
		return err
	}
	defer f.Close()
	var b bytes.Buffer
	if err := bmap.Write(&b, f, p.ImageBytes, p.Mapped()); err != nil {
		return fmt.Errorf("%s.bmap: %w", img, err)
	}
	return writeFileAtomic(img+".bmap", b.Bytes(), force)
}
