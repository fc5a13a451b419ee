package batch

import (
	"context"
	"errors"
	"sync"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/zerorun"
)

// firstImage is the first image written in full and verified: the one
// later hosts clone. One worker writes it while the others wait; if it
// fails, the next host to get that far writes one.
type firstImage struct {
	mu      sync.Mutex
	plan    *builder.Plan
	path    string
	writing bool
	done    chan struct{} // closed when the current writer finishes
}

// get returns the first image, or mine == true when the caller is to write
// it (and then must call set, whatever happens).
func (fi *firstImage) get(ctx context.Context) (p *builder.Plan, path string, mine bool, err error) {
	for {
		fi.mu.Lock()
		switch {
		case fi.plan != nil:
			p, path = fi.plan, fi.path
			fi.mu.Unlock()
			return p, path, false, nil
		case !fi.writing:
			fi.writing, fi.done = true, make(chan struct{})
			fi.mu.Unlock()
			return nil, "", true, nil
		}
		done := fi.done
		fi.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, "", false, ctx.Err()
		}
	}
}

// set ends the caller's turn: p and path when its image was written and
// verified, nil when not.
func (fi *firstImage) set(p *builder.Plan, path string) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if p != nil && fi.plan == nil {
		fi.plan, fi.path = p, path
	}
	fi.writing = false
	close(fi.done)
}

// writeImage writes one host's image: cloned from the first image when the
// plans allow, else in full. A clone that fails for any reason but
// cancellation is retried as a full write (which is verified in turn).
// writeMode is how a run writes its images.
type writeMode struct {
	clone    CloneMode     // CloneAuto resolved already
	serial   bool          // builder.WriteOptions.Serial
	zeroRuns *zerorun.Memo // builder.WriteOptions.ZeroRuns
	progress func(int64)   // builder.WriteOptions.Progress
}

func writeImage(ctx context.Context, p *builder.Plan, path string, force bool, mode writeMode, first *firstImage) (*builder.Result, bool, error) {
	o := builder.WriteOptions{Force: force, Serial: mode.serial, ZeroRuns: mode.zeroRuns, Progress: mode.progress}
	if mode.clone == CloneNever {
		res, err := p.WriteFile(ctx, path, o)
		return res, false, err
	}
	bp, bpath, mine, err := first.get(ctx)
	if err != nil {
		return nil, false, err
	}
	if mine {
		// The other hosts wait for this one: give it the other cores.
		res, err := p.WriteFile(ctx, path, builder.WriteOptions{Force: force, ZeroRuns: mode.zeroRuns, Progress: mode.progress})
		if err != nil {
			first.set(nil, "")
			return nil, false, err
		}
		first.set(p, path)
		return res, false, nil
	}
	if p.CanClone(bp) == nil {
		res, err := p.CloneFile(ctx, bp, bpath, path, o)
		if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return res, err == nil, err
		}
	}
	res, err := p.WriteFile(ctx, path, o)
	return res, false, err
}
