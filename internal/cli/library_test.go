package cli

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// TestLibraryDefaults: the zero builder.Options plan what `build` without
// flags plans (same plan, same bytes); an empty ks= is refused; --timeout
// 0 writes "timeout 0" (wait for a key).
func TestLibraryDefaults(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	for _, in := range [][2]string{pair(inputs(t, tarball.Spec{})), pair(inputs7(t))} {
		stdout, _, err := runCLI("build", "--iso", in[0], "--syslinux", in[1], "--host", "esx01", "--ks", "http://d/ks.cfg", "--dry-run", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Hosts []struct{ Plan json.RawMessage } `json:"hosts"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		inp, err := builder.Open(in[0], in[1])
		if err != nil {
			t.Fatal(err)
		}
		p, err := inp.Plan(builder.Options{Host: "esx01", KS: "http://d/ks.cfg"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(newPlanJSON(p))
		var cli, lib any
		json.Unmarshal(doc.Hosts[0].Plan, &cli)
		json.Unmarshal(b, &lib)
		if !reflect.DeepEqual(cli, lib) {
			t.Errorf("%s: zero Options plan differs from the CLI's defaults:\nCLI %s\nlib %s", in[0], doc.Hosts[0].Plan, b)
		}
		if p.Loader.MaxTransfer != 1 || !strings.HasPrefix(p.Config, "serial 0 115200\n") {
			t.Errorf("zero Options: MaxTransfer %d, syslinux.cfg %q", p.Loader.MaxTransfer, p.Config)
		}
		if _, err := inp.Plan(builder.Options{Host: "esx01"}); err == nil || !strings.Contains(err.Error(), "no ks= value") {
			t.Errorf("empty KS: %v", err)
		}
		p0, err := inp.Plan(builder.Options{KS: "x", Timeout: builder.NoTimeout})
		if err != nil || !strings.Contains(strings.ToLower(p0.Config), "timeout 0\n") {
			t.Errorf("NoTimeout: %v\n%s", err, p0.Config)
		}
		inp.Close()
	}
	iso, tar := inputs(t, tarball.Spec{})
	stdout, _, err := runCLI("build", "--iso", iso, "--syslinux", tar, "--ks", "x", "--timeout", "0", "--dry-run")
	if err != nil || !strings.Contains(stdout, "| timeout 0\n") {
		t.Errorf("--timeout 0: %v\n%s", err, stdout)
	}
}

func pair(a, b string) [2]string { return [2]string{a, b} }
