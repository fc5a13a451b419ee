package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/esxi-autopart/esxi-autopart/builder/batch"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
)

// progress prints a batch's events: bars on a terminal, plain lines
// otherwise, JSON lines with --json, only what was not built with --quiet.
type progress struct {
	mode string // "bars", "lines", "json", "quiet"
	bmap bool   // --bmap: each image has IMAGE.bmap
	// inventory and flagVars (--var) say where a template's variables
	// come from when one is missing.
	inventory string
	flagVars  map[string]string
	out       io.Writer
	p         *mpb.Progress
	mu        sync.Mutex
	bars      map[string]*mpb.Bar
	steps     map[string]*barStep // what each host's bar is doing
	passes    int64               // passes over each image a bar counts: verifying, and compressing with --compress
	total     int
	done      int
	failed    int
}

func newProgress(f *buildFlags, stdout, stderr io.Writer, total int) *progress {
	pr := &progress{mode: "lines", out: stderr, bars: map[string]*mpb.Bar{}, steps: map[string]*barStep{}, total: total, bmap: f.bmap, passes: 1}
	if f.compress != "" {
		pr.passes = 2
	}
	switch {
	case f.quiet:
		pr.mode = "quiet"
	case f.asJSON:
		pr.mode, pr.out = "json", stdout
	case isTerminal(stderr):
		pr.mode = "bars"
		pr.p = mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(40))
	}
	return pr
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

func (pr *progress) event(e batch.Event) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	switch e.Phase {
	case batch.Written:
		pr.done++
	case batch.Failed:
		pr.failed++
	}
	if e.Phase == batch.Working && pr.mode != "bars" {
		return // bars show it; a line or a JSON event per tenth of a second would not help
	}
	switch pr.mode {
	case "json":
		ev := eventJSON{SchemaVersion: schemaVersion, Type: "event", Host: e.Host, Phase: string(e.Phase), Bytes: e.Bytes,
			Cloned: e.Cloned}
		if e.Err != "" {
			ev.Error = &errorJSON{Message: e.Err}
		}
		if e.Result != nil {
			ev.Image, ev.SHA256 = e.Result.Path, e.Result.SHA256
		}
		jsonLine(pr.out, ev)
	case "lines":
		switch e.Phase {
		case batch.Written:
			if p := e.Packed; p != nil {
				fmt.Fprintf(pr.out, "[%d/%d] %s: %s (%s bytes, %s of a %s-byte image) sha256 %s\n", pr.done+pr.failed, pr.total, e.Host, p.Path,
					human.Commas(p.Bytes), p.Kind, human.Commas(e.Bytes), p.SHA256)
				break
			}
			fmt.Fprintf(pr.out, "[%d/%d] %s: %s (%s bytes) sha256 %s\n", pr.done+pr.failed, pr.total, e.Host, e.Result.Path, human.Commas(e.Bytes), e.Result.SHA256)
		case batch.Failed: // why: in the summary, once for every host it stopped
			fmt.Fprintf(pr.out, "[%d/%d] %s: FAILED\n", pr.done+pr.failed, pr.total, e.Host)
		}
	case "bars":
		pr.bar(e)
	}
}

// barStep is what a host's bar shows beside it: the step, its rate so far
// and the time left at that rate. The bar's decorators read it as it is
// drawn.
type barStep struct {
	mu    sync.Mutex
	step  string
	start time.Time // when the step began
	from  int64     // the bar's count then
	cur   int64     // the bar's count now
	total int64     // the bar's total
}

func (s *barStep) set(step string, cur int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if step != s.step {
		s.step, s.start, s.from = step, now, cur
	}
	s.cur = cur
}

// text is "verifying  412.3 MiB/s  ETA 0:42", the rate over the step so
// far (once it has run a second).
func (s *barStep) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	took := time.Since(s.start).Seconds()
	if s.step != batch.Verifying && s.step != batch.Compressing || took < 1 || s.cur <= s.from {
		return s.step
	}
	rate := float64(s.cur-s.from) / took
	left := time.Duration(float64(s.total-s.cur)/rate) * time.Second
	return fmt.Sprintf("%-11s %7.1f MiB/s  ETA %d:%02d", s.step, rate/(1<<20), int(left.Minutes()), int(left.Seconds())%60)
}

// bar moves host e.Host's bar: a bar per host counts the bytes verified
// (written, read back and hashed) and, with --compress, compressed, with
// the rate and the time left.
func (pr *progress) bar(e batch.Event) {
	b, st := pr.bars[e.Host], pr.steps[e.Host]
	if b == nil {
		st = &barStep{step: "planned", start: time.Now(), total: max(e.Bytes, 1) * pr.passes}
		b = pr.p.AddBar(st.total,
			mpb.PrependDecorators(decor.Name(e.Host, decor.WC{W: 16, C: decor.DindentRight})),
			mpb.AppendDecorators(decor.OnComplete(decor.Percentage(decor.WC{W: 5}), "done"),
				decor.Any(func(decor.Statistics) string { return "  " + st.text() })))
		pr.bars[e.Host], pr.steps[e.Host] = b, st
	}
	switch e.Phase {
	case batch.Working:
		cur := e.Done
		if e.Step == batch.Compressing {
			cur += e.Bytes // the verifying pass is behind it
		}
		st.set(e.Step, cur, time.Now())
		if cur > b.Current() && cur < st.total {
			b.SetCurrent(cur)
		}
	case batch.Written:
		st.set("verified", st.total, time.Now())
		b.SetCurrent(st.total)
	case batch.Failed: // why: in the summary
		st.set("failed", b.Current(), time.Now())
		b.Abort(false)
	}
}

func (pr *progress) wait() {
	if pr.p != nil {
		for _, b := range pr.bars {
			if !b.Completed() {
				b.Abort(false)
			}
		}
		pr.p.Wait()
	}
}

// summary ends a batch: the totals, every host that failed and every
// inventory row not built (rowErrs); under --json, the build document.
func (pr *progress) summary(results []batch.HostResult, rowErrs []error, took time.Duration) {
	failed := failedHosts(results, pr.inventory, pr.flagVars)
	if pr.mode == "quiet" { // errors are never quiet: every host and row not built, and why
		for _, e := range append(failed, rowErrs...) {
			fmt.Fprintf(pr.out, "esxi-autopart: %v\n", e)
		}
		return
	}
	var bytes, packed int64
	nFailed := 0
	kind := ""
	for _, r := range results {
		if r.Image != nil {
			bytes += r.Image.Bytes
		}
		if r.Image != nil && r.Packed != nil {
			packed += r.Packed.Bytes
			kind = string(r.Packed.Kind)
		}
		if r.Err != nil {
			nFailed++
		}
	}
	if pr.mode == "json" {
		jsonLine(pr.out, batchJSON(results, rowErrs, pr.bmap, summaryJSON{Hosts: len(results), Built: len(results) - nFailed,
			Failed: nFailed, Bytes: bytes, Seconds: took.Seconds()}))
		return
	}
	size := human.Commas(bytes) + " bytes"
	if kind != "" {
		size = fmt.Sprintf("%s bytes of %s, %s bytes raw", human.Commas(packed), kind, human.Commas(bytes))
	}
	fmt.Fprintf(pr.out, "built %d of %d images (%s) in %.2fs\n", len(results)-nFailed, len(results)+rowsIn(rowErrs), size, took.Seconds())
	if nFailed > 0 {
		fmt.Fprintf(pr.out, "%s failed:\n", plural(nFailed, "host"))
	}
	for _, f := range failed {
		fmt.Fprintf(pr.out, "  %v\n", f)
	}
	if len(rowErrs) > 0 {
		fmt.Fprintf(pr.out, "%s not built:\n", plural(rowsIn(rowErrs), "inventory row"))
		for _, e := range rowErrs {
			fmt.Fprintf(pr.out, "  %v\n", e)
		}
	}
}

// eventJSON is one line of a batch's progress under --json.
type eventJSON struct {
	SchemaVersion int        `json:"schema_version"`
	Type          string     `json:"type"` // "event"
	Host          string     `json:"host"`
	Phase         string     `json:"phase"` // planned, written, failed
	Bytes         int64      `json:"bytes,omitempty"`
	Image         string     `json:"image,omitempty"`  // written: the raw image's path
	SHA256        string     `json:"sha256,omitempty"` // written: the raw image's SHA-256
	Cloned        bool       `json:"cloned,omitempty"`
	Error         *errorJSON `json:"error,omitempty"`
}

// batchJSON is the build document of a batch.
func batchJSON(results []batch.HostResult, rowErrs []error, bmap bool, sum summaryJSON) buildJSON {
	doc := buildJSON{SchemaVersion: schemaVersion, Type: "build", Hosts: []hostJSON{}, Summary: &sum}
	for _, r := range results {
		h := hostJSON{ID: r.Job.ID}
		if r.Plan != nil {
			h.Plan = newPlanJSON(r.Plan)
		}
		if r.Image != nil {
			h.Result = newResultJSON(r.Image, r.Packed, r.Cloned)
			if bmap {
				h.Result.Bmap = filepath.Join(filepath.Dir(r.Image.Path), r.Job.ID+".img.bmap")
			}
			if r.KSSum != "" {
				h.Result.Kickstart = &outputFileJSON{Path: filepath.Join(filepath.Dir(r.Image.Path), r.Job.ID+".cfg"), SHA256: r.KSSum}
			}
		}
		if r.Err != nil {
			e := newErrorJSON(r.Err)
			h.Error = &e
		}
		doc.Hosts = append(doc.Hosts, h)
	}
	for _, e := range rowErrs {
		doc.Errors = append(doc.Errors, newErrorJSON(e))
	}
	return doc
}
