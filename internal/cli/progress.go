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
	total     int
	done      int
	failed    int
}

func newProgress(f *buildFlags, stdout, stderr io.Writer, total int) *progress {
	pr := &progress{mode: "lines", out: stderr, bars: map[string]*mpb.Bar{}, total: total, bmap: f.bmap}
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
		b := pr.bars[e.Host]
		if b == nil {
			b = pr.p.AddBar(max(e.Bytes, 1),
				mpb.PrependDecorators(decor.Name(e.Host, decor.WC{W: 16, C: decor.DindentRight})),
				mpb.AppendDecorators(decor.OnComplete(decor.Percentage(), "done")))
			pr.bars[e.Host] = b
		}
		switch e.Phase {
		case batch.Written:
			b.SetCurrent(b.Current() + max(e.Bytes, 1))
		case batch.Failed: // why: in the summary
			b.Abort(false)
		}
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
