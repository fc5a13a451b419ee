package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/batch"
)

// TestBarRateAndETA: a host's bar shows its step, the rate over the step
// so far and the time left at that rate; it moves with the bytes verified,
// then compressed (--compress), and is complete once the host is written.
func TestBarRateAndETA(t *testing.T) {
	const mib = 1 << 20
	st := &barStep{step: batch.Verifying, start: time.Now().Add(-2 * time.Second), total: 1000 * mib, cur: 200 * mib}
	if got, want := st.text(), "verifying     100.0 MiB/s  ETA 0:08"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	st.start = time.Now() // under a second: no rate yet
	if got := st.text(); got != batch.Verifying {
		t.Errorf("text at the start = %q", got)
	}

	var out bytes.Buffer
	pr := &progress{mode: "bars", p: mpb.New(mpb.WithOutput(&out), mpb.WithWidth(40)), bars: map[string]*mpb.Bar{},
		steps: map[string]*barStep{}, passes: 2, total: 1}
	const img = 400 * mib
	for _, e := range []batch.Event{
		{Host: "esx01", Phase: batch.Planned, Bytes: img},
		{Host: "esx01", Phase: batch.Working, Step: batch.Verifying, Bytes: img, Done: img / 2},
		{Host: "esx01", Phase: batch.Working, Step: batch.Compressing, Bytes: img, Done: img / 4},
	} {
		pr.event(e)
	}
	b, st := pr.bars["esx01"], pr.steps["esx01"]
	if b.Current() != img+img/4 || st.step != batch.Compressing || st.total != 2*img {
		t.Errorf("after compressing a quarter: bar at %d of %d, step %q", b.Current(), st.total, st.step)
	}
	pr.event(batch.Event{Host: "esx01", Phase: batch.Written, Bytes: img, Result: &builder.Result{Path: "x"}})
	pr.wait()
	if !b.Completed() || st.step != "verified" {
		t.Errorf("written: completed %v, step %q", b.Completed(), st.step)
	}
}
