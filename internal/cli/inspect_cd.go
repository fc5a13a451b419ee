package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/esxi-autopart/esxi-autopart/builder/cd"
	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
	"github.com/esxi-autopart/esxi-autopart/builder/isofs"
)

// isISO says whether the file at path is an ISO 9660 image (CD001 in the
// first volume descriptor): inspect and boot treat it as a CD.
func isISO(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 5)
	_, err = f.ReadAt(b, 16*cd.Sector+1)
	return err == nil && string(b) == "CD001"
}

// inspectCD is inspect for an install CD.
func inspectCD(ctx context.Context, path, isoPath string, asJSON bool, stdout io.Writer) error {
	var orig *isofs.Image
	if isoPath != "" {
		var err error
		if orig, err = isofs.OpenContext(ctx, isoPath); err != nil {
			return err
		}
		defer orig.Close()
	}
	rep, err := inspect.InspectCD(path, orig)
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(stdout, inspectCDDoc{SchemaVersion: schemaVersion, Type: "inspect", Image: path, CD: rep}); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, rep.Text())
	}
	if !rep.Bootable {
		return &exitError{code: 3, inJSON: true, err: fmt.Errorf("%s would not boot: %d fault(s)", path, len(rep.Faults))}
	}
	return nil
}

// inspectCDDoc is `inspect --json` of a CD.
type inspectCDDoc struct {
	SchemaVersion int               `json:"schema_version"`
	Type          string            `json:"type"` // "inspect"
	Image         string            `json:"image"`
	CD            *inspect.CDReport `json:"cd"`
}

// cdFirmwares: both when the CD has a UEFI El Torito entry.
func cdFirmwares(img string) ([]string, string) {
	src, err := cd.Open(img)
	if err != nil {
		return []string{"bios"}, "it could not be read as a CD: " + err.Error()
	}
	defer src.Close()
	if src.Catalog != nil {
		for _, e := range src.Catalog.Images {
			if e.Platform == "UEFI" {
				return []string{"bios", "uefi"}, "the CD has a UEFI El Torito entry"
			}
		}
	}
	return []string{"bios"}, "the CD has no UEFI El Torito entry"
}
