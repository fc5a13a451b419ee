package config

import (
	"strings"
	"testing"
)

// FuzzRender: any template text renders within MaxRendered bytes or fails
// with an error; it never panics and never hangs on its data.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"default esx\nlabel esx\n kernel {{.Kernel}}\n append {{range .Modules}}--- {{.}} {{end}}\n",
		"{{range .Modules}}{{range $.Modules}}{{range $.Modules}}{{.}}{{end}}{{end}}{{end}}",
		`{{define "x"}}{{template "x" .}}{{end}}{{template "x" .}}`,
		"{{.KS}} {{.Host}} {{.missing}}",
	} {
		f.Add(s)
	}
	mods := make([]string, 40)
	for i := range mods {
		mods[i] = strings.Repeat("m", 200)
	}
	data := map[string]any{"Kernel": "mboot.c32", "Modules": mods, "KS": "http://deploy/ks.cfg", "Host": "esx01"}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := Render("fuzz.tmpl", text, data)
		if err == nil && len(r.Text) > MaxRendered {
			t.Fatalf("rendered %d bytes", len(r.Text))
		}
	})
}
