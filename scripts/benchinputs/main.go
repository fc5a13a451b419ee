// Command benchinputs writes the inputs scripts/bench.sh measures with: a
// synthetic ESXi 4.1 ISO with the real file sizes, a synthetic syslinux
// 3.70 tarball in the release's shape, the payload a user would have
// extracted from them for the classic mtools procedure, and plan.env, the
// figures of the plan (partition offset, FAT type and size) in shell syntax;
// for `write`, a synthetic ESXi 7.0 ISO of a real 7.0's size (397 MB) and a
// syslinux 3.86 tarball.
//
//	go run ./scripts/benchinputs DIR
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchinputs DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "benchinputs:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	iso := filepath.Join(dir, "esxi-4.1-real-sizes.iso")
	tb := filepath.Join(dir, "syslinux-3.70.tar.gz")
	if err := os.MkdirAll(filepath.Join(dir, "payload"), 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(iso); err != nil {
		if err := isogen.Write(iso, isogen.Spec{RockRidge: true, RealSizes: true}); err != nil {
			return err
		}
	}
	if err := writeCD(filepath.Join(dir, "esxi-7.0-cd-600m.iso")); err != nil {
		return err
	}
	if _, err := os.Stat(tb); err != nil {
		if err := tarball.WriteFile(tb, tarball.Spec{RealSizes: true}); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		path  string
		write func(string) error
	}{
		// -2: the first one's vim.v00 was 49,600,000 bytes, whole sectors,
		// which build now refuses (bootcfg.WholeSectors); a new name, so
		// that an old input folder gets the new ISO.
		{filepath.Join(dir, "esxi-7.0-real-sizes-2.iso"), func(p string) error { return isogen.Write(p, isogen.Spec{Version: "7.0", RealSizes: true}) }},
		{filepath.Join(dir, "syslinux-3.86.tar.gz"), func(p string) error {
			return tarball.WriteFile(p, tarball.Spec{Version: "3.86", Date: "2010-04-01", RealSizes: true})
		}},
	} {
		if _, err := os.Stat(f.path); err != nil {
			if err := f.write(f.path); err != nil {
				return err
			}
		}
	}
	in, err := builder.Open(iso, tb)
	if err != nil {
		return err
	}
	defer in.Close()
	p, err := in.Plan(builder.Options{Host: "esx01", KS: "http://deploy/ks/esx01.cfg"})
	if err != nil {
		return err
	}
	var files []string
	for _, f := range p.Files {
		if f.Dst == builder.LoaderName {
			continue // the installer writes it
		}
		var r io.Reader = strings.NewReader(p.Config)
		if f.Src != "" {
			if r, err = in.ISO.Section(f.Src); err != nil {
				return err
			}
		}
		if err := write(filepath.Join(dir, "payload", f.Dst), r); err != nil {
			return err
		}
		files = append(files, f.Dst)
	}
	env := fmt.Sprintf("START_LBA=%d\nFAT=%d\nFAT_SECTORS=%d\nIMAGE_BYTES=%d\nFILES=%q\n",
		p.Partition.StartLBA, p.FAT.Type, p.FAT.TotalSectors, p.ImageBytes, strings.Join(files, " "))
	return os.WriteFile(filepath.Join(dir, "plan.env"), []byte(env), 0o644)
}

// writeCD writes a bootable (El Torito) 7.0-shaped ISO of about 600 MB,
// the size of 8.0 media: 7.0's invented real sizes and 230 MB of filler,
// for the install-CD cases.
func writeCD(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	pad := make([]byte, 230<<20)
	for i := range pad {
		pad[i] = byte(i*7 + i>>13) // not zeros: the file system must store it
	}
	return isogen.Write(path, isogen.Spec{Version: "7.0", ElTorito: true, RealSizes: true, Files: map[string][]byte{"PAD.BIN": pad}})
}

func write(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
