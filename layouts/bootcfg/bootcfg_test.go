package bootcfg_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

const cfg70 = "bootstate=0\ntitle=Loading ESXi installer\ntimeout=5\nprefix=\nkernel=/b.b00\n" +
	"kernelopt=runweasel cdromBoot\nmodules=/jumpstrt.gz --- /useropts.gz --- /k.b00 --- /s.v00\nbuild=7.0.3-0.20.19193900\nupdated=0\n"

// TestRoundTrip: parsing and writing back changes no byte, whatever the
// line ends, comments, blanks and odd spacing.
func TestRoundTrip(t *testing.T) {
	inputs := []string{
		"",
		"\n",
		cfg70,
		strings.ReplaceAll(cfg70, "\n", "\r\n"),
		"# comment = not a key\r\n  kernel = /b.b00  \n\tkernelopt=\r\nmodules=/a --- /b",
		"no equals here\n\n\r\n=value\nkey=\n",
		"a=1\r", // a lone CR at the very end is part of the line
	}
	for _, v := range isogen.Versions5 {
		inputs = append(inputs, isogen.BootCfg5(v))
	}
	for _, in := range inputs {
		f, err := bootcfg.Parse([]byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := f.Bytes(); !bytes.Equal(got, []byte(in)) {
			t.Errorf("round trip of %q gave %q", in, got)
		}
	}
}

func TestParseKeys(t *testing.T) {
	f, err := bootcfg.Parse([]byte("# kernel=/no.b00\r\n KERNEL = /tboot.b00 \r\nkernel=/b.b00\nKernelOpt= runweasel  cdromBoot\r\ntitle=Loading ESXi installer\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, value string
		line       int
	}{
		{"kernel", "/b.b00", 3},                 // the later line wins
		{"KERNELOPT", "runweasel cdromBoot", 4}, // blank runs are one space, as mboot reads them
		{"title", "Loading ESXi installer", 5},
	} {
		l, ok := f.Get(tc.key)
		if !ok || l.Value != tc.value || l.N != tc.line {
			t.Errorf("Get(%q) = %+v %v, want %q at line %d", tc.key, l, ok, tc.value, tc.line)
		}
	}
	if _, ok := f.Get("modules"); ok {
		t.Error("modules found in a file without it")
	}
	if f.Lines[1].End != "\r\n" || f.Lines[2].End != "\n" {
		t.Errorf("line ends %q %q", f.Lines[1].End, f.Lines[2].End)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte("kernel=/b.b00\x00"), "NUL byte at offset 13"},
		{bytes.Repeat([]byte("x"), bootcfg.MaxBytes+1), "larger than"},
		{bytes.Repeat([]byte("\n"), bootcfg.MaxLines+1), "more than 4096 lines"},
	} {
		_, err := bootcfg.Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// TestFiles resolves kernel= and modules= as mboot does.
func TestFiles(t *testing.T) {
	for _, tc := range []struct {
		name, cfg, dir string
		paths          []string
		args           []string
		err            string
	}{
		{name: "7.0", cfg: cfg70, paths: []string{"b.b00", "jumpstrt.gz", "useropts.gz", "k.b00", "s.v00"}},
		{name: "6.5 tboot", cfg: isogen.BootCfg5("6.5"), paths: append([]string{"tboot.b00"}, isogen.Modules5("6.5")[1:]...)},
		{name: "no prefix, relative, in a folder", cfg: "kernel=b.b00\nmodules=k.b00 --- /s.v00", dir: "efi/boot",
			paths: []string{"efi/boot/b.b00", "efi/boot/k.b00", "s.v00"}},
		{name: "prefix", cfg: "prefix=/ESXI/\nkernel=b.b00\nmodules=k.b00 --- /s.v00 --- sub/x.v00", dir: "efi/boot",
			paths: []string{"ESXI/b.b00", "ESXI/k.b00", "s.v00", "ESXI/sub/x.v00"}},
		{name: "empty prefix is none", cfg: "prefix=\nkernel=b.b00", dir: "d", paths: []string{"d/b.b00"}},
		{name: "module args", cfg: "kernel=/b.b00 x\nmodules=/k.b00 a=1 b --- /s.v00",
			paths: []string{"b.b00", "k.b00", "s.v00"}, args: []string{"", "a=1 b", ""}},
		{name: "no modules", cfg: "kernel=/b.b00", paths: []string{"b.b00"}},
		{name: "no kernel", cfg: "modules=/k.b00", err: "no kernel= line"},
		{name: "empty kernel", cfg: "kernel=\nmodules=/k.b00", err: "no kernel= line"},
		{name: "empty module", cfg: "kernel=/b.b00\n\nmodules=/a --- --- /b", err: `line 3: modules=: entry 2 is empty`},
		{name: "trailing ---", cfg: "kernel=/b.b00\nmodules=/a ---", err: `line 2: modules=: entry 2 is empty`},
		{name: "network prefix", cfg: "prefix=http://deploy/esxi\nkernel=b.b00", err: "line 1: prefix=http://deploy/esxi is a network location"},
		{name: "network module", cfg: "kernel=/b.b00\nmodules=http://x/k.b00", err: "line 2: modules= names http://x/k.b00, a network location"},
		{name: "climbs out", cfg: "kernel=../b.b00", err: `line 1: kernel= names "../b.b00"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := bootcfg.Parse([]byte(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			refs, err := f.Files(tc.dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var paths, args []string
			for _, r := range refs {
				paths, args = append(paths, r.Path), append(args, r.Args)
			}
			if !slices.Equal(paths, tc.paths) {
				t.Errorf("paths %q, want %q", paths, tc.paths)
			}
			if tc.args != nil && !slices.Equal(args, tc.args) {
				t.Errorf("args %q, want %q", args, tc.args)
			}
			if refs[0].Key != "kernel" || len(refs) > 1 && refs[1].Key != "modules" {
				t.Errorf("keys %q %q", refs[0].Key, refs[1].Key)
			}
		})
	}
}

// TestEditKernelOpt: the per-host edit changes kernelopt= only.
func TestEditKernelOpt(t *testing.T) {
	ks := []bootcfg.Opt{{"ks", "http://deploy/ks/esx01.cfg"}}
	net := append(ks, bootcfg.Opt{"ip", "10.0.0.5"}, bootcfg.Opt{"netmask", "255.255.255.0"}, bootcfg.Opt{"vlanid", "12"})
	drop := []string{"cdromBoot"}
	for _, tc := range []struct {
		name, in, want string
		set            []bootcfg.Opt
	}{
		{"7.0", cfg70, strings.Replace(cfg70, "runweasel cdromBoot", "runweasel ks=http://deploy/ks/esx01.cfg", 1), ks},
		{"network", cfg70, strings.Replace(cfg70, "runweasel cdromBoot", "runweasel ks=http://deploy/ks/esx01.cfg ip=10.0.0.5 netmask=255.255.255.0 vlanid=12", 1), net},
		{"CRLF kept, the edited line written as mboot reads it", "kernel=/b.b00\r\n KernelOpt=  runweasel   CDROMBOOT x=1\r\nmodules=/k.b00\r\n",
			"kernel=/b.b00\r\n kernelopt=runweasel x=1 ks=http://deploy/ks/esx01.cfg\r\nmodules=/k.b00\r\n", ks},
		{"an abbreviated key written in full", "kernel=/b.b00\nkernelo=runweasel\n", "kernel=/b.b00\nkernelopt=runweasel ks=http://deploy/ks/esx01.cfg\n", ks},
		{"a line mboot ignores is not the one edited", "kernel=/b.b00\nkernelopt = runweasel\n",
			"kernel=/b.b00\nkernelopt=ks=http://deploy/ks/esx01.cfg\nkernelopt = runweasel\n", ks},
		{"old ks replaced", "kernelopt=ks=usb KS=cdrom:/KS.CFG runweasel\n", "kernelopt=runweasel ks=http://deploy/ks/esx01.cfg\n", ks},
		{"every kernelopt line", "kernelopt=a\nkernel=/b.b00\nkernelopt=b cdromBoot\n",
			"kernelopt=a ks=http://deploy/ks/esx01.cfg\nkernel=/b.b00\nkernelopt=b ks=http://deploy/ks/esx01.cfg\n", ks},
		{"added after kernel=", "title=x\r\nkernel=/b.b00\r\nmodules=/k.b00", "title=x\r\nkernel=/b.b00\r\nkernelopt=ks=http://deploy/ks/esx01.cfg\r\nmodules=/k.b00", ks},
		{"added at the end", "title=x\nmodules=/k.b00", "title=x\nmodules=/k.b00\nkernelopt=ks=http://deploy/ks/esx01.cfg\n", ks},
		{"only drop", "kernelopt=runweasel cdromBoot\n", "kernelopt=runweasel\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := bootcfg.Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			orig := f.Clone()
			if err := f.EditKernelOpt(tc.set, drop); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
			if got := string(orig.Bytes()); got != tc.in {
				t.Errorf("the clone changed: %q", got)
			}
			if v, ok := bootcfg.OptValue(f.KernelOpt(), "ks"); len(tc.set) > 0 && (!ok || v != tc.set[0].Value) {
				t.Errorf("ks = %q %v", v, ok)
			}
		})
	}
}

func TestEditKernelOptRefuses(t *testing.T) {
	for _, tc := range []struct {
		opt  bootcfg.Opt
		want string
	}{
		{bootcfg.Opt{"ks", "http://x/a b.cfg"}, `kernel option ks="http://x/a b.cfg": white space at byte 10`},
		{bootcfg.Opt{"ip", "10.0.0.1\r"}, "control byte 0x0D at byte 8"},
		{bootcfg.Opt{"", "x"}, "not a key"},
	} {
		f, _ := bootcfg.Parse([]byte(cfg70))
		err := f.EditKernelOpt([]bootcfg.Opt{tc.opt}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
		if string(f.Bytes()) != cfg70 {
			t.Error("a refused edit changed the file")
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(cfg70))
	f.Add([]byte("kernel=/b.b00\r\nmodules=/a --- b x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := bootcfg.Parse(data)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Bytes(), data) {
			t.Fatalf("round trip differs")
		}
		c.Files("efi/boot")
		if err := c.EditKernelOpt([]bootcfg.Opt{{"ks", "usb"}}, []string{"cdromBoot"}); err != nil {
			t.Fatal(err)
		}
		again, err := bootcfg.Parse(c.Bytes())
		if err != nil {
			return // an added line may push it past a limit
		}
		if v, ok := bootcfg.OptValue(again.KernelOpt(), "ks"); !ok || v != "usb" {
			t.Fatalf("ks=%q %v after the edit of %q", v, ok, data)
		}
	})
}

func TestIsHostEdit(t *testing.T) {
	orig := []byte("bootstate=0\ntitle=Loading ESXi installer\nkernel=/b.b00\nkernelopt=cdromBoot runweasel\nmodules=/jumpstrt.gz --- /useropts.gz\n")
	f, err := bootcfg.Parse(orig)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := bootcfg.HostEdit(f, []bootcfg.Opt{{Key: "ks", Value: "http://d/ks.cfg"}, {Key: "ip", Value: "10.0.0.5"}})
	if err != nil {
		t.Fatal(err)
	}
	edited := ed.Bytes()
	if !bootcfg.IsHostEdit(orig, edited) {
		t.Errorf("the builder's own edit is not recognised:\n%s", edited)
	}
	for _, other := range [][]byte{
		bytes.Replace(edited, []byte("runweasel"), []byte("runweasel nofb"), 1), // another option
		bytes.Replace(edited, []byte("/b.b00"), []byte("/x.b00"), 1),            // another kernel
		append(append([]byte(nil), edited...), "# note\n"...),                   // a line more
		orig[:len(orig)-1],
	} {
		if bootcfg.IsHostEdit(orig, other) {
			t.Errorf("a hand edit passes as the builder's:\n%s", other)
		}
	}
}
