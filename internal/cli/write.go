package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/esxi-autopart/esxi-autopart/builder/disk"
	"github.com/esxi-autopart/esxi-autopart/builder/diskwrite"
	"github.com/esxi-autopart/esxi-autopart/builder/human"
	"github.com/esxi-autopart/esxi-autopart/builder/regular"
)

// writeFlags are write's flags.
type writeFlags struct {
	partition                            int
	wholeDisk, wipe, yes, dryRun, asJSON bool
}

var writeCommand = &command{
	name:     "write",
	pathArgs: true,
	summary:  "put an image on a disk: into its automation partition (the table kept), or over a whole blank disk",
	usage:    []string{"write IMAGE TARGET [--partition N] [--dry-run] [--yes] [--json]", "write IMAGE TARGET --whole-disk [--wipe] [--dry-run] [--yes] [--json]"},
	about: "Writes IMAGE (raw, or .zst/.xz/.gz) onto TARGET, a block device or a regular file that stands for a disk. " +
		"By default into an existing partition, as the procedure it replaces did: the image's partition must have the " +
		"start and size of a partition of TARGET (build --like-disk TARGET makes such an image); its bytes go into " +
		"that partition, syslinux's boot code over the disk's first 440 bytes, and that partition becomes the only active " +
		"one; the table, the disk signature and every other partition stay as they were. --whole-disk writes the image's " +
		"MBR and partition over a blank disk (--wipe: one that holds partitions or a file system); a GPT image's backup GPT " +
		"goes to the disk's last sectors, its headers made the disk's as sgdisk -e would. Both FATs, the boot " +
		"sectors and every used cluster are written (free clusters are skipped), then fsynced and read back from the " +
		"disk, not the page cache, and compared by SHA-256; then the target is inspected. A target in use (mounted, " +
		"held by RAID/LVM/dm, swap, the running system) is refused before the first byte. On a terminal it shows what " +
		"it will write and keep and asks; --yes skips the question (and is needed when stdin is not a terminal).",
	examples: []string{
		"esxi-autopart build --iso ESXi-7.0.iso --syslinux syslinux-3.86.tar.gz --ks http://deploy/ks/esx01.cfg --like-disk /dev/sda -o esx01.img",
		"esxi-autopart write esx01.img /dev/sda",
		"esxi-autopart write esx01.img.zst /dev/sdc --whole-disk --dry-run",
	},
	exits: []string{
		"0    written, read back, and the target would boot",
		"1    refused (nothing written), or the write or read-back failed (the message says what the target holds)",
		"2    usage: a bad or missing argument or flag",
		"3    written and read back, but inspect finds the target would not boot",
		"130  interrupted: the message says what the target holds",
	},
	new: func() runner { return &writeFlags{} },
}

func (f *writeFlags) define(fs *pflag.FlagSet) {
	fs.IntVar(&f.partition, "partition", 0, "write into partition `N` (1-4) of TARGET (default: the one that starts where the image's does)")
	fs.BoolVar(&f.wholeDisk, "whole-disk", false, "write the image's MBR (or GPT) and partition over the whole TARGET (a blank disk or a USB stick)")
	fs.BoolVar(&f.wipe, "wipe", false, "with --whole-disk: overwrite a TARGET that holds partitions or a file system")
	fs.BoolVar(&f.yes, "yes", false, "write without asking")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print what would be written and kept; write nothing")
	fs.BoolVar(&f.asJSON, "json", false, "print the plan and the result as JSON")
}

// writeDoc is write's --json document.
type writeDoc struct {
	SchemaVersion int               `json:"schema_version"`
	Type          string            `json:"type"` // "write"
	DryRun        bool              `json:"dry_run"`
	Plan          *diskwrite.Plan   `json:"plan"`
	Result        *diskwrite.Result `json:"result,omitempty"`
}

func (f *writeFlags) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 {
		return usageError(writeCommand, fmt.Errorf("want IMAGE and TARGET, got %d arguments", len(args)))
	}
	if f.wipe && !f.wholeDisk {
		return usageError(writeCommand, errors.New("--wipe goes with --whole-disk (a write into a partition keeps the table)"))
	}
	if f.partition != 0 && f.wholeDisk {
		return usageError(writeCommand, errors.New("--partition and --whole-disk: a whole-disk write lays the image's own table"))
	}
	imgPath, target := args[0], args[1]
	raw, done, err := unpacked(ctx, imgPath) // a .zst/.xz/.gz image is written from a raw copy
	if err != nil {
		return err
	}
	defer done()
	src, err := regular.Open(raw, false)
	if err != nil {
		return fmt.Errorf("image %s: %w", imgPath, err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	im, err := diskwrite.ReadImage(src, st.Size(), imgPath)
	if err != nil {
		return err
	}
	var d *disk.Target
	if f.dryRun {
		d, err = disk.OpenRead(target)
	} else {
		d, err = disk.OpenTarget(target)
	}
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("target %s does not exist: a target is a disk or a file that stands for one (to make an image file, use build -o)", target)
	}
	if err != nil {
		return fmt.Errorf("target %w", err)
	}
	defer d.Close()
	tg, err := diskwrite.Describe(d)
	if err != nil {
		return err
	}
	p, err := diskwrite.NewPlan(im, src, tg, diskwrite.Options{Partition: f.partition, WholeDisk: f.wholeDisk, Wipe: f.wipe})
	if err != nil {
		return err
	}
	if f.asJSON && f.dryRun {
		return writeJSON(stdout, writeDoc{SchemaVersion: schemaVersion, Type: "write", DryRun: true, Plan: p})
	}
	if !f.asJSON {
		fmt.Fprint(stdout, writePlanText(p))
	}
	if f.dryRun {
		return nil
	}
	if !f.yes {
		if err := confirm(os.Stdin, stderr, p); err != nil {
			return err
		}
	}
	pr := newWriteProgress(stderr, f.asJSON)
	res, err := diskwrite.Write(ctx, p, d, pr.update)
	pr.finish()
	if err != nil {
		return err
	}
	if f.asJSON {
		if err := writeJSON(stdout, writeDoc{SchemaVersion: schemaVersion, Type: "write", Plan: p, Result: res}); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, writeResultText(p, res))
	}
	if !res.Bootable {
		return &exitError{code: 3, inJSON: true, err: fmt.Errorf("%s was written and read back, but would not boot: %d fault(s)", target, len(res.Inspect.Faults))}
	}
	return nil
}

// confirm asks on a terminal whether to write; anything but y or yes
// stops. Without a terminal, --yes is needed.
func confirm(in *os.File, stderr io.Writer, p *diskwrite.Plan) error {
	if !isTTY(in) {
		return fmt.Errorf("%s: not written: standard input is not a terminal to ask on; add --yes to write without asking (--dry-run shows the plan)", p.Target.Name)
	}
	fmt.Fprintf(stderr, "Write %s bytes onto %s? [y/N] ", human.Commas(p.WriteBytes), p.Target.Name)
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("%s: not written (answered %q)", p.Target.Name, strings.TrimSpace(line))
}

// writePlanText is the plan in words: what will be written and kept.
func writePlanText(p *diskwrite.Plan) string {
	var b strings.Builder
	kind := "a file standing for a disk"
	if p.Target.Device {
		kind = "a block device"
	}
	fmt.Fprintf(&b, "Image:  %s (%s bytes; its partition: %s)\n", p.Image.Name, human.Commas(p.Image.Size), diskwrite.Geometry(p.Image.Start, p.Image.Sectors))
	fmt.Fprintf(&b, "Target: %s (%s, %s bytes, %s)\n", p.Target.Name, kind, human.Commas(p.Target.Size), human.Bytes(p.Target.Size))
	mode := "into partition " + fmt.Sprint(p.Partition) + "; the partition table is kept"
	if p.Mode == diskwrite.WholeDisk {
		mode = "the whole disk: the image's MBR and partition"
		if p.GPT != nil {
			mode = "the whole disk: the image's protective MBR, GPT and partition, the backup GPT at the disk's end"
		}
	}
	fmt.Fprintf(&b, "Mode:   %s\n", mode)
	fmt.Fprintf(&b, "Writes (%s bytes in %d ranges, sector 0 last):\n", human.Commas(p.WriteBytes), len(p.Ranges))
	for _, l := range p.Writes {
		fmt.Fprintf(&b, "  - %s\n", l)
	}
	if len(p.Keeps) > 0 {
		b.WriteString("Keeps:\n")
		for _, l := range p.Keeps {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
	}
	for _, l := range p.Notes {
		fmt.Fprintf(&b, "Note: %s\n", l)
	}
	return b.String()
}

// writeResultText is the outcome: the write, the read-back and inspect's
// verdict.
func writeResultText(p *diskwrite.Plan, r *diskwrite.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Wrote %s bytes in %.2fs (%s/s), fsynced.\n", human.Commas(r.Written), r.WriteSeconds, rate(r.Written, r.WriteSeconds))
	fmt.Fprintf(&b, "Read back %s bytes from the disk (not the page cache) in %.2fs (%s/s): every range's SHA-256 matches.\n", human.Commas(r.Verified), r.VerifySeconds, rate(r.Verified, r.VerifySeconds))
	fmt.Fprintf(&b, "Partition table: %s.\n", r.Reread)
	verdict := "BOOTABLE"
	if !r.Bootable {
		verdict = "NOT BOOTABLE"
	}
	fmt.Fprintf(&b, "Inspect %s: %s (partition %d, %s)\n", p.Target.Name, verdict, p.Partition, diskwrite.Geometry(p.Start, p.Sectors))
	for _, f := range r.Inspect.Faults {
		fmt.Fprintf(&b, "  FAULT: %s\n", f)
	}
	return b.String()
}

func rate(n int64, secs float64) string {
	if secs <= 0 {
		return "- B"
	}
	return human.Bytes(int64(float64(n) / secs))
}

// writeProgress shows the write's and the read-back's bytes, rate and ETA
// on a terminal (one line rewritten), nothing elsewhere.
type writeProgress struct {
	out   io.Writer
	on    bool
	start time.Time
	stage string
	last  time.Time
}

func newWriteProgress(stderr io.Writer, asJSON bool) *writeProgress {
	return &writeProgress{out: stderr, on: !asJSON && isTerminal(stderr)}
}

func (w *writeProgress) update(stage string, done, total int64) {
	if !w.on {
		return
	}
	now := time.Now()
	if stage != w.stage {
		if w.stage != "" {
			fmt.Fprintln(w.out)
		}
		w.stage, w.start = stage, now
	} else if now.Sub(w.last) < 200*time.Millisecond && done < total {
		return
	}
	w.last = now
	secs := now.Sub(w.start).Seconds()
	eta := "-"
	if done > 0 && secs > 0 {
		eta = time.Duration(float64(total-done) / (float64(done) / secs) * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(w.out, "\r%-6s %s of %s bytes, %s/s, ETA %s   ", stage, human.Commas(done), human.Commas(total), rate(done, secs), eta)
}

func (w *writeProgress) finish() {
	if w.on && w.stage != "" {
		fmt.Fprintln(w.out)
	}
}
