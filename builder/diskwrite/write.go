package diskwrite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/inspect"
)

// Stages a Progress reports.
const (
	StageWrite  = "write"
	StageVerify = "verify"
)

// Progress is told, from the writing goroutine, how many bytes of a stage
// are done.
type Progress func(stage string, done, total int64)

// Result is a finished write.
type Result struct {
	Written       int64           `json:"written_bytes"`
	WriteSeconds  float64         `json:"write_seconds"` // the write and fsync
	Verified      int64           `json:"verified_bytes"`
	VerifySeconds float64         `json:"verify_seconds"` // the read-back from the disk
	Reread        string          `json:"partition_table_reread"`
	Inspect       *inspect.Report `json:"inspect"`  // the target, read back as a whole disk
	Bootable      bool            `json:"bootable"` // inspect's verdict: the target would boot
}

// StateError is a write that stopped before it was complete: State says in
// words what the target holds now.
type StateError struct {
	Err   error
	State string
}

func (e *StateError) Error() string { return e.Err.Error() + "; " + e.State }
func (e *StateError) Unwrap() error { return e.Err }

// Write carries out p on d (opened with disk.OpenWrite; its Name, size and
// sector 0 are the ones Describe read): the ranges in order (sector 0
// last), fsync, every range read back from the disk and compared by
// SHA-256, the partition table re-read by the kernel, then the target
// inspected as a disk. An error after the first byte is a *StateError.
func Write(ctx context.Context, p *Plan, d *disk.Target, progress Progress) (*Result, error) {
	if d.Size != p.Target.Size || d.Name != p.Target.Name {
		return nil, fmt.Errorf("%s: the target changed since it was planned (%s bytes, planned for %s)", d.Name, human.Commas(d.Size), human.Commas(p.Target.Size))
	}
	now, err := d.Sector0()
	if err != nil {
		return nil, err
	}
	if now != p.Target.Sector0 {
		return nil, fmt.Errorf("%s: sector 0 changed since it was planned; nothing was written", d.Name)
	}
	if d.Device && !d.Exclusive {
		c, err := p.claim()
		if err != nil {
			return nil, err
		}
		defer c.Close()
	}
	res := &Result{}
	total := p.WriteBytes
	start := time.Now()
	err = d.Write(ctx, p.Ranges, func(n int64) {
		if progress != nil {
			progress(StageWrite, n, total)
		}
	})
	if err != nil {
		var we *disk.WriteError
		n := int64(0)
		if errors.As(err, &we) {
			n, err = we.Written, we.Err // the state says how much was written
		}
		syncErr := d.Sync()
		return nil, &StateError{Err: errors.Join(err, syncErr), State: p.stateAfter(n)}
	}
	if err := d.Sync(); err != nil {
		return nil, &StateError{Err: err, State: p.stateAfter(total)}
	}
	if u, ok := p.Target.kernelPartition(Partition{Start: p.Start}); ok && u.Kernel {
		_ = disk.FlushPartition(u.Node) // best effort: a reader of /dev/sdX2 then sees the new bytes
	}
	res.Written, res.WriteSeconds = total, time.Since(start).Seconds()
	start = time.Now()
	if err := d.Verify(ctx, p.Ranges, func(n int64) {
		if progress != nil {
			progress(StageVerify, n, total)
		}
	}); err != nil {
		return nil, &StateError{Err: err, State: "every byte was written, but the read-back failed: the target may not hold the image; write it again"}
	}
	res.Verified, res.VerifySeconds = total, time.Since(start).Seconds()
	res.Reread = p.reread(d)
	var rep *inspect.Report
	if p.Image.UEFIOnly && p.Mode == IntoPartition {
		// mbr.bin and the active flag play no part: judge the partition.
		rep, err = inspect.Inspect(io.NewSectionReader(d.File, int64(p.Start)*512, int64(p.Sectors)*512), int64(p.Sectors)*512, inspect.Options{SkipHashes: true})
	} else {
		rep, err = inspect.Inspect(d.File, d.Size, inspect.Options{SkipHashes: true}) // every byte was just compared
	}
	if err != nil {
		return nil, &StateError{Err: err, State: "the image was written and read back, but inspecting the target failed"}
	}
	res.Inspect, res.Bootable = rep, rep.Bootable
	return res, nil
}

// stateAfter says what the target holds after the first n bytes of the
// planned ranges were written (they are written in order, sector 0 last).
func (p *Plan) stateAfter(n int64) string {
	if n == 0 {
		return "nothing was written: " + p.Target.Name + " is as it was"
	}
	last := p.Ranges[len(p.Ranges)-1]
	if p.sector0Last && n >= p.WriteBytes-last.Len && n < p.WriteBytes {
		n = p.WriteBytes - last.Len // sector 0 is one write: it is there whole or not at all
	}
	done := fmt.Sprintf("%s of %s bytes were written", human.Commas(n), human.Commas(p.WriteBytes))
	if p.Mode == IntoPartition {
		return fmt.Sprintf("%s: partition %d holds part of the new FAT volume (its old contents are gone) and will neither mount nor boot; sector 0 (boot code, table, active flag) and every other partition are as they were; write again to finish", done, p.Partition)
	}
	if p.GPT != nil {
		return fmt.Sprintf("%s: the partition area holds part of the image and the disk's last 33 sectors may hold the new backup GPT; sector 0 and the old primary table are as they were; write again to finish", done)
	}
	return fmt.Sprintf("%s: the partition area holds part of the image; sector 0 and the old partition table are as they were; write again to finish", done)
}

// claim holds the partition written exclusively when the disk could not
// be opened so (another partition of it is mounted or claimed).
func (p *Plan) claim() (io.Closer, error) {
	t := p.Target
	if p.Mode == WholeDisk {
		return nil, fmt.Errorf("%s: the kernel refuses to open it exclusively: a partition of it is mounted or claimed, and --whole-disk overwrites its table; nothing was written", t.Name)
	}
	u, ok := t.kernelPartition(Partition{Start: p.Start})
	if !ok {
		return nil, fmt.Errorf("%s: the kernel refuses to open it exclusively (a partition of it is in use) and knows no partition at LBA %d to claim instead; nothing was written", t.Name, p.Start)
	}
	c, err := disk.ClaimPartition(u.Node)
	if err != nil {
		return nil, fmt.Errorf("%s partition %d: %w; nothing was written", t.Name, p.Partition, err)
	}
	return c, nil
}

// reread has the kernel re-read a table the write changed (BLKRRPART) and
// says what it sees.
func (p *Plan) reread(d *disk.Target) string {
	switch {
	case !d.Device:
		return "a file: no kernel view to update"
	case p.Mode == IntoPartition && p.Target.isGPT():
		return "not re-read: the GPT did not change (only the boot code and the boot GUID in sector 0)"
	case p.Mode == IntoPartition:
		// Re-reading would drop and re-add every partition (and fail while
		// one is mounted) for nothing: the kernel keeps no active flag.
		return "not re-read: only the active flags changed, which the kernel does not track"
	}
	if err := d.RereadPartitions(); err != nil {
		return fmt.Sprintf("the kernel did not re-read the partition table (%v): it sees the new table after the next reboot", err)
	}
	uses, err := d.Uses()
	if err != nil {
		return "the kernel re-read the partition table (" + err.Error() + ")"
	}
	for _, u := range uses {
		if u.Partition != 0 && u.Start == int64(p.Start) {
			return fmt.Sprintf("the kernel re-read the partition table and lists partition %d as /dev/%s", u.Partition, u.Node)
		}
	}
	return fmt.Sprintf("the kernel re-read the partition table but lists no partition at LBA %d (a kernel without MBR support?)", p.Start)
}
