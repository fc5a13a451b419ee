package inspect

import (
	"fmt"
	"os"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/syslinux"
)

// TestSyslinuxInstallAccepted re-installs each test image with
// builder/syslinux's Install (the production patcher) and expects the
// inspector, which decodes the patch area on its own, to accept it.
func TestSyslinuxInstallAccepted(t *testing.T) {
	for _, opt := range []syslinux.Options{{}, {Stupid: true}, {RAID: true}} {
		t.Run(fmt.Sprintf("%+v", opt), func(t *testing.T) {
			b := buildImage(t, imgSpec{fat: 16, start: 2048, sectors: 64 << 10, files: esxi41Files(esxi41Cfg)})
			f, err := os.OpenFile(b.path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var fsBoot [512]byte
			if _, err := f.ReadAt(fsBoot[:], b.fsOff); err != nil {
				t.Fatal(err)
			}
			bss, sys := synthLoader()
			boot, patched, err := syslinux.Install(bss, sys, fsBoot, b.sectors, opt)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, f, boot[:], b.fsOff)
			mustWrite(t, f, patched[:512], b.fsOff+int64(b.sectors[0])*512)
			r := inspectFile(t, b.path)
			if !r.Bootable || len(r.Faults) > 0 {
				t.Fatalf("not bootable:\n%s", r.Text())
			}
			l := r.Loader
			if l.RAID == nil || *l.RAID != opt.RAID || (l.MaxTransfer == 1) != opt.Stupid {
				t.Errorf("RAID %v, MaxTransfer %d for %+v", l.RAID, l.MaxTransfer, opt)
			}
		})
	}
}
