package inspect

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/internal/testutil"
)

// Test images are built here with the system's dosfstools and mtools, a
// synthetic 3.70-layout loader and a small patcher of our own: an
// independent reading of the install procedure, not builder/syslinux's.

const (
	testMagic   = 0x3EB202FE
	testStamp   = testMagic ^ 0x48690F3C // Magic ^ HEXDATE of a made-up build
	testM       = 0x20                   // patch area offset in the synthetic ldlinux.sys
	testKaboom  = 0x1D6                  // offset of "int 16h; int 19h" in the synthetic bss
	mbrBinPath  = "/usr/lib/syslinux/mbr/mbr.bin"
	testSysSize = 13_044
)

var le = binary.LittleEndian

// synthLoader returns a stand-in ldlinux.bss/ldlinux.sys pair with the 3.70
// layout: banner, magic at 0x20, stamp at 0x24, empty patch area; the bss
// holds the stamp as an immediate in its code and the int 16h/int 19h pair.
func synthLoader() (bss, sys []byte) { return synthLoaderSize(testSysSize) }

func synthLoaderSize(size int) (bss, sys []byte) {
	sys = make([]byte, size)
	for i := range sys {
		sys[i] = byte(i*7 + i>>9)
	}
	copy(sys, "\r\nSYSLINUX 3.70 2008-06-30 ")
	clear(sys[27:testM])
	le.PutUint32(sys[testM:], testMagic)
	le.PutUint32(sys[testM+4:], testStamp)
	clear(sys[testM+8 : testM+16+256])
	bss = make([]byte, 512)
	copy(bss, []byte{0xEB, 0x58, 0x90})
	copy(bss[3:], "SYSLINUX")
	for i := 0x5A; i < 0x1F8; i++ {
		bss[i] = 0x90
	}
	copy(bss[0x100:], []byte{0x66, 0x81, 0x3E, 0x24, 0x7E}) // cmp dword [0x7E24], imm32
	le.PutUint32(bss[0x105:], testStamp)
	copy(bss[testKaboom:], []byte{0xCD, 0x16, 0xCD, 0x19})
	le.PutUint32(bss[0x1F8:], 0xDEADBEEF)
	le.PutUint16(bss[0x1FC:], 0x7F)
	le.PutUint16(bss[0x1FE:], testKaboom)
	return bss, sys
}

// imgSpec describes a test image.
type imgSpec struct {
	fat     int               // 12, 16 or 32
	bare    bool              // no MBR: the filesystem starts at byte 0
	start   uint32            // partition start LBA (with an MBR)
	sectors uint32            // partition (filesystem) size
	files   map[string][]byte // FAT path -> content; folders created as needed
	order   []string          // copy order after LDLINUX.SYS (default: sorted)
	noAttr  bool              // leave LDLINUX.SYS without R/H/S
	raid    bool              // install with -r
	stupid  bool              // install with -s
	sysSize int               // synthetic ldlinux.sys size (default testSysSize)
	mbrCode []byte            // MBR boot code (default Debian's mbr.bin)
	// partType is the MBR entry's type (default: 0xEF with a UEFI loader
	// in files, as the builder writes, else the FAT type's).
	partType byte
}

// built is a test image and where things landed.
type built struct {
	path    string
	fsOff   int64    // byte offset of the filesystem
	sectors []uint32 // LDLINUX.SYS sectors, fs-relative
}

func esxi41Files(cfg string) map[string][]byte {
	files := map[string][]byte{"SYSLINUX.CFG": []byte(cfg), "KS.CFG": []byte("vmaccepteula\nrootpw secret\nautopart --firstdisk --overwritevmfs\ninstall usb\n")}
	for i, n := range []string{"MBOOT.C32", "VMKBOOT.GZ", "VMKERNEL.GZ", "SYS.VGZ", "CIM.VGZ", "IENVIRON.VGZ", "INSTALL.VGZ"} {
		b := make([]byte, 3000+i*4099)
		for j := range b {
			b[j] = byte(j*(i+3) + i)
		}
		files[n] = b
	}
	return files
}

// mtoolsEnv is the environment of the mtools the helpers run.
var mtoolsEnv = []string{"MTOOLS_SKIP_CHECK=1", "MTOOLS_NO_VFAT=0"}

const esxi41Cfg = "serial 0 115200\ndefault 1\nprompt 1\nmenu title VMware VMvisor Boot Menu\ntimeout 50\nlabel 1\nkernel mboot.c32\n" +
	"append vmkboot.gz ks=usb --- vmkernel.gz --- sys.vgz --- cim.vgz --- ienviron.vgz --- install.vgz\nlabel 0\nlocalboot 0x80\n"

// buildImage makes the image: mkfs.fat, mcopy, our patcher, an MBR.
func buildImage(t testing.TB, s imgSpec) built {
	t.Helper()
	testutil.Need(t, "mkfs.fat", "mcopy", "mattrib", "mmd")
	dir := t.TempDir()
	b := built{path: filepath.Join(dir, "disk.img")}
	if !s.bare {
		b.fsOff = int64(s.start) * 512
	}
	f, err := os.Create(b.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(b.fsOff + int64(s.sectors)*512); err != nil {
		t.Fatal(err)
	}
	hidden := s.start
	if s.bare {
		hidden = 0
	}
	testutil.Run(t, mtoolsEnv, "mkfs.fat", "-F", fmt.Sprint(s.fat), "-h", fmt.Sprint(hidden), fmt.Sprintf("--offset=%d", b.fsOff/512),
		"-i", "1234ABCD", "-n", "ESXI", "--invariant", b.path, fmt.Sprint(s.sectors/2))
	at := fmt.Sprintf("%s@@%d", b.path, b.fsOff)
	bss, sys := synthLoaderSize(cmp.Or(s.sysSize, testSysSize))
	src := filepath.Join(dir, "src")
	write := func(name string, data []byte) string {
		p := filepath.Join(src, strings.ReplaceAll(name, "/", "_"))
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	testutil.Run(t, mtoolsEnv, "mcopy", "-i", at, write("LDLINUX.SYS", sys), "::/LDLINUX.SYS")
	if !s.noAttr {
		testutil.Run(t, mtoolsEnv, "mattrib", "-i", at, "+r", "+h", "+s", "::/LDLINUX.SYS")
	}
	order := s.order
	if order == nil {
		for n := range s.files {
			order = append(order, n)
		}
		slices.Sort(order)
	}
	made := map[string]bool{}
	for _, n := range order {
		parts := strings.Split(n, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/")
			if !made[d] {
				testutil.Run(t, mtoolsEnv, "mmd", "-i", at, "::/"+d)
				made[d] = true
			}
		}
		testutil.Run(t, mtoolsEnv, "mcopy", "-i", at, write(n, s.files[n]), "::/"+n)
	}
	b.sectors = ldlinuxSectors(t, f, b.fsOff, len(sys))
	install(t, f, b.fsOff, bss, sys, b.sectors, s.raid, s.stupid)
	if !s.bare {
		writeMBR(t, f, s.start, s.sectors, s.fat, s.mbrCode)
		typ := s.partType
		if _, uefi := s.files["EFI/BOOT/BOOTX64.EFI"]; uefi && typ == 0 {
			typ = 0xEF
		}
		if typ != 0 {
			mustWrite(t, f, []byte{typ}, 0x1BE+4)
		}
	}
	return b
}

// ldlinuxSectors finds LDLINUX.SYS's first cluster in the root folder and
// lists its sectors (mcopy into a fresh filesystem writes it contiguously).
func ldlinuxSectors(t testing.TB, f *os.File, fsOff int64, size int) []uint32 {
	t.Helper()
	bs := make([]byte, 512)
	if _, err := f.ReadAt(bs, fsOff); err != nil {
		t.Fatal(err)
	}
	rsvd, nfats, rootEnts := uint32(le.Uint16(bs[14:])), uint32(bs[16]), uint32(le.Uint16(bs[17:]))
	fatsz, spc := uint32(le.Uint16(bs[22:])), uint32(bs[13])
	if fatsz == 0 {
		fatsz = le.Uint32(bs[36:])
	}
	rootSecs := (rootEnts + 15) / 16
	data := rsvd + nfats*fatsz + rootSecs
	root := rsvd + nfats*fatsz
	if rootEnts == 0 { // FAT32: the root folder's first cluster
		root = data + (le.Uint32(bs[44:])-2)*spc
	}
	dir := make([]byte, 512*max(rootSecs, spc))
	if _, err := f.ReadAt(dir, fsOff+int64(root)*512); err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(dir, []byte("LDLINUX SYS"))
	if i < 0 || i%32 != 0 {
		t.Fatal("LDLINUX.SYS not in the root folder")
	}
	first := uint32(le.Uint16(dir[i+20:]))<<16 | uint32(le.Uint16(dir[i+26:]))
	var out []uint32
	for k := range uint32((size + 511) / 512) {
		out = append(out, data+(first-2)*spc+k)
	}
	return out
}

// install is a small independent 3.x installer: boot sector overlay,
// FirstSector, -s/-r, and the patched first sector of LDLINUX.SYS.
func install(t testing.TB, f readWriterAt, fsOff int64, bss, sys []byte, secs []uint32, raid, stupid bool) {
	t.Helper()
	bs := make([]byte, 512)
	if _, err := f.ReadAt(bs, fsOff); err != nil {
		t.Fatal(err)
	}
	copy(bs[0:3], bss[0:3])
	copy(bs[0x5A:0x1FE], bss[0x5A:0x1FE])
	if stupid {
		le.PutUint16(bs[0x1FC:], 1)
	}
	if raid {
		p := le.Uint16(bss[0x1FE:])
		bs[p], bs[p+1] = 0xCD, 0x18
	}
	le.PutUint32(bs[0x1F8:], secs[0])
	p := slices.Clone(sys)
	le.PutUint16(p[testM+8:], uint16(len(p)>>2))
	le.PutUint16(p[testM+10:], uint16(len(secs)-1))
	for i, s := range secs[1:] {
		le.PutUint32(p[testM+16+4*i:], s)
	}
	le.PutUint32(p[testM+12:], 0)
	var sum uint32
	for i := 0; i < len(p)>>2; i++ {
		sum += le.Uint32(p[4*i:])
	}
	le.PutUint32(p[testM+12:], testMagic-sum)
	mustWrite(t, f, bs, fsOff)
	mustWrite(t, f, p[:512], fsOff+int64(secs[0])*512)
}

// writeMBR lays code (Debian's mbr.bin when nil) at 0..439 and one active entry.
func writeMBR(t testing.TB, f io.WriterAt, start, sectors uint32, fat int, code []byte) {
	t.Helper()
	if code == nil {
		testutil.Need(t, mbrBinPath)
		var err error
		if code, err = os.ReadFile(mbrBinPath); err != nil {
			t.Fatal(err)
		}
	}
	sec := make([]byte, 512)
	copy(sec, code[:min(len(code), 440)])
	le.PutUint32(sec[0x1B8:], 0x0E5A1D00)
	e := sec[0x1BE:]
	e[0] = 0x80
	copy(e[1:4], []byte{0xFE, 0xFF, 0xFF})
	e[4] = map[int]byte{12: 0x01, 16: 0x0E, 32: 0x0C}[fat]
	copy(e[5:8], []byte{0xFE, 0xFF, 0xFF})
	le.PutUint32(e[8:], start)
	le.PutUint32(e[12:], sectors)
	sec[510], sec[511] = 0x55, 0xAA
	mustWrite(t, f, sec, 0)
}

type readWriterAt interface {
	io.ReaderAt
	io.WriterAt
}

// memImage is an in-memory image file.
type memImage []byte

func (m memImage) ReadAt(p []byte, off int64) (int, error)  { return copy(p, m[off:]), nil }
func (m memImage) WriteAt(p []byte, off int64) (int, error) { return copy(m[off:], p), nil }

func mustWrite(t testing.TB, f io.WriterAt, b []byte, off int64) {
	t.Helper()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// overlay is a ReaderAt with some bytes replaced: negative controls
// without copying the image.
type overlay struct {
	r       io.ReaderAt
	patches []patch
}

type patch struct {
	off  int64
	data []byte
}

func (o *overlay) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.r.ReadAt(p, off)
	for _, q := range o.patches {
		for i, c := range q.data {
			if k := q.off + int64(i) - off; k >= 0 && k < int64(n) {
				p[k] = c
			}
		}
	}
	return n, err
}
