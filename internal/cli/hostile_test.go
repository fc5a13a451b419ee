package cli

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/kickstart"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
	"github.com/esxi-autopart/esxi-autopart/layouts"
)

// hostile is one bad input: setup spoils the default inputs or arguments of
// `build` (a good ISO, a good tarball, --ks usb, -o <out>/esx01.img), and
// the command must fail with a non-zero exit, an error naming want[0] (the
// file or flag at fault) and containing every other want (the fault), and
// leave nothing new in the output folder.
type hostile struct {
	name  string
	setup func(e *hostileEnv)
	want  []string
}

// hostileCases is the catalogue. Adding a case is adding a line.
var hostileCases = []hostile{
	// The ISO.
	{"iso empty", func(e *hostileEnv) { e.iso = e.write("empty.iso", nil) }, w("empty.iso", "too short for a volume descriptor")},
	{"iso not an ISO", func(e *hostileEnv) { e.iso = e.write("text.iso", []byte(strings.Repeat("hello\n", 9000))) }, w("text.iso", "not an ISO9660 image")},
	{"iso truncated", func(e *hostileEnv) { e.iso = e.cut(e.isoFile("cut.iso", isogen.Spec{RockRidge: true}), 0.5) }, w("cut.iso", "beyond the end of the image")},
	{"iso corrupt PVD", func(e *hostileEnv) { e.iso = e.poke(e.isoFile("pvd.iso", isogen.Spec{}), 16*2048, 0xFF) }, w("pvd.iso", "no primary volume descriptor")},
	{"iso corrupt root record", func(e *hostileEnv) { e.iso = e.poke(e.isoFile("root.iso", isogen.Spec{}), 16*2048+156+2, 0xFF) }, w("root.iso", "corrupt ISO9660 image")},
	{"iso without isolinux.cfg", func(e *hostileEnv) { e.iso = e.isoFile("nocfg.iso", isogen.Spec{Omit: []string{"isolinux.cfg"}}) }, w("nocfg.iso", "no isolinux.cfg")},
	{"iso unknown layout", func(e *hostileEnv) {
		e.iso = e.isoFile("linux.iso", isogen.Spec{IsolinuxCfg: "default linux\nlabel linux\nkernel vmlinuz\nappend initrd=initrd.img\n"})
	}, w("linux.iso", "no known ESXi layout", "kernel vmlinuz")},
	{"iso ESXi 5 layout without boot.cfg", func(e *hostileEnv) {
		e.iso = e.isoFile("esxi5.iso", isogen.Spec{IsolinuxCfg: "default install\nlabel install\nkernel mboot.c32\nappend -c boot.cfg\n"})
	}, w("esxi5.iso", "boot.cfg")},
	{"iso module missing", func(e *hostileEnv) { e.iso = e.isoFile("nocim.iso", isogen.Spec{Omit: []string{"cim.vgz"}}) }, w("nocim.iso", "cim.vgz is not on the ISO")},
	{"iso kernel missing", func(e *hostileEnv) { e.iso = e.isoFile("nomboot.iso", isogen.Spec{Omit: []string{"mboot.c32"}}) }, w("nomboot.iso", "mboot.c32 is not on the ISO")},
	{"iso cfg with NUL", func(e *hostileEnv) {
		e.iso = e.isoFile("nul.iso", isogen.Spec{IsolinuxCfg: isogen.Isolinux41 + "\x00"})
	}, w("nul.iso", "ISOLINUX.CFG", "NUL byte")},
	{"iso cfg too large", func(e *hostileEnv) {
		e.iso = e.isoFile("bigcfg.iso", isogen.Spec{IsolinuxCfg: isogen.Isolinux41 + strings.Repeat("# padding\n", 7000)})
	}, w("bigcfg.iso", "ISOLINUX.CFG", "more than the 65,536 allowed")},
	{"iso module name not 8.3", func(e *hostileEnv) {
		e.iso = e.isoFile("long.iso", isogen.Spec{RockRidge: true,
			IsolinuxCfg: strings.Replace(isogen.Isolinux41, "cim.vgz", "cim-extra.vgz", 1),
			Files:       map[string][]byte{"cim-extra.vgz": []byte("x")}})
	}, w("long.iso", "cim-extra.vgz", "8.3")},
	// Names that fold: FAT short names, syslinux and mboot compare bytes,
	// folding ASCII case only; two ISO files must never become one FAT
	// name, and no non-ASCII letter may become an ASCII one.
	{"names fold: dotless i", func(e *hostileEnv) {
		e.iso = e.isoFile("dotless.iso", isogen.Spec{RockRidge: true,
			IsolinuxCfg: strings.Replace(isogen.Isolinux41, "cim.vgz", "cım.vgz", 1),
			Files:       map[string][]byte{"cım.vgz": []byte("x")}})
	}, w("dotless.iso", "non-ASCII byte 0xC4", "no 8.3 name")},
	{"names fold: Kelvin sign", func(e *hostileEnv) {
		e.iso = e.isoFile("kelvin.iso", isogen.Spec{RockRidge: true,
			IsolinuxCfg: strings.Replace(isogen.Isolinux41, "cim.vgz", "Kim.vgz", 1),
			Files:       map[string][]byte{"kim.vgz": []byte("x")}})
	}, w("kelvin.iso", "Kim.vgz is not on the ISO")},
	{"module larger than --size", func(e *hostileEnv) {
		e.iso = e.isoFile("big.iso", isogen.Spec{Files: map[string][]byte{"sys.vgz": make([]byte, 12<<20)}})
		e.args = append(e.args, "--size", "8M")
	}, w("SYS.VGZ", "12,582,912 bytes do not fit")},

	// Added modules (--add-module): refused naming the file, before anything is written.
	{"added module: a name on the ISO", func(e *hostileEnv) {
		e.args = append(e.args, "--add-module", e.write("drv.tgz", []byte("driver"))+":sys.vgz")
	}, w("drv.tgz", "its name SYS.VGZ is already on the partition (the ISO's sys.vgz)")},
	{"added module: LDLINUX.SYS", func(e *hostileEnv) {
		e.args = append(e.args, "--add-module", e.write("ldlinux.sys", []byte("driver")))
	}, w("ldlinux.sys", "the builder writes LDLINUX.SYS itself")},
	{"added module: not 8.3", func(e *hostileEnv) {
		e.args = append(e.args, "--add-module", e.write("net-e1000e.tgz", []byte("driver")))
	},
		w("net-e1000e.tgz", "is not an 8.3 name")},
	{"added module: --- in its name", func(e *hostileEnv) {
		e.args = append(e.args, "--add-module", e.write("d.tgz", []byte("driver"))+":a---b.tgz")
	}, w("d.tgz", `has "---": mboot splits modules= at every "---"`)},
	{"added module: empty", func(e *hostileEnv) { e.args = append(e.args, "--add-module", e.write("oem.tgz", nil)) },
		w("oem.tgz", "the file is empty")},
	{"added module: a FIFO", func(e *hostileEnv) { e.args = append(e.args, "--add-module", e.fifo("oem.fifo")+":oem.tgz") },
		w("oem.fifo", "is a FIFO (named pipe), not a regular file")},
	{"added module: twice", func(e *hostileEnv) {
		d := e.write("oem.tgz", []byte("driver"))
		e.args = append(e.args, "--add-module", d, "--add-module", d)
	}, w("oem.tgz", "already on the partition (added from")},

	// Paths that alias: an output that is an input or another output, by
	// the same path, "..", a symlink or a hard link, is refused before
	// anything is written.
	{"aliases: the kickstart is the image", func(e *hostileEnv) {
		e.img = filepath.Join(e.out, "a.cfg")
		e.args = append(e.args, "--force", "--ks-template", e.write("ks.tmpl", []byte(kickstart.V4)))
	}, w("a.cfg", "and the kickstart (-o with .cfg)", "are the same file")},
	{"aliases: -o is the ISO through ..", func(e *hostileEnv) {
		e.iso = e.isoFile("mine.iso", isogen.Spec{RockRidge: true})
		e.img = e.out + "/../" + filepath.Base(e.in) + "/mine.iso"
		e.args = append(e.args, "--force")
	}, w("mine.iso", "--iso", "are the same file")},
	{"aliases: -o is a symlink to the tarball", func(e *hostileEnv) {
		e.tar = e.tarFile("mine.tar.gz", tarball.Spec{})
		e.symlink(e.tar, e.img)
		e.args = append(e.args, "--force")
	}, w("mine.tar.gz", "--syslinux", "are the same file")},
	{"aliases: -o is a hard link of the cfg template", func(e *hostileEnv) {
		tmpl := e.write("t.cfg", []byte("default 1\nlabel 1\nkernel mboot.c32\n"))
		e.link(tmpl, e.img)
		e.args = append(e.args, "--force", "--cfg-template", tmpl)
	}, w("t.cfg", "--cfg-template", "are the same file")},
	{"aliases: --mbr-out is -o", func(e *hostileEnv) { e.args = append(e.args, "--mbr-out", e.img) }, w("esx01.img", "--mbr-out", "are the same file")},
	{"aliases: --hosts is a host's kickstart in --out-dir", func(e *hostileEnv) {
		e.inventory = filepath.Join(e.out, "esx01.cfg")
		if err := os.WriteFile(e.inventory, []byte("id\nesx01\n"), 0o644); err != nil {
			e.t.Fatal(err)
		}
		e.args = append(e.args, "--force", "--ks-template", e.write("ks.tmpl", []byte(kickstart.V4)), "--ks", "http://d/ks")
	}, w("esx01.cfg", "--hosts", "are the same file")},

	// Outputs that are not files to write: standard output, symlinks,
	// system folders.
	{"outputs: -o /dev/stdout", func(e *hostileEnv) { e.img = "/dev/stdout"; e.args = append(e.args, "--force") }, w("/dev/stdout", "is a symlink")},
	{"outputs: -o under /proc", func(e *hostileEnv) { e.img = "/proc/self/esx01.img" }, w("/proc/self/esx01.img", "is under /proc")},
	{"outputs: -o a symlink to a new file", func(e *hostileEnv) {
		e.symlink(filepath.Join(e.in, "elsewhere.img"), e.img)
		e.args = append(e.args, "--force")
	}, w("esx01.img", "is a symlink (to a missing file)")},
	{"outputs: -o -", func(e *hostileEnv) { e.img = "-" }, w("output -", "not written to standard output")},
	{"outputs: --mbr-out /dev/null", func(e *hostileEnv) { e.args = append(e.args, "--mbr-out", "/dev/null", "--force") }, w("/dev/null", "is under /dev")},

	// Names and values a template cannot take.
	{"values: inventory column named KS", func(e *hostileEnv) { e.hosts("ks.csv", "id,KS\nesx01,x\n") }, w("ks.csv", "line 1: column 2", `"KS" is a built-in template value`)},
	{"values: inventory column named Kernel (JSON)", func(e *hostileEnv) { e.hosts("k.json", `[{"id":"esx01","Kernel":"x"}]`) }, w("k.json", "element 1", `"Kernel" is a built-in template value`)},
	{"values: --var Host", func(e *hostileEnv) { e.args = append(e.args, "--var", "Host=x") }, w("Host", "built-in template value")},
	{"values: no-break space in --var", func(e *hostileEnv) { e.args = append(e.args, "--var", "ip=10.0.0.1\u00a0x") }, w("variable ip", "U+00A0")},
	{"values: line separator in --ks", func(e *hostileEnv) { e.ks = "http://deploy/ks.cfg\u2028kernel x" }, w("ks", "U+2028")},
	{"values: zero-width space in the inventory", func(e *hostileEnv) { e.hosts("zw.csv", "id,ip\nesx01,10.0.0.1\u200b\n") }, w("zw.csv", "line 2", "U+200B")},

	// Numbers out of bounds.
	{"bounds: --partition-start 0", func(e *hostileEnv) { e.args = append(e.args, "--partition-start", "0") }, w("--partition-start 0", "sector 0 holds the MBR")},
	{"bounds: --partition-start 2 TiB in", func(e *hostileEnv) { e.args = append(e.args, "--partition-start", "4294900000") }, w("--partition-start 4294900000", "at most 67108864 sectors")},
	{"bounds: --timeout -1", func(e *hostileEnv) { e.args = append(e.args, "--timeout", "-1") }, w("--timeout -1", "want 0")},
	{"bounds: --timeout past syslinux's limit", func(e *hostileEnv) { e.args = append(e.args, "--timeout", "40000") }, w("--timeout 40000", "35996")},

	// FAT names the builder owns, and FAT limits, named with their source.
	{"fat: a module named syslinux.cfg", func(e *hostileEnv) {
		e.iso = e.isoFile("own.iso", isogen.Spec{RockRidge: true,
			IsolinuxCfg: strings.Replace(isogen.Isolinux41, "cim.vgz", "syslinux.cfg", 1),
			Files:       map[string][]byte{"syslinux.cfg": []byte("x")}})
	}, w("own.iso", "syslinux.cfg would be SYSLINUX.CFG on the FAT partition, which the builder writes itself")},
	{"fat: a module named ldlinux.sys", func(e *hostileEnv) {
		e.iso = e.isoFile("own2.iso", isogen.Spec{RockRidge: true,
			IsolinuxCfg: strings.Replace(isogen.Isolinux41, "cim.vgz", "ldlinux.sys", 1),
			Files:       map[string][]byte{"ldlinux.sys": []byte("x")}})
	}, w("own2.iso", "ldlinux.sys would be LDLINUX.SYS")},

	{"outputs: --force, then --mbr-out into a missing folder", func(e *hostileEnv) {
		e.existing("esx01.img")
		e.args = append(e.args, "--force", "--mbr-out", filepath.Join(e.out, "no", "mbr.bin"))
	}, w("mbr.bin", "its folder", "no such file")},

	{"values: inventory column name with a newline", func(e *hostileEnv) { e.hosts("lf.csv", "id,\"i\np\"\nesx01,1\n") }, w("lf.csv", "line 1: column 2", `"i\np"`, "{{.i?p}}")},

	// Templates whose output explodes stop at config.MaxRendered; those
	// whose work would not be bounded by their output are refused first.
	{"templates explode: two ranges deep in --cfg-template", func(e *hostileEnv) {
		r := "{{range $.Modules}}{{range $.Modules}}" + strings.Repeat("x", 64<<10) + "{{end}}{{end}}"
		e.args = append(e.args, "--cfg-template", e.write("bomb.cfg", []byte("default 1\nlabel 1\nkernel mboot.c32\n"+r)))
	}, w("bomb.cfg", "renders more than 1048576 bytes")},
	{"templates explode: a syslinux.cfg over what is read", func(e *hostileEnv) {
		r := "{{range $.Modules}}" + strings.Repeat("x", 16<<10) + "{{end}}"
		e.args = append(e.args, "--cfg-template", e.write("big.cfg", []byte("default 1\nlabel 1\nkernel mboot.c32\n"+r)))
	}, w("big.cfg", "SYSLINUX.CFG; at most 65,536 bytes are read")},
	{"templates explode: ranges nine deep in --cfg-template", func(e *hostileEnv) {
		r := strings.Repeat("{{range $.Modules}}", 9) + strings.Repeat("{{end}}", 9)
		e.args = append(e.args, "--cfg-template", e.write("deep.cfg", []byte("default 1\nlabel 1\nkernel mboot.c32\n"+r)))
	}, w("deep.cfg", "line 4: {{range}} nested 3 deep")},
	{"templates explode: a counted range in --ks-template", func(e *hostileEnv) {
		e.args = append(e.args, "--ks-template", e.write("bomb.ks", []byte(kickstart.V4+"{{range 1000000000}}{{end}}\n")))
	}, w("bomb.ks", "{{range 1000000000}} counts past 65536")},
	{"templates explode: a template that calls itself in --ks-template", func(e *hostileEnv) {
		e.args = append(e.args, "--ks-template", e.write("loop.ks", []byte(kickstart.V4+`{{define "l"}}{{template "l" .}}{{end}}{{template "l" .}}`)))
	}, w("loop.ks", `{{template "l"}} calls itself`)},

	// The syslinux tarball.
	{"tar empty", func(e *hostileEnv) { e.tar = e.write("empty.tar.gz", nil) }, w("empty.tar.gz", "empty file")},
	{"tar not a tarball", func(e *hostileEnv) { e.tar = e.write("text.tar.gz", []byte(strings.Repeat("not a tarball\n", 100))) }, w("text.tar.gz", "not a")},
	{"tar truncated gz", func(e *hostileEnv) { e.tar = e.cut(e.tarFile("cut.tar.gz", tarball.Spec{}), 0.5) }, w("cut.tar.gz", "truncated")},
	{"tar truncated plain", func(e *hostileEnv) {
		e.tar = e.cut(e.tarFile("cut.tar", tarball.Spec{Compression: "none"}), 0.5)
	}, w("cut.tar", "truncated")},
	{"tar truncated xz", func(e *hostileEnv) { e.tar = e.cut(e.tarFile("cut.tar.xz", tarball.Spec{Compression: "xz"}), 0.5) }, w("cut.tar.xz", "truncated")},
	{"tar corrupt gz", func(e *hostileEnv) { e.tar = e.poke(e.tarFile("flip.tar.gz", tarball.Spec{}), 200, 0x55) }, w("flip.tar.gz", "corrupt")},
	{"tar without ldlinux.bss", func(e *hostileEnv) {
		e.tar = e.tarFile("nobss.tar.gz", tarball.Spec{Omit: []string{"core/ldlinux.bss"}})
	}, w("nobss.tar.gz", "no syslinux-3.70/core/ldlinux.bss")},
	{"tar without ldlinux.sys", func(e *hostileEnv) {
		e.tar = e.tarFile("nosys.tar.gz", tarball.Spec{Omit: []string{"core/ldlinux.sys"}})
	}, w("nosys.tar.gz", "no syslinux-3.70/core/ldlinux.sys")},
	{"tar without mbr.bin", func(e *hostileEnv) { e.tar = e.tarFile("nombr.tar.gz", tarball.Spec{Omit: []string{"mbr/mbr.bin"}}) }, w("nombr.tar.gz", "no syslinux-3.70/mbr/mbr.bin")},
	{"tar wrong version", func(e *hostileEnv) {
		e.tar = e.tarFile("v386.tar.gz", tarball.Spec{Version: "3.86", Date: "2010-04-16"})
	}, w("v386.tar.gz", "holds SYSLINUX 3.86", "need syslinux 3.70")},
	{"tar bss and sys from different builds", func(e *hostileEnv) {
		bss, _ := tarball.Synthetic("3.70", "2008-06-01", 0)
		e.tar = e.tarFile("mixed.tar.gz", tarball.Spec{Bss: bss})
	}, w("mixed.tar.gz", "different builds")},
	{"tar ldlinux.bss short", func(e *hostileEnv) {
		e.tar = e.tarFile("bss511.tar.gz", tarball.Spec{Bss: make([]byte, 511)})
	}, w("bss511.tar.gz", "core/ldlinux.bss", "want exactly 512")},
	{"tar ldlinux.sys over 65 sectors", func(e *hostileEnv) {
		_, sys := tarball.Synthetic("", "", 65*512+1)
		e.tar = e.tarFile("bigsys.tar.gz", tarball.Spec{Sys: sys})
	}, w("bigsys.tar.gz", "core/ldlinux.sys", "65 sectors")},
	{"tar ldlinux.sys cut short", func(e *hostileEnv) {
		_, sys := tarball.Synthetic("", "", 40)
		e.tar = e.tarFile("tinysys.tar.gz", tarball.Spec{Sys: sys})
	}, w("tinysys.tar.gz", "ldlinux.sys", "does not fit")},
	{"tar mbr.bin over 440 bytes", func(e *hostileEnv) {
		e.tar = e.tarFile("bigmbr.tar.gz", tarball.Spec{MBR: make([]byte, 441)})
	}, w("bigmbr.tar.gz", "mbr/mbr.bin", "441 bytes")},
	{"tar entry with ..", func(e *hostileEnv) {
		e.tar = e.tarFile("dotdot.tar.gz", tarball.Spec{Extra: []tarball.Entry{{Name: "syslinux-3.70/../../etc/cron.d/x", Body: []byte("x")}}})
	}, w("dotdot.tar.gz", `".."`)},
	{"tar absolute path", func(e *hostileEnv) {
		e.tar = e.tarFile("abs.tar.gz", tarball.Spec{Extra: []tarball.Entry{{Name: "/etc/passwd", Body: []byte("x")}}})
	}, w("abs.tar.gz", "/etc/passwd", "absolute path")},
	{"tar symlink as ldlinux.sys", func(e *hostileEnv) {
		e.tar = e.tarFile("symlink.tar.gz", tarball.Spec{Omit: []string{"core/ldlinux.sys"},
			Extra: []tarball.Entry{{Name: "syslinux-3.70/core/ldlinux.sys", Type: tar.TypeSymlink, Link: "/etc/shadow"}}})
	}, w("symlink.tar.gz", "core/ldlinux.sys", "symlink")},
	{"tar hard link as mbr.bin", func(e *hostileEnv) {
		e.tar = e.tarFile("hardlink.tar.gz", tarball.Spec{Omit: []string{"mbr/mbr.bin"},
			Extra: []tarball.Entry{{Name: "syslinux-3.70/mbr/mbr.bin", Type: tar.TypeLink, Link: "syslinux-3.70/README"}}})
	}, w("hardlink.tar.gz", "mbr/mbr.bin", "hard link")},
	{"tar lying size on a wanted member", func(e *hostileEnv) {
		e.tar = e.tarFile("liesys.tar.gz", tarball.Spec{Omit: []string{"core/ldlinux.sys"},
			Extra: []tarball.Entry{{Name: "syslinux-3.70/core/ldlinux.sys", Body: []byte("x"), Size: 1 << 40}}})
	}, w("liesys.tar.gz", "core/ldlinux.sys", "1,099,511,627,776 bytes")},
	{"tar lying size on another member", func(e *hostileEnv) {
		e.tar = e.tarFile("liebig.tar.gz", tarball.Spec{Extra: []tarball.Entry{{Name: "syslinux-3.70/big.bin", Body: []byte("x"), Size: 8 << 30}}})
	}, w("liebig.tar.gz", "truncated")},
	{"tar lying size under the limit", func(e *hostileEnv) {
		_, sys := tarball.Synthetic("", "", 0)
		e.tar = e.tarFile("liesys2.tar.gz", tarball.Spec{Omit: []string{"core/ldlinux.sys"},
			Extra: []tarball.Entry{{Name: "syslinux-3.70/core/ldlinux.sys", Body: sys, Size: 30000}}})
	}, w("liesys2.tar.gz", "core/ldlinux.sys", "truncated")},
	{"tar member twice", func(e *hostileEnv) {
		_, sys := tarball.Synthetic("", "", 0)
		e.tar = e.tarFile("twice.tar.gz", tarball.Spec{Extra: []tarball.Entry{{Name: "syslinux-3.70/core/ldlinux.sys", Body: sys}}})
	}, w("twice.tar.gz", "core/ldlinux.sys", "twice")},

	// Values that go into syslinux.cfg and kickstarts.
	{"ks with space", func(e *hostileEnv) { e.ks = "http://deploy/ks/a b.cfg" }, w("ks", "white space")},
	{"ks with LF", func(e *hostileEnv) { e.ks = "http://deploy/ks.cfg\nkernel evil.c32" }, w("ks", "control byte 0x0A")},
	{"ks with CR", func(e *hostileEnv) { e.ks = "http://deploy/ks.cfg\r" }, w("ks", "control byte 0x0D")},
	{"ks with NUL", func(e *hostileEnv) { e.ks = "http://deploy/ks.cfg\x00" }, w("ks", "control byte 0x00")},
	{"host with space", func(e *hostileEnv) { e.args = append(e.args, "--host", "esx 01") }, w("--host", "white space")},
	{"host with LF", func(e *hostileEnv) { e.args = append(e.args, "--host", "esx01\nrootpw x") }, w("--host", "control byte 0x0A")},
	{"var with space", func(e *hostileEnv) { e.args = append(e.args, "--var", "ip=10.0.0.1 evil") }, w("variable ip", "white space")},
	{"var with CR", func(e *hostileEnv) { e.args = append(e.args, "--var", "ip=10.0.0.1\r") }, w("variable ip", "control byte 0x0D")},
	{"var with LF", func(e *hostileEnv) { e.args = append(e.args, "--var", "ip=10.0.0.1\nx") }, w("variable ip", "control byte 0x0A")},
	{"var with NUL", func(e *hostileEnv) { e.args = append(e.args, "--var", "ip=\x00") }, w("variable ip", "control byte 0x00")},
	{"var with bad name", func(e *hostileEnv) { e.args = append(e.args, "--var", "a-b=1") }, w(`"a-b"`, "letters, digits")},
	{"cfg template missing key", func(e *hostileEnv) {
		e.args = append(e.args, "--cfg-template", e.write("nokey.tmpl", []byte("default esx\nlabel esx\nappend {{.nokey}}\n")))
	}, w("nokey.tmpl", `{{.nokey}}: no variable nokey`)},
	{"cfg template syntax", func(e *hostileEnv) {
		e.args = append(e.args, "--cfg-template", e.write("syntax.tmpl", []byte("label {{.Host\n")))
	}, w("syntax.tmpl", "unclosed action")},
	{"cfg template renders NUL", func(e *hostileEnv) {
		e.args = append(e.args, "--cfg-template", e.write("nul.tmpl", []byte("label x{{\"\\x00\"}}\n")))
	}, w("nul.tmpl", "byte 0x00")},
	// Inputs that are not regular files are refused with their type, never
	// read (a FIFO with no writer would block open(2) and the signals).
	{"special files: cfg template /dev/zero", func(e *hostileEnv) { e.args = append(e.args, "--cfg-template", "/dev/zero") }, w("/dev/zero", "is a character device, not a regular file")},
	{"special files: ks template /dev/zero", func(e *hostileEnv) { e.args = append(e.args, "--ks-template", "/dev/zero") }, w("/dev/zero", "is a character device, not a regular file")},
	{"special files: --iso a FIFO", func(e *hostileEnv) { e.iso = e.fifo("iso.fifo") }, w("iso.fifo", "is a FIFO (named pipe), not a regular file")},
	{"special files: --syslinux a FIFO", func(e *hostileEnv) { e.tar = e.fifo("tar.fifo") }, w("tar.fifo", "is a FIFO (named pipe), not a regular file")},
	{"special files: --ks-template a FIFO", func(e *hostileEnv) { e.args = append(e.args, "--ks-template", e.fifo("ks.fifo")) }, w("ks.fifo", "is a FIFO (named pipe)")},
	{"special files: --hosts a FIFO", func(e *hostileEnv) { e.inventory = e.fifo("hosts.fifo") }, w("hosts.fifo", "is a FIFO (named pipe)")},
	{"special files: --iso a folder", func(e *hostileEnv) { e.iso = e.mkdir("iso.d") }, w("iso.d", "is a folder, not a regular file")},
	{"ks template missing key", func(e *hostileEnv) {
		e.args = append(e.args, "--ks-template", e.write("ks.tmpl", []byte("network --ip={{.ip}}\n")))
	}, w("ks.tmpl", `{{.ip}}: no variable ip`)},

	// Inventories (--hosts).
	{"inventory duplicate ids", func(e *hostileEnv) { e.hosts("dup.csv", "id,ip\nesx01,10.0.0.1\nesx01,10.0.0.2\n") }, w("dup.csv", "line 3", `"esx01" already used`)},
	{"inventory duplicate ids by case", func(e *hostileEnv) { e.hosts("case.csv", "id\nESX01\nesx01\n") }, w("case.csv", "line 3", "already used")},
	{"inventory unsafe id ..", func(e *hostileEnv) { e.hosts("dotdot.csv", "id\n../../etc/x\n") }, w("dotdot.csv", "line 2", "not a safe file name")},
	{"inventory unsafe id slash", func(e *hostileEnv) { e.hosts("slash.csv", "id\nesx/01\n") }, w("slash.csv", "line 2", "not a safe file name")},
	{"inventory unsafe id dot", func(e *hostileEnv) { e.hosts("dot.csv", "id\n.hidden\n") }, w("dot.csv", "line 2", "not a safe file name")},
	{"inventory empty id", func(e *hostileEnv) { e.hosts("emptyid.csv", "id,ip\n,10.0.0.1\n") }, w("emptyid.csv", "line 2", "empty id")},
	{"inventory too many fields", func(e *hostileEnv) { e.hosts("wide.csv", "id,ip\nesx01,10.0.0.1,extra\n") }, w("wide.csv", "line 2", "wrong number of fields")},
	{"inventory too few fields", func(e *hostileEnv) { e.hosts("narrow.csv", "id,ip\nesx01\n") }, w("narrow.csv", "line 2", "wrong number of fields")},
	{"inventory no id column", func(e *hostileEnv) { e.hosts("noid.csv", "name,ip\nesx01,10.0.0.1\n") }, w("noid.csv", "no id column")},
	{"inventory value with space", func(e *hostileEnv) { e.hosts("space.csv", "id,ip\nesx01,\"10.0.0.1 x\"\n") }, w("space.csv", "line 2", "white space")},
	{"inventory value with LF", func(e *hostileEnv) { e.hosts("lf.csv", "id,ip\nesx01,\"10.0.0.1\nx\"\n") }, w("lf.csv", "line 2", "control byte 0x0A")},
	{"inventory empty", func(e *hostileEnv) { e.hosts("empty.csv", "") }, w("empty.csv", "empty inventory")},
	{"inventory out-dir is a file", func(e *hostileEnv) {
		e.hosts("ok.csv", "id\nesx01\n")
		e.args = append(e.args, "--out-dir", e.existing("images"))
	}, w("images", "not a directory")},
	{"inventory image exists", func(e *hostileEnv) { e.hosts("ok2.csv", "id\nesx01\nesx02\n"); e.existing("esx02.img") }, w("esx02.img", "exists")},
	{"inventory JSON not an array", func(e *hostileEnv) { e.hosts("obj.json", `{"id":"esx01"}`) }, w("obj.json", "JSON array")},
	{"inventory JSON duplicate ids", func(e *hostileEnv) { e.hosts("dup.json", `[{"id":"a"},{"id":"a"}]`) }, w("dup.json", "element 2", "already used")},

	// The output.
	{"output is a folder", func(e *hostileEnv) { e.img = e.mkdir("esx01.img") }, w("esx01.img", "is a folder")},
	{"output is a block device", func(e *hostileEnv) { e.img = e.blockDevice("disk0") }, w("disk0", "is a device")},
	{"output is a block device with --force", func(e *hostileEnv) {
		e.img = e.blockDevice("disk1")
		e.args = append(e.args, "--force")
	}, w("disk1", "is a device")},
	{"output exists", func(e *hostileEnv) { e.img = e.existing("old.img") }, w("old.img", "exists; use --force")},
	{"output in a missing folder", func(e *hostileEnv) { e.img = filepath.Join(e.out, "no", "such", "esx01.img") }, w("esx01.img", "no such file")},
	{"mbr-out is a folder", func(e *hostileEnv) { e.args = append(e.args, "--mbr-out", e.mkdir("mbr.bin")) }, w("mbr.bin", "is a folder")},
	{"mbr-out exists", func(e *hostileEnv) { e.args = append(e.args, "--mbr-out", e.existing("mbr440.bin")) }, w("mbr440.bin", "exists; use --force")},
	{"mbr-out is a folder, --force over an old image", func(e *hostileEnv) {
		e.img = e.existing("esx01.img")
		e.args = append(e.args, "--force", "--mbr-out", e.mkdir("mbr.bin"))
	}, w("mbr.bin", "is a folder")},
	{"kickstart path is a folder, --force over an old image", func(e *hostileEnv) {
		e.img = e.existing("esx01.img")
		e.mkdir("esx01.cfg")
		e.args = append(e.args, "--force", "--ks-template", e.write("ok.tmpl", []byte("network --hostname={{.Host}}\n")))
	}, w("esx01.cfg", "is a folder")},
	{"kickstart exists", func(e *hostileEnv) {
		e.existing("esx01.cfg")
		e.args = append(e.args, "--ks-template", e.write("ok.tmpl", []byte("network --hostname={{.Host}}\n")))
	}, w("esx01.cfg", "exists; use --force")},
	{"output on a full filesystem", func(e *hostileEnv) { e.img = filepath.Join(e.tinyFS(), "esx01.img") }, w("esx01.img", "no space left on device")},
	// A late failure, after every pre-check passed: the old image stays.
	{"late failure: --mbr-out on a full filesystem, --force over an old image", func(e *hostileEnv) {
		tiny := e.tinyFS()
		// The old image's folder must not change; the filler fills the
		// tiny file system (its write fails part way, as meant).
		e.watch = ""
		os.WriteFile(filepath.Join(tiny, "filler"), make([]byte, 64<<10), 0o644)
		e.img = e.existing("esx01.img")
		e.args = append(e.args, "--force", "--mbr-out", filepath.Join(tiny, "mbr.bin"))
	}, w("mbr.bin", "no space left on device")},
	{"late failure: a batch with --force, its last host's syslinux.cfg over what is read", func(e *hostileEnv) {
		e.existing("esx01.img")
		e.existing("esx02.img")
		e.hosts("late.csv", "id,pad\nesx01,x\nesx02,"+strings.Repeat("p", 70000)+"\n")
		e.args = append(e.args, "--force", "--jobs", "1", "--cfg-template", e.write("pad.cfg", []byte(layouts.Template4+"# {{.pad}}\n")))
	}, w("pad.cfg", "the first: host esx02", "renders a 70,")},
}

// w is want: the file or flag at fault, then the fault.
func w(file string, faults ...string) []string { return append([]string{file}, faults...) }

func TestHostileInputs(t *testing.T) {
	good := t.TempDir()
	goodISO, goodTar := filepath.Join(good, "esxi.iso"), filepath.Join(good, "syslinux-3.70.tar.gz")
	if err := isogen.Write(goodISO, isogen.Spec{RockRidge: true}); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(goodTar, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	// The good inputs build: every failure below is the spoiled input's.
	if _, _, err := runCLI("build", "--iso", goodISO, "--syslinux", goodTar, "--ks", "http://deploy/ks/esx01.cfg", "-o", filepath.Join(good, "ok.img")); err != nil {
		t.Fatalf("good inputs: %v", err)
	}
	for _, tc := range append(hostileCases, rrChainCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.want) < 2 || slices.Contains(tc.want, "") {
				t.Fatalf("want %q: name the file and the fault", tc.want)
			}
			e := &hostileEnv{t: t, in: t.TempDir(), out: t.TempDir(), iso: goodISO, tar: goodTar, ks: "http://deploy/ks/esx01.cfg"}
			e.img = filepath.Join(e.out, "esx01.img")
			tc.setup(e)
			if e.skip != "" {
				t.Skip(e.skip)
			}
			before := listDir(t, e.outDir())
			_, stderr, err := runCLI(e.argv()...)
			if err == nil || exitCode(err) == 0 {
				t.Fatalf("build succeeded (exit %d), want a failure; args %q", exitCode(err), e.argv())
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "\n") && !strings.Contains(strings.Join(tc.want, ""), "\n") {
				t.Errorf("error spans lines (one message wanted):\n%s", msg)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(msg, "panic") {
				t.Errorf("panic:\n%s\n%s", msg, stderr)
			}
			if after := listDir(t, e.outDir()); !slices.Equal(before, after) {
				t.Errorf("output folder changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}
