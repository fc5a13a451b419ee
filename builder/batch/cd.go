package batch

import (
	"context"
	"path/filepath"

	"github.com/esxi-autopart/esxi-autopart/builder"
)

// buildCD makes one host's install CD in the stage: <id>.iso (and
// <id>.cfg), written, read back and verified (builder.CDPlan.WriteTemp).
func buildCD(ctx context.Context, j Job, cfg Config, stage string, report func(Event), r HostResult, fail func(error) HostResult) HostResult {
	p, err := cfg.CD.Plan(j.Options)
	if err != nil {
		return fail(err)
	}
	r.CD = p
	report(Event{Host: j.ID, Phase: Planned, Bytes: p.ImageBytes})
	if err := stageKickstart(j, stage, &r); err != nil {
		return fail(err)
	}
	name := j.ID + ".iso"
	pd, err := p.WriteTemp(ctx, filepath.Join(stage, name), builder.WriteOptions{FullReadBack: cfg.CDFullReadBack})
	if err != nil {
		return fail(err)
	}
	defer pd.Discard()
	if err := pd.Publish(); err != nil { // into the stage; Run puts it in place
		return fail(err)
	}
	res := pd.Result
	r.Image, r.staged = &res, append(r.staged, name)
	shown := res
	shown.Path = filepath.Join(cfg.OutDir, name)
	report(Event{Host: j.ID, Phase: Written, Bytes: res.Bytes, Result: &shown})
	return r
}
