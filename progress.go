package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/esxi-autopart/esxi-autopart/builder/batch"
)

// progress prints a batch's events: bars on a terminal, plain lines
// otherwise, JSON lines with --json, nothing with --quiet.
type progress struct {
	mode   string // "bars", "lines", "json", "quiet"
	out    io.Writer
	p      *mpb.Progress
	mu     sync.Mutex
	bars   map[string]*mpb.Bar
	total  int
	done   int
	failed int
}

func newProgress(f *buildFlags, stdout, stderr io.Writer, total int) *progress {
	pr := &progress{mode: "lines", out: stderr, bars: map[string]*mpb.Bar{}, total: total}
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
		jsonLine(pr.out, e)
	case "lines":
		switch e.Phase {
		case batch.Written:
			fmt.Fprintf(pr.out, "[%d/%d] %s: %s (%s bytes) sha256 %s\n", pr.done+pr.failed, pr.total, e.Host, e.Result.Path, commas(e.Bytes), e.Result.SHA256)
		case batch.Failed:
			fmt.Fprintf(pr.out, "[%d/%d] %s: FAILED: %s\n", pr.done+pr.failed, pr.total, e.Host, e.Err)
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
		case batch.Failed:
			b.Abort(false)
			fmt.Fprintf(os.Stderr, "%s: FAILED: %s\n", e.Host, e.Err)
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

func (pr *progress) summary(results []batch.HostResult, took time.Duration) {
	if pr.mode == "quiet" {
		return
	}
	var bytes int64
	var failed []string
	for _, r := range results {
		if r.Image != nil {
			bytes += r.Image.Bytes
		}
		if r.Err != nil {
			failed = append(failed, r.Err.Error())
		}
	}
	if pr.mode == "json" {
		jsonLine(pr.out, map[string]any{"summary": true, "hosts": len(results), "built": len(results) - len(failed),
			"failed": len(failed), "bytes": bytes, "seconds": took.Seconds()})
		return
	}
	fmt.Fprintf(pr.out, "built %d of %d images (%s bytes) in %.2fs\n", len(results)-len(failed), len(results), commas(bytes), took.Seconds())
	for _, f := range failed {
		fmt.Fprintf(pr.out, "  %s\n", f)
	}
}
