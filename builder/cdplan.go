package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder/cd"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/layouts"
	"github.com/esxi-autopart/esxi-autopart/layouts/bootcfg"
)

// A per-host install CD (for a BMC's virtual media): the input ISO with the
// host's boot options in its own config files, and the kickstart on the CD
// when Options.Kickstart is set. No syslinux tarball is involved: the CD
// boots through the media's own isolinux.bin and EFI boot image.

// CDKickstartKS is the default ks= of a CD that carries its kickstart.
const CDKickstartKS = "cdrom:/" + KickstartName

// CDInputs are a read and checked ISO for per-host CDs: its layout and the
// copy source. Plan many hosts from one.
type CDInputs struct {
	ISOPath    string
	Source     *cd.Source
	Media      *layouts.Detected
	ISOCreated time.Time
}

// OpenCD reads the ISO, detects its layout and reads its El Torito catalog.
// Media without El Torito entries are refused: their copies would not boot.
func OpenCD(isoPath string) (*CDInputs, error) {
	return OpenCDContext(context.Background(), isoPath)
}

// OpenCDContext is OpenCD, stopping the walk of the ISO when ctx ends.
func OpenCDContext(ctx context.Context, isoPath string) (*CDInputs, error) {
	src, err := cd.OpenContext(ctx, isoPath)
	if err != nil {
		return nil, err
	}
	in := &CDInputs{ISOPath: isoPath, Source: src}
	if in.Media, err = layouts.Detect(src.ISO); err != nil {
		src.Close()
		return nil, fmt.Errorf("%s: %w", isoPath, err)
	}
	if src.Catalog == nil {
		src.Close()
		return nil, fmt.Errorf("%s: no El Torito boot record: not a bootable CD, so neither is a copy", isoPath)
	}
	pvd, err := readPVD(isoPath)
	if err != nil {
		src.Close()
		return nil, err
	}
	in.ISOCreated = pvdCreated(pvd)
	return in, nil
}

// Close releases the ISO.
func (in *CDInputs) Close() error { return in.Source.Close() }

// CDPlan is one host's CD: which files change and every byte the copy
// writes (cd.Plan), and the texts it puts there.
type CDPlan struct {
	*cd.Plan
	Layout    string            `json:"layout"`
	Host      string            `json:"host,omitempty"`
	KS        string            `json:"ks"`
	Generated map[string]string `json:"generated"` // per-host config files by ISO path
	Kickstart bool              `json:"kickstart"` // KS.CFG on the CD
}

// Plan decides the host's CD: 5.x+ media get ks= (and the network options
// of Vars) in kernelopt= of every BOOT.CFG, cdromBoot kept; 4.x media get
// ks= on isolinux.cfg's mboot.c32 append line, right after the first
// module. Kickstart adds KS.CFG and defaults KS to cdrom:/KS.CFG. Options
// about syslinux and the disk (timeout, serial, FAT, partition) do not
// apply and are ignored.
func (in *CDInputs) Plan(o Options) (*CDPlan, error) {
	if o.KS == "" && o.Kickstart != nil {
		o.KS = CDKickstartKS
	}
	if o.KS == "" {
		return nil, errors.New("no ks= value (Options.KS, --ks): the CD's boot line needs the kickstart's location, e.g. http://deploy/ks/esx01.cfg or cdrom:/KS.CFG")
	}
	ks, err := RenderKS(o)
	if err != nil {
		return nil, err
	}
	o.KS = ks
	p := &CDPlan{Layout: in.Media.Layout, Host: o.Host, KS: ks, Generated: map[string]string{}}
	var edits []cd.Edit
	if in.Media.Family == 4 {
		e, err := in.isolinuxEdit(ks)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	for _, g := range in.Media.Generated {
		e, err := in.bootCfgEdit(g.Src, ks, o.Vars)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	for _, e := range edits {
		p.Generated[e.Path] = string(e.Data)
	}
	if o.Kickstart != nil {
		if i := strings.IndexByte(string(o.Kickstart), '\r'); i >= 0 {
			return nil, fmt.Errorf("kickstart for %s: CR byte at offset %d (write it with LF line endings)", o.Host, i)
		}
		edits = append(edits, cd.Edit{Path: KickstartName, Data: o.Kickstart})
		p.Kickstart = true
	}
	epoch := o.Epoch
	if epoch.IsZero() {
		epoch = in.ISOCreated
	}
	if epoch.IsZero() {
		epoch = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if p.Plan, err = in.Source.Plan(edits, epoch); err != nil {
		return nil, err
	}
	return p, nil
}

// bootCfgEdit is a 5.x+ boot.cfg with the host's kernel options.
func (in *CDInputs) bootCfgEdit(path, ks string, vars map[string]string) (cd.Edit, error) {
	text, err := in.Source.ISO.ReadFile(path, 64<<10)
	if err != nil {
		return cd.Edit{}, err
	}
	f, err := bootcfg.Parse(text)
	if err != nil {
		return cd.Edit{}, fmt.Errorf("%s: %s: %w", in.ISOPath, path, err)
	}
	set := []bootcfg.Opt{{Key: "ks", Value: ks}}
	for _, k := range bootcfg.NetKeys {
		if v := vars[k]; v != "" {
			set = append(set, bootcfg.Opt{Key: k, Value: v})
		}
	}
	out, err := bootcfg.CDEdit(f, set)
	if err != nil {
		return cd.Edit{}, fmt.Errorf("%s: %s: %w", in.ISOPath, path, err)
	}
	return cd.Edit{Path: path, Data: out.Bytes()}, nil
}

// isolinuxEdit is a 4.x isolinux.cfg whose mboot.c32 append line has ks=
// right after the first module (an earlier ks= there is replaced).
func (in *CDInputs) isolinuxEdit(ks string) (cd.Edit, error) {
	f, ok := in.Source.ISO.Lookup("isolinux.cfg")
	if !ok {
		return cd.Edit{}, fmt.Errorf("%s: no isolinux.cfg", in.ISOPath)
	}
	text, err := in.Source.ISO.ReadFile(f.Path, 64<<10)
	if err != nil {
		return cd.Edit{}, err
	}
	out, err := AppendKS(text, in.Media.Label, ks)
	if err != nil {
		return cd.Edit{}, fmt.Errorf("%s: %s: %w", in.ISOPath, f.Path, err)
	}
	return cd.Edit{Path: f.Path, Data: out}, nil
}

// AppendKS puts ks=VALUE after the first module of label's APPEND line
// (4.x: "append vmkboot.gz ks=… --- vmkernel.gz …"); every other line
// keeps its bytes.
func AppendKS(text []byte, label, ks string) ([]byte, error) {
	cfg, err := layouts.ParseIsolinux(text)
	if err != nil {
		return nil, err
	}
	var l *layouts.Label
	for i := range cfg.Labels {
		if cfg.Labels[i].Name == label {
			l = &cfg.Labels[i]
		}
	}
	if l == nil || l.AppendAt == 0 {
		return nil, fmt.Errorf("label %q has no append line", label)
	}
	lines := strings.SplitAfter(string(text), "\n")
	line := lines[l.AppendAt-1]
	body := strings.TrimRight(line, "\r\n")
	eol := line[len(body):]
	indent := body[:len(body)-len(strings.TrimLeft(body, " \t"))]
	kw, _, _ := strings.Cut(strings.TrimLeft(body, " \t"), " ")
	words := strings.Fields(l.Append)
	var out []string
	i := 0
	for ; i < len(words) && words[i] != "---"; i++ {
		if i == 0 || !strings.HasPrefix(strings.ToLower(words[i]), "ks=") {
			out = append(out, words[i])
		}
	}
	out = append(append(out, "ks="+ks), words[i:]...)
	lines[l.AppendAt-1] = indent + kw + " " + strings.Join(out, " ") + eol
	return []byte(strings.Join(lines, "")), nil
}

// Mode is the CD file's mode: fileio.Mode, secret when it carries a
// kickstart.
func (p *CDPlan) Mode() os.FileMode { return fileio.Mode(p.Kickstart) }

// WriteTemp writes and verifies the CD into a temporary file beside path
// (cd.Plan.Fill: the sectors written read back, or every byte with
// WriteOptions.FullReadBack); Publish puts it in place.
func (p *CDPlan) WriteTemp(ctx context.Context, path string, o WriteOptions) (*Pending, error) {
	v := cd.VerifyWritten
	if o.FullReadBack {
		v = cd.VerifyFull
	}
	return writeTemp(path, o, p.Mode(), func(f *os.File) (Result, error) {
		sum, reflink, err := p.Fill(ctx, f, v)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", path, err)
		}
		return Result{Path: path, Bytes: p.ImageBytes, SHA256: sum, Reflink: reflink}, nil
	})
}

// WriteFile writes, verifies and puts the CD in place.
func (p *CDPlan) WriteFile(ctx context.Context, path string, o WriteOptions) (*Result, error) {
	return publish(p.WriteTemp(ctx, path, o))
}
