package inspect

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
)

// TestDiskfsOracle reads every file the inspector lists with go-diskfs's
// FAT reader and compares bytes (SHA-256), cluster chains and the
// LDLINUX.SYS sectors.
func TestDiskfsOracle(t *testing.T) {
	for _, fatType := range []int{12, 16, 32} {
		t.Run("FAT"+strconv.Itoa(fatType), func(t *testing.T) {
			files := esxi41Files(esxi41Cfg)
			files["EFI/BOOT/BOOTX64.EFI"] = make([]byte, 9000)
			files["open_source_licenses.txt"] = []byte("licenses")
			sectors := map[int]uint32{12: 8 << 10, 16: 64 << 10, 32: 132 << 10}[fatType]
			b := buildImage(t, imgSpec{fat: fatType, start: 2048, sectors: sectors, files: files})
			r := inspectFile(t, b.path)
			if !r.Bootable {
				t.Fatalf("not bootable:\n%s", r.Text())
			}
			f, err := os.Open(b.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var fsys interface {
				OpenFile(string, int) (filesystem.File, error)
			}
			be, size := file.New(f, true), int64(sectors)*512
			switch fatType {
			case 12:
				fsys, err = fat12.Read(be, size, b.fsOff, 512)
			case 16:
				fsys, err = fat16.Read(be, size, b.fsOff, 512)
			case 32:
				fsys, err = fat32.Read(be, size, b.fsOff, 512)
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, fr := range r.Files {
				if fr.Dir {
					continue
				}
				n++
				h, err := fsys.OpenFile(fr.Path, os.O_RDONLY)
				if err != nil {
					t.Errorf("go-diskfs open %s: %v", fr.Path, err)
					continue
				}
				data := make([]byte, fr.Size)
				if k, err := h.Read(data); (err != nil && err != io.EOF) || int64(k) != fr.Size {
					t.Errorf("go-diskfs read %s: %d bytes, %v", fr.Path, k, err)
				}
				if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != fr.SHA256 {
					t.Errorf("%s: SHA-256 differs from go-diskfs's read", fr.Path)
				}
				chain, err := h.(*fat12.File).GetClusterChain()
				if err != nil || runs(chain) != fr.Clusters {
					t.Errorf("%s: go-diskfs chain %s (%v), inspect %s", fr.Path, runs(chain), err, fr.Clusters)
				}
				if strings.EqualFold(fr.Path, "/LDLINUX.SYS") {
					ranges, err := h.(*fat12.File).GetDiskRanges()
					first, _, _ := strings.Cut(r.Loader.FileSectors, "-")
					if err != nil || len(ranges) != 1 || strconv.FormatUint(ranges[0].Offset/512, 10) != first {
						t.Errorf("LDLINUX.SYS: go-diskfs ranges %+v (%v), inspect sectors %s", ranges, err, r.Loader.FileSectors)
					}
				}
			}
			if n != len(files)+1 {
				t.Errorf("%d files listed, want %d", n, len(files)+1)
			}
		})
	}
}
