package isofs

import (
	"fmt"
	"io"

	"github.com/kdomanski/iso9660"

	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

const (
	sectorSize  = 2048 // ISO9660 logical sector (the only block size accepted)
	firstVD     = 16   // sector of the first volume descriptor (after the system area)
	maxVDs      = 64   // volume descriptors read before a terminator must appear
	rootRecord  = 156  // offset of the root directory record in a PVD/SVD
	rootRecLen  = 34   // its fixed length
	escapeSeqAt = 88   // offset of the escape sequences field of an SVD (Joliet level)
)

// Volume descriptor types (ECMA-119 8.1.1).
const (
	vdBoot          = 0
	vdPrimary       = 1
	vdSupplementary = 2
	vdPartition     = 3
	vdTerminator    = 255
)

// volume is what the walker needs from a primary or Joliet volume descriptor.
type volume struct {
	id   string                 // volume identifier (primary only)
	root iso9660.DirectoryEntry // root directory record
}

// volumes are the descriptors of one image.
type volumes struct {
	primary *volume // the first primary volume descriptor
	joliet  *volume // the first Joliet supplementary descriptor, or nil
}

// readVolumes reads the volume descriptor set (sectors 16.. up to the terminator).
func readVolumes(ra io.ReaderAt, size int64) (*volumes, error) {
	var vs volumes
	buf := make([]byte, sectorSize)
	for i := 0; ; i++ {
		if i == maxVDs {
			return nil, fmt.Errorf("%w: no volume descriptor terminator in sectors %d..%d", ErrCorrupt, firstVD, firstVD+maxVDs-1)
		}
		sector := int64(firstVD + i)
		if (sector+1)*sectorSize > size {
			if i == 0 {
				return nil, fmt.Errorf("not an ISO9660 image: %s bytes, too short for a volume descriptor", human.Commas(size))
			}
			return nil, fmt.Errorf("%w: volume descriptors run past the end of the image (truncated?)", ErrCorrupt)
		}
		if _, err := ra.ReadAt(buf, sector*sectorSize); err != nil {
			return nil, fmt.Errorf("volume descriptor at sector %d: %w", sector, err)
		}
		if string(buf[1:6]) != "CD001" {
			if i == 0 {
				return nil, fmt.Errorf("not an ISO9660 image: no CD001 volume descriptor at sector 16")
			}
			return nil, fmt.Errorf("%w: volume descriptor at sector %d lacks CD001", ErrCorrupt, sector)
		}
		switch buf[0] {
		case vdTerminator:
			if vs.primary == nil {
				return nil, fmt.Errorf("%w: no primary volume descriptor", ErrCorrupt)
			}
			return &vs, nil
		case vdPrimary, vdSupplementary:
			v, err := parseVolume(buf, size)
			if err != nil {
				return nil, fmt.Errorf("volume descriptor at sector %d: %w", sector, err)
			}
			if buf[0] == vdPrimary && vs.primary == nil {
				vs.primary = v
			}
			if buf[0] == vdSupplementary && vs.joliet == nil && isJoliet(buf) {
				vs.joliet = v
			}
		}
	}
}

// isJoliet says whether an SVD announces UCS-2 names (escape %/@, %/C or %/E).
func isJoliet(vd []byte) bool {
	e := vd[escapeSeqAt : escapeSeqAt+3]
	return e[0] == '%' && e[1] == '/' && (e[2] == '@' || e[2] == 'C' || e[2] == 'E')
}

// parseVolume decodes a PVD/SVD after checking what the decoder would index.
func parseVolume(vd []byte, size int64) (*volume, error) {
	rec := vd[rootRecord : rootRecord+rootRecLen]
	if rec[0] != rootRecLen || rec[32] != 1 {
		return nil, fmt.Errorf("%w: root directory record has length %d, identifier length %d (want 34, 1)", ErrCorrupt, rec[0], rec[32])
	}
	var body iso9660.PrimaryVolumeDescriptorBody
	if err := body.UnmarshalBinary(vd); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if body.LogicalBlockSize != sectorSize {
		return nil, fmt.Errorf("logical block size %d not supported (only 2048)", body.LogicalBlockSize)
	}
	if body.RootDirectoryEntry.FileFlags&flagDir == 0 {
		return nil, fmt.Errorf("%w: root directory record is not flagged as a directory", ErrCorrupt)
	}
	return &volume{id: body.VolumeIdentifier, root: *body.RootDirectoryEntry}, nil
}
