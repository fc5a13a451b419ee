package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder/fileerr"
)

func TestCheckValue(t *testing.T) {
	tests := []struct {
		v       string
		wantErr string
	}{
		{"http://deploy/ks/esx01.cfg", ""},
		{"usb:/KS.CFG", ""},
		{"nfs://10.0.0.1/ks/a.cfg", ""},
		{"http://a b", "white space at byte 8"},
		{"a\tb", "white space at byte 1"},
		{"a\r", "control byte 0x0D at byte 1"},
		{"a\nb", "control byte 0x0A at byte 1"},
		{"\x00", "control byte 0x00 at byte 0"},
		{"x\x7f", "control byte 0x7F at byte 1"},
	}
	for _, tt := range tests {
		err := CheckValue("ks", tt.v)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("CheckValue(%q) = %v", tt.v, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CheckValue(%q) = %v, want %q", tt.v, err, tt.wantErr)
		}
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name, tmpl string
		data       map[string]any
		want       string
		crlf       int
		wantErr    string
	}{
		{name: "plain", tmpl: "ks={{.KS}}\n", data: map[string]any{"KS": "usb"}, want: "ks=usb\n"},
		{name: "crlf", tmpl: "a\r\nb={{.KS}}\r\n", data: map[string]any{"KS": "x"}, want: "a\nb=x\n", crlf: 2},
		{name: "lone cr", tmpl: "a\rb", data: map[string]any{}, want: "a\nb", crlf: 1},
		{name: "range", tmpl: "{{range .M}} --- {{.}}{{end}}", data: map[string]any{"M": []string{"a", "b"}}, want: " --- a --- b"},
		{name: "missing key", tmpl: "{{.id}}", data: map[string]any{}, wantErr: `{{.id}}: no variable id (there are no variables)`},
		{name: "bad syntax", tmpl: "{{.id", data: map[string]any{}, wantErr: "template bad syntax"},
		{name: "cr from data", tmpl: "{{.x}}", data: map[string]any{"x": "a\rb"}, wantErr: "byte 0x0D at offset 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Render(tt.name, tt.tmpl, tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Text) != tt.want || r.CRLF != tt.crlf {
				t.Errorf("got %q (CR %d), want %q (CR %d)", r.Text, r.CRLF, tt.want, tt.crlf)
			}
		})
	}
}

func TestData(t *testing.T) {
	b := map[string]any{"KS": "usb"}
	if _, err := Data(b, map[string]string{"KS": "x"}); err == nil || !strings.Contains(err.Error(), "is a built-in template value") {
		t.Errorf("shadowing a built-in: %v", err)
	}
	if _, err := Data(b, map[string]string{"my-var": "x"}); err == nil {
		t.Error("bad key accepted")
	}
	if _, err := Data(b, map[string]string{"ip": "10.0.0.1 "}); err == nil {
		t.Error("value with white space accepted")
	}
	d, err := Data(b, map[string]string{"id": "esx01"})
	if err != nil || d["id"] != "esx01" || d["KS"] != "usb" {
		t.Errorf("Data = %v, %v", d, err)
	}
}

// TestRenderWork: templates whose work is not bounded by what they print
// are refused before they run, naming the line.
func TestRenderWork(t *testing.T) {
	data := map[string]any{"Modules": []string{"a", "b"}}
	for _, c := range []struct{ text, want string }{
		{"{{range .Modules}}{{range $.Modules}}{{.}}{{end}}{{end}}", ""},
		{"x\n{{range .Modules}}{{range $.Modules}}{{range $.Modules}}{{end}}{{end}}{{end}}", "line 2: {{range}} nested 3 deep (at most 2)"},
		{`{{define "r"}}{{range $.Modules}}{{end}}{{end}}{{range .Modules}}{{range $.Modules}}{{template "r" $}}{{end}}{{end}}`, "{{range}} nested 3 deep"},
		{`{{define "x"}}{{template "x" .}}{{end}}{{template "x" .}}`, `{{template "x"}} calls itself`},
		{"{{range 3}}{{.}}{{end}}", ""},
		{`{{printf "%-8s|%5.2f" "a" 1.5}}`, ""},
		{`{{range .Modules}}{{printf "%0999999d" 1 | len}}{{end}}`, "widths and precisions are at most 4096"},
		{`{{printf "%*d" 999999 1}}`, "at most 4096"},
		{`{{html "<a>"}}{{js "x"}}{{urlquery "a b"}}{{println 1}}`, ""},
		{"{{$a := printf \"%4096d\" 1}}" + strings.Repeat("{{$a = print $a $a}}", 30) + "{{len $a}}", "made more than 4194304 bytes"},
		{"{{range 1000000000}}{{end}}", "line 1: {{range 1000000000}} counts past 65536"},
		{`{{define "a"}}{{template "b" .}}{{end}}{{define "b"}}{{template "a" .}}{{end}}{{template "a" .}}`, "calls itself"},
	} {
		_, err := Render("t.tmpl", c.text, data)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}

// TestMissingKey: a key the data lacks names the template's line, the
// nearest variable (case aside) and every variable there is.
func TestMissingKey(t *testing.T) {
	data := map[string]any{"Host": "esx01", "hostname": "esx01", "ip": "10.0.0.1", "id": "esx01"}
	for _, c := range []struct{ name, tmpl, want string }{
		{"ks.tmpl", "network\nnetwork --hostname={{.Hostname}}\n",
			"ks.tmpl:2: {{.Hostname}}: no variable Hostname; did you mean {{.hostname}}? (the variables are Host, hostname, id, ip)"},
		{"--ks", "http://d/{{.gateway}}", "--ks: {{.gateway}}: no variable gateway (the variables are Host, hostname, id, ip)"},
	} {
		_, err := Render(c.name, c.tmpl, data)
		var m *MissingError
		if !errors.As(err, &m) || err.Error() != c.want {
			t.Errorf("%s: %v\nwant %s", c.name, err, c.want)
		}
		if file, _, n, _ := fileerr.Locate(err); c.name == "ks.tmpl" && (file != "ks.tmpl" || n != 2) {
			t.Errorf("%s: located at %s line %d", c.name, file, n)
		}
	}
	m := &MissingError{Template: "ks.tmpl", Line: 3, Key: "dns", Known: []string{"Host", "id", "nameserver"},
		Sources: []Source{{"columns of hosts.csv", []string{"id", "nameserver"}}, {"--var", nil}, {"built-in", []string{"Host"}}}}
	if want := "ks.tmpl:3: {{.dns}}: no variable dns (columns of hosts.csv: id, nameserver; --var: none; built-in: Host)"; m.Error() != want {
		t.Errorf("with sources: %s\nwant %s", m, want)
	}
}
