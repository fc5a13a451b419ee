package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// ConsoleTail is how many bytes of the serial console Result.Console and
// errors keep.
const ConsoleTail = 8 << 10

// maxUnmatched bounds the console text kept for matching; beyond it the
// oldest text is dropped (a line longer than this is matched in pieces).
const maxUnmatched = 1 << 20

// Result is what Run observed.
type Result struct {
	Matched     []string      // the text each expect pattern matched, in order
	Console     string        // the last ConsoleTail bytes of the serial console, "\r" removed
	ExitCode    int           // QEMU's exit status; -1 when Run stopped QEMU
	Accel       string        // accelerator of the boot that decided the result
	AccelReason string        // why that accelerator (ResolveAccel, or the fallback)
	Fallback    string        // non-empty when KVM failed and the boot was rerun under TCG: QEMU's reason
	Duration    time.Duration // from start to the last match, exit or timeout (both boots on a fallback)
}

// Run boots o in QEMU and watches the serial console (with "\r" removed)
// until every pattern in expect has matched, in order, each after the end of
// the previous match; patterns are tried on complete lines only (plus the
// last partial line once QEMU has exited). Run then stops QEMU and returns.
//
// It fails, with the console tail, as soon as QEMU exits, reports a KVM
// failure on stderr, or stops the guest (QMP run state); when the console
// stays silent for o.Silence after a match; on o.Timeout; or when ctx ends.
// Under auto, a KVM failure reruns the boot once under TCG (Result.Fallback)
// and later auto boots of the process go to TCG at once; an explicit kvm
// fails with an *AccelError.
func Run(ctx context.Context, o Options, expect []*regexp.Regexp) (Result, error) {
	start := time.Now()
	if len(expect) == 0 {
		return Result{ExitCode: -1}, errors.New("qemu: no expected console patterns (exit status alone proves nothing)")
	}
	for i, re := range expect {
		if re == nil {
			return Result{ExitCode: -1}, fmt.Errorf("qemu: expected pattern %d is nil", i)
		}
	}
	accel, reason, err := ResolveAccel(o.Accel)
	if err != nil {
		return Result{ExitCode: -1}, err
	}
	auto := o.Accel == "" || o.Accel == AccelAuto
	o.Accel = accel
	res, err := runOnce(ctx, o, expect)
	res.AccelReason = reason
	if accel == AccelKVM && auto {
		noteKVM(err)
	}
	var ae *AccelError
	if !auto || accel != AccelKVM || !errors.As(err, &ae) {
		res.Duration = time.Since(start)
		return res, err
	}
	o.Accel = AccelTCG
	res, err = runOnce(ctx, o, expect)
	res.Fallback = ae.Reason
	res.AccelReason = "KVM failed (" + ae.Reason + "); reran under TCG"
	res.Duration = time.Since(start)
	return res, err
}

// runOnce is one boot of o under o.Accel (kvm or tcg).
func runOnce(ctx context.Context, o Options, expect []*regexp.Regexp) (Result, error) {
	res := Result{ExitCode: -1, Accel: o.Accel}
	path, err := LookPath()
	if err != nil {
		return res, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "eap-qemu-")
	if err != nil {
		return res, fmt.Errorf("qemu: %w", err)
	}
	defer os.RemoveAll(dir)
	if o.OVMF != nil {
		fw, err := o.OVMF.scratch(dir)
		if err != nil {
			return res, err
		}
		o.OVMF = &fw
	}
	o.QMP = filepath.Join(dir, "qmp.sock")
	_, args := Command(o)
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, fmt.Errorf("qemu: %w", err)
	}
	stderr := newStderrWatch()
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("qemu: starting %s: %w", path, err)
	}
	stateCtx, stopState := context.WithCancel(tctx)
	defer stopState()
	guestStop := make(chan string, 1)
	go watchRunState(stateCtx, o.QMP, guestStop)

	chunks := make(chan []byte)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 4096)
			n, err := stdout.Read(buf)
			if n > 0 {
				chunks <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()

	w := &watcher{expect: expect}
	var stopErr error
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
		}
	}
	var silence <-chan time.Time
	var silenceTimer *time.Timer
	if o.Silence > 0 {
		silenceTimer = time.NewTimer(o.Silence)
		silenceTimer.Stop()
		defer silenceTimer.Stop()
	}
loop:
	for !w.done() {
		select {
		case b, ok := <-chunks:
			if !ok {
				break loop
			}
			w.feed(b)
			if silenceTimer != nil && len(w.matched) > 0 {
				silenceTimer.Reset(o.Silence)
				silence = silenceTimer.C
			}
		case line := <-stderr.kvmFailed:
			stop()
			stopErr = &AccelError{Accel: o.Accel, Reason: line}
			break loop
		case st := <-guestStop:
			stop()
			if o.Accel == AccelKVM && strings.Contains(st, "internal-error") {
				stopErr = &AccelError{Accel: o.Accel, Reason: st}
			} else {
				stopErr = fmt.Errorf("qemu: %s", st)
			}
			break loop
		case <-silence:
			stop()
			stopErr = fmt.Errorf("qemu: console silent for %s after /%s/", o.Silence, expect[len(w.matched)-1])
			break loop
		case <-tctx.Done():
			stop()
			if ctx.Err() != nil {
				stopErr = fmt.Errorf("qemu: %w", ctx.Err())
			} else {
				stopErr = fmt.Errorf("qemu: timeout after %s", timeout)
			}
			break loop
		}
	}
	if w.done() {
		stop()
	}
	for b := range chunks { // drain until EOF so that Wait may close the pipe
		if stopErr == nil && !stopped {
			w.feed(b)
		}
	}
	if !stopped {
		w.flush()
	}
	waitErr := cmd.Wait()
	stopState()
	res.Matched = w.matched
	res.Console = string(w.tail)
	if !stopped {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	if w.done() {
		return res, nil
	}
	if stopErr == nil { // QEMU exited: did it say KVM failed?
		select {
		case line := <-stderr.kvmFailed:
			stopErr = &AccelError{Accel: o.Accel, Reason: line}
		default:
		}
	}
	if stopErr == nil {
		var ee *exec.ExitError
		if waitErr != nil && !errors.As(waitErr, &ee) {
			stopErr = fmt.Errorf("qemu: %w", waitErr)
		} else {
			stopErr = fmt.Errorf("qemu: exited with status %d", res.ExitCode)
		}
	}
	return res, fmt.Errorf("%w before /%s/ appeared on the serial console (matched %d of %d patterns)%s\nconsole tail:\n%s",
		stopErr, expect[len(w.matched)], len(w.matched), len(expect), stderr.tail.describe(), indent(res.Console))
}

// watcher matches expect, in order, against the console text.
type watcher struct {
	expect  []*regexp.Regexp
	matched []string
	partial []byte // the current incomplete line
	text    []byte // complete lines after the last match
	tail    []byte // the last ConsoleTail bytes seen
}

func (w *watcher) done() bool { return len(w.matched) == len(w.expect) }

// feed adds console output; complete lines are matched at once.
func (w *watcher) feed(b []byte) {
	b = bytes.ReplaceAll(b, []byte("\r"), nil)
	w.tail = keepTail(append(w.tail, b...), ConsoleTail)
	w.partial = append(w.partial, b...)
	i := bytes.LastIndexByte(w.partial, '\n')
	if i < 0 && len(w.partial) < maxUnmatched {
		return
	}
	if i < 0 {
		i = len(w.partial) - 1
	}
	w.scan(w.partial[:i+1])
	w.partial = append([]byte(nil), w.partial[i+1:]...)
}

// flush matches the last partial line (QEMU has exited).
func (w *watcher) flush() {
	w.scan(w.partial)
	w.partial = nil
}

func (w *watcher) scan(lines []byte) {
	w.text = append(w.text, lines...)
	for !w.done() {
		loc := w.expect[len(w.matched)].FindIndex(w.text)
		if loc == nil {
			break
		}
		w.matched = append(w.matched, string(w.text[loc[0]:loc[1]]))
		w.text = w.text[loc[1]:]
	}
	if len(w.text) > maxUnmatched {
		w.text = keepTail(w.text, maxUnmatched/2)
	}
	if w.done() {
		w.text = nil
	}
}

func keepTail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return append([]byte(nil), b[len(b)-n:]...)
}

func indent(s string) string {
	if s == "" {
		return "  (nothing)"
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// tailBuffer keeps the last ConsoleTail bytes written to it (QEMU's stderr).
type tailBuffer struct{ b []byte }

var _ io.Writer = (*tailBuffer)(nil)

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = keepTail(append(t.b, p...), ConsoleTail)
	return len(p), nil
}

func (t *tailBuffer) describe() string {
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return ""
	}
	return "; qemu stderr: " + s
}
