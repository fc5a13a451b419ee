package fat

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// benchFiles is an ESXi-shaped payload of about 300 MB: a few large
// compressed images and many small files.
func benchFiles() []File {
	fs := []File{
		{Path: "s.v00", Size: 120_000_003}, {Path: "imgdb.tgz", Size: 80_000_000},
		{Path: "tools.t00", Size: 50_000_017}, {Path: "vmkernel.gz", Size: 30_000_000},
		{Path: "EFI/BOOT/BOOTX64.EFI", Size: 10_000_000}, {Path: "net-e1000.v00", Size: 5_000_123},
	}
	for i := 0; i < 30; i++ {
		fs = append(fs, File{Path: fmt.Sprintf("drivers/module_%02d.v00", i), Size: int64(1000 + i*10_007)})
	}
	return fs
}

// writeBenchContent writes gzip-like (incompressible) content files.
func writeBenchContent(b *testing.B, dir string, files []File) (map[string]string, int64) {
	b.Helper()
	block := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range block {
		block[i] = byte(r.Uint32())
	}
	paths := map[string]string{}
	var total int64
	for i, f := range files {
		p := filepath.Join(dir, fmt.Sprintf("src-%02d", i))
		out, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		for left := f.Size; left > 0; left -= int64(len(block)) {
			block[0]++ // vary the blocks
			if _, err := out.Write(block[:min(left, int64(len(block)))]); err != nil {
				b.Fatal(err)
			}
		}
		out.Close()
		paths[f.Path] = p
		total += f.Size
	}
	return paths, total
}

// hidden hides *os.File so that Write takes the buffered path.
type hidden struct{ io.ReaderAt }

func BenchmarkWrite(b *testing.B) {
	files := benchFiles()
	dir := b.TempDir()
	paths, total := writeBenchContent(b, dir, files)
	p, err := NewPlan(Spec{Files: files, HiddenSectors: 2048, ModTime: testTime})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"copy_file_range", "buffered", "cp"} {
		b.Run(mode, func(b *testing.B) {
			var open []*os.File
			content := map[string]io.ReaderAt{}
			for path, src := range paths {
				f, err := os.Open(src)
				if err != nil {
					b.Fatal(err)
				}
				open = append(open, f)
				st, _ := f.Stat()
				var r io.ReaderAt = io.NewSectionReader(f, 0, st.Size())
				if mode == "buffered" {
					r = hidden{r}
				}
				content[path] = r
			}
			defer func() {
				for _, f := range open {
					f.Close()
				}
			}()
			b.SetBytes(total)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				img := filepath.Join(dir, "bench.img")
				if mode == "cp" { // the floor: copy the files, no filesystem
					os.RemoveAll(img)
					os.Mkdir(img, 0o755)
					args := []string{"--reflink=never"}
					for _, src := range paths {
						args = append(args, src)
					}
					if out, err := exec.Command("cp", append(args, img)...).CombinedOutput(); err != nil {
						b.Fatalf("cp: %v\n%s", err, out)
					}
					continue
				}
				out, err := os.Create(img)
				if err != nil {
					b.Fatal(err)
				}
				if err := out.Truncate(2048*SectorSize + int64(p.TotalSectors)*SectorSize); err != nil {
					b.Fatal(err)
				}
				if err := p.Write(context.Background(), out, 2048*SectorSize, p.BootSector(), content, WriteOptions{}); err != nil {
					b.Fatal(err)
				}
				out.Close()
			}
			b.StopTimer()
			os.RemoveAll(filepath.Join(dir, "bench.img"))
		})
	}
}
