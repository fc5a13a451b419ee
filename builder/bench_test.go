package builder

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

// The single-build benchmarks share one synthetic ESXi 4.1 ISO with the
// real file sizes (~333 MB; ~98 MB of it is copied into the image) and a
// syslinux tarball in the 3.70 release's shape (1,724 members, ~15.9 MB
// inflated). They are for profiling (-cpuprofile); scripts/bench.sh
// measures what a user compares, with the commands a user runs.
//
// ESXI_AUTOPART_BENCH_DIR, when set, is where the ISO and tarball are kept
// (written once, reused by later runs and by the peak-RSS measurement of
// the built binary); otherwise they go to a temporary folder.

var (
	realSizes    = isogen.Spec{RockRidge: true, RealSizes: true}
	benchTarball = tarball.Spec{RealSizes: true}
)

// benchFixture returns the real-size ISO and a syslinux tarball.
func benchFixture(b *testing.B) fixture {
	b.Helper()
	dir := os.Getenv("ESXI_AUTOPART_BENCH_DIR")
	if dir == "" {
		return newFixture(b, realSizes, benchTarball)
	}
	fx := fixture{iso: filepath.Join(dir, "esxi-4.1-real-sizes.iso"), tarball: filepath.Join(dir, "syslinux-3.70-real-sizes.tar.gz")}
	var err error
	if fx.files, err = isogen.Contents(realSizes); err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(fx.iso); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		tmp := fx.iso + ".partial"
		if err := isogen.Write(tmp, realSizes); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, fx.iso); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := os.Stat(fx.tarball); err != nil {
		if err := tarball.WriteFile(fx.tarball, benchTarball); err != nil {
			b.Fatal(err)
		}
	}
	return fx
}

// BenchmarkBuildRealSizes is one `build`: open and check both inputs,
// plan, write, read back and verify, rename.
func BenchmarkBuildRealSizes(b *testing.B) {
	fx := benchFixture(b)
	out := filepath.Join(b.TempDir(), "host.img")
	var size int64
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		in, err := Open(fx.iso, fx.tarball)
		if err != nil {
			b.Fatal(err)
		}
		p, err := in.Plan(hostOpts)
		if err != nil {
			b.Fatal(err)
		}
		res, err := p.WriteFile(context.Background(), out, WriteOptions{Force: true})
		if err != nil {
			b.Fatal(err)
		}
		in.Close()
		size = res.Bytes
		cpu.stop()
		os.Remove(out) // the next build writes a fresh file, as a first build does
		cpu.resume()
	}
	cpu.report(b)
	b.ReportMetric(float64(size)/(1<<20), "image-MiB")
}

// BenchmarkFloor is the floor a build is measured against: `cp -r` of the
// payload files (extracted beforehand, untimed) and `gzip -dc` of the
// tarball.
func BenchmarkFloor(b *testing.B) {
	cp, gz := needTool(b, "cp"), needTool(b, "gzip")
	fx := benchFixture(b)
	_, _, payload := extractPayload(b, fx)
	out := filepath.Join(b.TempDir(), "copy")
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		if o, err := exec.Command(cp, "-r", payload, out).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v\n%s", err, o)
		}
		if err := gunzip(gz, fx.tarball); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
		os.RemoveAll(out)
		cpu.resume()
	}
	cpu.report(b)
}

// BenchmarkMtoolsPipeline is the procedure this tool replaces, on the same
// payload (already extracted from the ISO, which favours it): mkfs.fat of
// the partition inside the image, one mcopy of every file, the syslinux
// installer on the image at the partition's offset, dd of mbr.bin. Debian's
// syslinux 6.04 `syslinux --install --offset` stands in for 3.70's installer
// (same job: write ldlinux.sys through mtools, patch the boot sector).
func BenchmarkMtoolsPipeline(b *testing.B) {
	mkfs, mcopy, syslinux, dd := needTool(b, "mkfs.fat"), needTool(b, "mcopy"), needTool(b, "syslinux"), needTool(b, "dd")
	const mbrBin = "/usr/lib/syslinux/mbr/mbr.bin"
	if _, err := os.Stat(mbrBin); err != nil {
		if os.Getenv("CI") != "" {
			b.Fatal(err)
		}
		b.Skip(err)
	}
	fx := benchFixture(b)
	p, files, _ := extractPayload(b, fx)
	offset := strconv.FormatInt(int64(p.Partition.StartLBA)*512, 10)
	fatArgs := []string{"-F", strconv.Itoa(p.FAT.Type), "-n", "ESXI", "-h", strconv.FormatUint(uint64(p.Partition.StartLBA), 10),
		"--offset", strconv.FormatUint(uint64(p.Partition.StartLBA), 10)}
	img := filepath.Join(b.TempDir(), "mtools.img")
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, o)
		}
	}
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		f, err := os.Create(img)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(p.ImageBytes); err != nil {
			b.Fatal(err)
		}
		f.Close()
		run(mkfs, append(fatArgs, img, strconv.FormatInt(int64(p.FAT.TotalSectors)/2, 10))...)
		run(mcopy, append(append([]string{"-i", img + "@@" + offset}, files...), "::")...)
		run(syslinux, "--install", "--offset", offset, img)
		run(dd, "if="+mbrBin, "of="+img, "bs=440", "count=1", "conv=notrunc", "status=none")
		cpu.stop()
		os.Remove(img)
		cpu.resume()
	}
	cpu.report(b)
}

// cpuMeter reports the CPU time (user + system) of this process and of
// its waited-for children per benchmark op, as "cpu-ms/op": under other
// load, wall time says more about the neighbours than about the work.
// Only the timed part counts: call stop and start around untimed work.
type cpuMeter struct {
	b           *testing.B
	start, used time.Duration
}

func cpuNow() time.Duration {
	var t time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			t += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return t
}

func startCPU(b *testing.B) *cpuMeter {
	b.ResetTimer()
	return &cpuMeter{b: b, start: cpuNow()}
}

func (m *cpuMeter) stop() {
	m.b.StopTimer()
	m.used += cpuNow() - m.start
}

func (m *cpuMeter) resume() {
	m.start = cpuNow()
	m.b.StartTimer()
}

func (m *cpuMeter) report(b *testing.B) {
	m.stop()
	b.ReportMetric(float64(m.used)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func writeReader(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(struct{ io.Writer }{f}, r, make([]byte, 4<<20)); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// extractPayload writes the files a build copies (all but LDLINUX.SYS,
// which the installer writes) into a folder, as a user doing it by hand
// would have them, and returns the plan, their paths and the folder.
func extractPayload(b *testing.B, fx fixture) (*Plan, []string, string) {
	in, err := Open(fx.iso, fx.tarball)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	p, err := in.Plan(hostOpts)
	if err != nil {
		b.Fatal(err)
	}
	payload := b.TempDir()
	var files []string
	for _, f := range p.Files {
		if f.Dst == LoaderName {
			continue
		}
		var r io.Reader = strings.NewReader(p.Config)
		if f.Src != "" {
			sec, err := in.ISO.Section(f.Src)
			if err != nil {
				b.Fatal(err)
			}
			r = sec
		}
		path := filepath.Join(payload, f.Dst)
		if err := writeReader(path, r); err != nil {
			b.Fatal(err)
		}
		files = append(files, path)
	}
	return p, files, payload
}

// gunzip runs gzip -dc path > /dev/null.
func gunzip(gz, path string) error {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	var stderr strings.Builder
	cmd := exec.Command(gz, "-dc", path)
	cmd.Stdout, cmd.Stderr = null, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("gzip -dc %s: %v\n%s", path, err, stderr.String())
	}
	return nil
}
