package bootcfg_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// TestAppendModules: added modules go at the end of the list mboot reads,
// and SplitModules (mboot's split) gives them back one entry each.
func TestAppendModules(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"7.0", cfg70, strings.Replace(cfg70, "/s.v00\n", "/s.v00 --- /net.v00 --- /oem.tgz\n", 1)},
		{"CRLF and indent", "kernel=/b.b00\r\n  modules=/a.b00\r\n", "kernel=/b.b00\r\n  modules=/a.b00 --- /net.v00 --- /oem.tgz\r\n"},
		{"the last modules= wins", "kernel=/b.b00\nmodules=/x\nmodules=/a.b00\n", "kernel=/b.b00\nmodules=/x\nmodules=/a.b00 --- /net.v00 --- /oem.tgz\n"},
		{"prefix key", "kernel=/b.b00\nmod=/a.b00\n", "kernel=/b.b00\nmodules=/a.b00 --- /net.v00 --- /oem.tgz\n"},
		{"no modules=", "kernel=/b.b00\ntitle=x\n", "kernel=/b.b00\nmodules=/net.v00 --- /oem.tgz\ntitle=x\n"},
		{"empty modules=", "kernel=/b.b00\nmodules=\n", "kernel=/b.b00\nmodules=/net.v00 --- /oem.tgz\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := bootcfg.Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.AppendModules([]string{"/net.v00", "/oem.tgz"}); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
			refs, err := f.Files("")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range refs[len(refs)-2:] {
				names = append(names, r.Path+"|"+r.Args)
			}
			if !slices.Equal(names, []string{"net.v00|", "oem.tgz|"}) {
				t.Errorf("mboot reads the added modules as %q", names)
			}
		})
	}
}

// TestAppendModulesRefuses names mboot would read as something else.
func TestAppendModulesRefuses(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"/a---b.v00", `has "---"`},
		{"/---", `has "---"`},
		{"/a b.v00", "white space at byte 2"},
		{"/a\tb", "white space"},
		{"/a\x01", "byte 0x01"},
		{"/é.v00", "byte 0xC3"},
		{"/#a.v00", "reads as syntax"},
		{"/a=b", "reads as syntax"},
		{"", "empty module name"},
	} {
		f, _ := bootcfg.Parse([]byte(cfg70))
		err := f.AppendModules([]string{"/ok.v00", tc.name})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.name, err, tc.want)
		}
		if string(f.Bytes()) != cfg70 {
			t.Errorf("%q: the file changed though refused", tc.name)
		}
	}
}

// TestHostEditModules tells the builder's edit with added modules from
// any other change.
func TestHostEditModules(t *testing.T) {
	f, _ := bootcfg.Parse([]byte(cfg70))
	host, err := bootcfg.HostEdit(f, []bootcfg.Opt{{Key: "ks", Value: "http://x/ks.cfg"}, {Key: "ip", Value: "10.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	plain := host.Bytes()
	if err := host.AppendModules([]string{"/net.v00"}); err != nil {
		t.Fatal(err)
	}
	added := host.Bytes()
	for _, tc := range []struct {
		name   string
		edited string
		ok     bool
		mods   []string
	}{
		{"host edit", string(plain), true, nil},
		{"host edit and a module", string(added), true, []string{"/net.v00"}},
		{"a module with options", strings.Replace(string(added), "/net.v00", "/net.v00 x=1", 1), false, nil},
		{"a module dropped", strings.Replace(string(plain), " --- /s.v00", "", 1), false, nil},
		{"a module swapped", strings.Replace(string(plain), "/k.b00", "/q.b00", 1), false, nil},
		{"title changed", strings.Replace(string(added), "title=Loading", "title=Booting", 1), false, nil},
	} {
		mods, ok := bootcfg.HostEditModules([]byte(cfg70), []byte(tc.edited))
		if ok != tc.ok || (ok && !slices.Equal(mods, tc.mods)) {
			t.Errorf("%s: %q %v, want %q %v", tc.name, mods, ok, tc.mods, tc.ok)
		}
	}
}
