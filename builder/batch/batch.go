// Package batch builds one image per host of an inventory: the inputs are
// read and checked once, hosts are planned and written in parallel into a
// stage (a hidden folder in the output folder), and once every host is
// done the outputs are put in place together; the run ends with
// SHA256SUMS and manifest.json beside the images.
//
// It must not know flags or terminals: it reports events and results, internal/cli prints them.
package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/compress"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/builder/zerorun"
)

// Job is one host to build.
type Job struct {
	ID        string          // names <id>.img and <id>.cfg
	Options   builder.Options // the host's settings
	Kickstart []byte          // rendered kickstart, written to <id>.cfg (nil: none)
}

// Phase is where a host is.
type Phase string

// Phases reported through Config.Progress.
const (
	Planned Phase = "planned"
	Written Phase = "written" // written and verified (put in place when the run ends)
	Failed  Phase = "failed"
	// Working reports how far a host's Step is (Done of Total bytes),
	// a few times a second.
	Working Phase = "working"
)

// Steps of Working events.
const (
	Verifying   = "verifying"   // written, read back and hashed
	Compressing = "compressing" // the verified image read into Config.Compress
)

// Event reports one host's progress.
type Event struct {
	Host   string          `json:"host"`
	Phase  Phase           `json:"phase"`
	Bytes  int64           `json:"bytes,omitempty"`
	Result *builder.Result `json:"result,omitempty"`
	Cloned bool            `json:"cloned,omitempty"` // written: cloned from the first image
	Step   string          `json:"step,omitempty"`   // working: Verifying or Compressing
	Done   int64           `json:"done,omitempty"`   // working: bytes of the step done, of Bytes
	// Packed is, with Config.Compress, the compressed file the host
	// delivers instead of the raw image (Path: its final name).
	Packed *compress.Written `json:"packed,omitempty"`
	Err    string            `json:"error,omitempty"`
}

// Config says where and how to build.
type Config struct {
	OutDir    string
	Force     bool          // replace existing outputs
	Jobs      int           // parallel hosts (0: runtime.NumCPU())
	KeepGoing bool          // build every host it can despite failures
	Progress  func(Event)   // called from many goroutines, one call at a time
	Clone     CloneMode     // how images after the first are made
	Compress  compress.Kind // deliver <id>.img.zst (.xz, .gz): the verified raw image stays hidden, then goes
	ZeroRuns  *zerorun.Memo // remembers the hash over long runs of zeros (builder.WriteOptions.ZeroRuns)
	// Extra, when set, makes one more output of each verified raw image
	// (raw: its path) before it is compressed: its file name in OutDir and
	// its bytes (a bmap). It is staged and put in place with the image. An
	// error fails the host.
	Extra func(raw string, p *builder.Plan, id string) (name string, b []byte, err error)
	// CD, when set, makes every host an install CD <id>.iso from it
	// (builder.CDInputs.Plan) instead of a disk image; Run's Inputs then
	// only name the media. Compress, Clone and Extra do not apply.
	CD *builder.CDInputs
	// CDFullReadBack reads back every byte of each CD
	// (builder.WriteOptions.FullReadBack).
	CDFullReadBack bool
}

// imageExt is the extension of a host's raw output: ".iso" for CDs.
func (cfg Config) imageExt() string {
	if cfg.CD != nil {
		return ".iso"
	}
	return ".img"
}

// CloneMode says when later hosts clone the first host's image
// (builder.Plan.CloneFile: a copy of the file, then the few sectors that
// differ rewritten) instead of being written in full. Only hosts whose
// plans place every cluster as the first one does can clone. Every image,
// cloned or not, is verified before it is renamed into place.
type CloneMode int

const (
	// CloneAuto clones where the output folder's filesystem shares extents
	// (FICLONE: Btrfs, XFS with reflink): no data is copied. Elsewhere
	// every image is written in full: a copy_file_range clone copies as
	// many bytes as a full write does from the ISO, and measured on ext4
	// it was no faster (from 10% faster to 50% slower over 20 hosts).
	CloneAuto CloneMode = iota
	// CloneAlways clones wherever plans allow, with copy_file_range of the
	// whole image where the filesystem has no reflinks.
	CloneAlways
	// CloneNever writes every image in full.
	CloneNever
)

// HostResult is one host's outcome.
type HostResult struct {
	Job    Job
	Plan   *builder.Plan
	CD     *builder.CDPlan   // an install CD's plan (Config.CD), instead of Plan
	Image  *builder.Result   // the raw image (Path: where it was written)
	Packed *compress.Written // the delivered compressed file, with Config.Compress
	KSSum  string            // SHA-256 of <id>.cfg, when written
	Cloned bool              // the image was cloned from the first one, then verified
	Err    error
	staged []string // names in the stage, in the order they are put in place (image last)
}

// Stopped is a run, or a host, that ctx stopped: Msg says what was done;
// it unwraps to ctx's error (context.Canceled), which it does not repeat.
type Stopped struct {
	Msg string
	Err error
}

func (e *Stopped) Error() string { return e.Msg }
func (e *Stopped) Unwrap() error { return e.Err }

// ErrFailed is returned (wrapped) when some hosts failed.
var ErrFailed = errors.New("some hosts failed")

// Run builds every job. Without KeepGoing, no new host starts after the
// first failure; hosts already running finish. Every failure names its host.
//
// Nothing in OutDir changes until every host is done: the outputs wait,
// complete and verified, in a stage, and are then put in place together:
// all of them, or with KeepGoing those of the hosts that were built. After
// a failure without KeepGoing, or when ctx is done, none is, and every old
// output is as it was.
func Run(ctx context.Context, in *builder.Inputs, jobs []Job, cfg Config) ([]HostResult, error) {
	if err := checkOutputs(jobs, cfg); err != nil {
		return nil, err
	}
	st, err := fileio.CreateStage(cfg.OutDir)
	if err != nil {
		return nil, err
	}
	defer st.Remove()
	n := cfg.Jobs
	if n <= 0 {
		n = runtime.NumCPU()
	}
	var mu sync.Mutex
	report := func(e Event) {
		if cfg.Progress != nil {
			mu.Lock()
			cfg.Progress(e)
			mu.Unlock()
		}
	}
	results := make([]HostResult, len(jobs))
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	// With a host per CPU, the hosts keep the CPUs busy: each builds on
	// one goroutine (no hasher beside it), which costs less CPU time.
	serial := n >= runtime.NumCPU() && len(jobs) > 1
	mode := cfg.Clone
	if mode == CloneAuto && !fileio.ReflinkSupported(cfg.OutDir) {
		mode = CloneNever
	}
	first := &firstImage{}
	var once sync.Once
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range jobs {
			select {
			case next <- i:
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < min(n, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if stopped() {
					continue // the feeder may have handed this out as the stop came
				}
				r := buildOne(ctx, in, jobs[i], cfg, st.Dir(), writeMode{mode, serial, cfg.ZeroRuns, nil}, first, report)
				results[i] = r
				if r.Err != nil {
					report(Event{Host: jobs[i].ID, Phase: Failed, Err: r.Err.Error()})
					if !cfg.KeepGoing {
						once.Do(func() { close(stop) })
					}
				}
			}
		}()
	}
	wg.Wait()
	failedFirst := -1 // the first host, in job order, that failed on its own
	for i, r := range results {
		if r.Err != nil {
			failedFirst = i
			break
		}
	}
	var firstErr error
	if failedFirst >= 0 {
		firstErr = results[failedFirst].Err
	}
	verified := 0 // built and verified in the stage, before any is put in place
	for _, r := range results {
		if r.Err == nil && r.Image != nil {
			verified++
		}
	}
	// Whether the run was halted is decided once, here: a signal from now
	// on finds the outputs being put in place (a few renames), and the run
	// finishes that and its SHA256SUMS rather than leaving half of them.
	halted := ctx.Err() != nil
	publish(halted, st, results, failedFirst, cfg)
	var failed []string
	for i, r := range results {
		if r.Err != nil {
			failed = append(failed, jobs[i].ID)
		}
	}
	firstFailed := "host " + abbreviate(append([]string(nil), failed...))
	if len(failed) > 1 {
		firstFailed = "hosts " + firstFailed[len("host "):]
	}
	for i, r := range results {
		if r.Err == nil && r.Image == nil {
			results[i].Err = fmt.Errorf("host %s: not built: %s failed first (--keep-going builds the others)", jobs[i].ID, firstFailed)
			if halted {
				results[i].Err = &Stopped{Msg: fmt.Sprintf("host %s: not built: the run was stopped", jobs[i].ID), Err: ctx.Err()}
			}
			failed = append(failed, jobs[i].ID)
		}
	}
	built := len(jobs) - len(failed)
	if halted {
		return results, &Stopped{Err: ctx.Err(),
			Msg: fmt.Sprintf("%d of %d hosts built and verified before the run was stopped, none put in place; no SHA256SUMS written", verified, len(jobs))}
	}
	if built > 0 || len(jobs) == 0 { // a checksum file that lists nothing would say nothing
		if err := writeSums(cfg.OutDir, results); err != nil {
			return results, err
		}
	}
	if len(failed) > 0 {
		err := fmt.Errorf("%w: %d of %d (%v)", ErrFailed, len(failed), len(jobs), abbreviate(failed))
		if firstErr != nil {
			err = fmt.Errorf("%w; the first: %v", err, firstErr)
		}
		return results, err
	}
	return results, nil
}

func buildOne(ctx context.Context, in *builder.Inputs, j Job, cfg Config, stage string, mode writeMode, first *firstImage, report func(Event)) HostResult {
	r := HostResult{Job: j}
	fail := func(err error) HostResult {
		r.Err = fmt.Errorf("host %s: %w", j.ID, relocate(err, stage, cfg.OutDir))
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			r.Err = &Stopped{Msg: fmt.Sprintf("host %s: not built: the run was stopped", j.ID), Err: err}
		}
		return r
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if cfg.CD != nil {
		return buildCD(ctx, j, cfg, stage, report, r, fail)
	}
	p, err := in.Plan(j.Options)
	if err != nil {
		return fail(err)
	}
	r.Plan = p
	report(Event{Host: j.ID, Phase: Planned, Bytes: p.ImageBytes})
	if err := stageKickstart(j, stage, &r); err != nil {
		return fail(err)
	}
	name := j.ID + ".img" + cfg.Compress.Ext()
	path := filepath.Join(stage, name)
	if cfg.Compress != compress.None {
		path = rawName(stage, j.ID) // hidden, never put in place
	}
	mode.progress = working(j.ID, Verifying, p.ImageBytes, report)
	res, cloned, err := writeImage(ctx, p, path, false, mode, first)
	if err != nil {
		return fail(err)
	}
	r.Image, r.Cloned = res, cloned
	if cfg.Extra != nil {
		extra, b, err := cfg.Extra(path, p, j.ID)
		if err == nil {
			_, err = WriteAtomicMode(filepath.Join(stage, extra), b, p.Mode(), false) // a bmap's range hashes cover KS.CFG
		}
		if err != nil {
			return fail(err)
		}
		r.staged = append(r.staged, extra)
	}
	if cfg.Compress != compress.None {
		r.Packed, err = compress.CompressFileProgress(ctx, cfg.Compress, path, filepath.Join(stage, name), p.Mode(), working(j.ID, Compressing, p.ImageBytes, report))
		if err != nil {
			return fail(err)
		}
	}
	r.staged = append(r.staged, name)
	shown := *res
	shown.Path = filepath.Join(cfg.OutDir, j.ID+".img")
	ev := Event{Host: j.ID, Phase: Written, Bytes: res.Bytes, Result: &shown, Cloned: cloned}
	if r.Packed != nil {
		packed := *r.Packed
		packed.Path = filepath.Join(cfg.OutDir, name)
		ev.Packed = &packed
	}
	report(ev)
	return r
}

// working makes a progress function that reports host's step as Working
// events, at most every tenth of a second, and when it is done.
func working(host, step string, total int64, report func(Event)) func(int64) {
	var mu sync.Mutex // the hasher's goroutine may call it
	var last time.Time
	return func(done int64) {
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); done >= total || now.Sub(last) >= 100*time.Millisecond {
			last = now
			report(Event{Host: host, Phase: Working, Step: step, Bytes: total, Done: done})
		}
	}
}

// relocated is an error whose message names the output folder where the
// stage's path was: users know the files by their final names.
type relocated struct {
	msg string
	err error
}

func (e *relocated) Error() string { return e.msg }
func (e *relocated) Unwrap() error { return e.err }

func relocate(err error, stage, out string) error {
	if msg := err.Error(); strings.Contains(msg, stage) {
		return &relocated{strings.ReplaceAll(msg, stage, out), err}
	}
	return err
}

// publish puts the staged outputs in place once every host is done: all,
// or with KeepGoing those of the hosts built; none after a failure (first:
// the first failed host's index, -1 for none) without KeepGoing or when
// the run was stopped (those hosts then say why). A host whose output cannot be
// put in place fails.
func publish(stopped bool, st *fileio.Stage, results []HostResult, first int, cfg Config) {
	why := ""
	if first >= 0 && !cfg.KeepGoing {
		why = "host " + results[first].Job.ID + " failed (--keep-going puts the others in place)"
	}
	if stopped {
		why = "the run was stopped"
	}
	for i := range results {
		r := &results[i]
		if r.Err != nil || r.Image == nil {
			continue
		}
		if why != "" {
			r.Err = fmt.Errorf("host %s: built and verified, but not put in place: %s", r.Job.ID, why)
			r.Image, r.Packed = nil, nil
			continue
		}
		for _, name := range r.staged {
			if err := st.Publish(name, cfg.Force); err != nil {
				r.Err = fmt.Errorf("host %s: %w", r.Job.ID, err)
				break
			}
		}
		if r.Err != nil {
			r.Image, r.Packed = nil, nil
			continue
		}
		r.Image.Path = filepath.Join(cfg.OutDir, r.Job.ID+cfg.imageExt())
		if r.Packed != nil {
			r.Packed.Path = filepath.Join(cfg.OutDir, filepath.Base(r.Packed.Path))
		}
	}
}

// checkOutputs refuses, before anything is written, outputs that exist
// (without Force) or are not files.
func checkOutputs(jobs []Job, cfg Config) error {
	st, err := os.Stat(cfg.OutDir)
	if err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("output folder %s is not a folder", cfg.OutDir)
	}
	var errs []error
	for _, j := range jobs {
		names := []string{j.ID + cfg.imageExt() + cfg.Compress.Ext()}
		if j.Kickstart != nil {
			names = append(names, j.ID+".cfg")
		}
		for _, name := range names {
			if err := builder.CheckOutput(filepath.Join(cfg.OutDir, name), cfg.Force); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) >= 5 {
			errs = append(errs, errors.New("(more not listed)"))
			break
		}
	}
	return errors.Join(errs...)
}

// rawName is where a host's raw image waits to be compressed.
func rawName(dir, id string) string { return filepath.Join(dir, "."+id+".img.raw") }

// abbreviate lists ids, sorted, the first ten of them: "esx01, esx02".
func abbreviate(ids []string) string {
	sort.Strings(ids)
	if len(ids) > 10 {
		return fmt.Sprintf("%s and %d more", strings.Join(ids[:10], ", "), len(ids)-10)
	}
	return strings.Join(ids, ", ")
}

// stageKickstart writes the host's rendered kickstart (if any) into the
// stage as <id>.cfg, mode KickstartMode, and records it in r.
func stageKickstart(j Job, stage string, r *HostResult) error {
	if j.Kickstart == nil {
		return nil
	}
	name := j.ID + ".cfg"
	sum, err := WriteAtomicMode(filepath.Join(stage, name), j.Kickstart, KickstartMode(), false)
	if err != nil {
		return err
	}
	r.KSSum, r.staged = sum, append(r.staged, name)
	return nil
}
