package batch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esxi-autopart/esxi-autopart/builder"
	"github.com/esxi-autopart/esxi-autopart/builder/fileio"
	"github.com/esxi-autopart/esxi-autopart/fixtures/isogen"
	"github.com/esxi-autopart/esxi-autopart/fixtures/tarball"
)

func inputs(t testing.TB, is isogen.Spec) *builder.Inputs {
	t.Helper()
	dir := t.TempDir()
	iso, tar := filepath.Join(dir, "esxi.iso"), filepath.Join(dir, "syslinux.tar.gz")
	if err := isogen.Write(iso, is); err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteFile(tar, tarball.Spec{}); err != nil {
		t.Fatal(err)
	}
	in, err := builder.Open(iso, tar)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

func jobs(n int, ks string) []Job {
	var js []Job
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("esx%02d", i)
		js = append(js, Job{ID: id, Kickstart: []byte("network --hostname=" + id + "\n"), Options: builder.Options{
			Host: id, KS: ks, Vars: map[string]string{"id": id},
			Epoch: time.Date(2020, 1, 2, 3, 4, 6, 0, time.UTC)}})
	}
	return js
}

func TestRun(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	dir := t.TempDir()
	var events []Event
	res, err := Run(context.Background(), in, jobs(4, "http://deploy/ks/{{.id}}.cfg"), Config{OutDir: dir, Jobs: 2,
		Progress: func(e Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	for _, r := range res {
		img, err := os.ReadFile(r.Image.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(img)
		if !bytes.Contains(sums, []byte(hex.EncodeToString(sum[:])+"  "+r.Job.ID+".img\n")) {
			t.Errorf("SHA256SUMS lacks %s's image hash:\n%s", r.Job.ID, sums)
		}
		if want := "ks=http://deploy/ks/" + r.Job.ID + ".cfg "; !strings.Contains(r.Plan.Config, want) {
			t.Errorf("%s: syslinux.cfg lacks %q", r.Job.ID, want)
		}
		ks, _ := os.ReadFile(filepath.Join(dir, r.Job.ID+".cfg"))
		if string(ks) != "network --hostname="+r.Job.ID+"\n" {
			t.Errorf("%s.cfg = %q", r.Job.ID, ks)
		}
	}
	phases := map[Phase]int{}
	last := map[string]int64{} // a host's last Working report
	for _, e := range events {
		phases[e.Phase]++
		if e.Phase == Working {
			if e.Step != Verifying || e.Done < last[e.Host] || e.Done > e.Bytes {
				t.Errorf("%s: working %s %d of %d after %d", e.Host, e.Step, e.Done, e.Bytes, last[e.Host])
			}
			last[e.Host] = e.Done
		}
	}
	if phases[Planned] != 4 || phases[Written] != 4 || len(last) != 4 {
		t.Errorf("events %v, want 4 planned, 4 written, and working reports of 4 hosts", phases)
	}
	for h, n := range last {
		if n != res[0].Plan.ImageBytes {
			t.Errorf("%s: last working report %d, want the image's %d bytes", h, n, res[0].Plan.ImageBytes)
		}
	}
	m := NewManifest("test", in, nil, "SOURCE_DATE_EPOCH", res)
	if err := m.Write(dir); err != nil {
		t.Fatal(err)
	}
	var back Manifest
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Hosts) != 4 || back.Hosts[2].ID != "esx03" || back.Hosts[2].SHA256 != res[2].Image.SHA256 ||
		len(back.Hosts[2].LdlinuxSectors) == 0 || back.Epoch != "2020-01-02T03:04:06Z" || back.Layout != "esxi-4.1" {
		t.Errorf("manifest = %s", b)
	}

	// Reproducible: a second run into another folder gives the same bytes.
	dir2 := t.TempDir()
	if _, err := Run(context.Background(), in, jobs(4, "http://deploy/ks/{{.id}}.cfg"), Config{OutDir: dir2}); err != nil {
		t.Fatal(err)
	}
	sums2, _ := os.ReadFile(filepath.Join(dir2, "SHA256SUMS"))
	if !bytes.Equal(sums, sums2) {
		t.Errorf("second run differs:\n%s\n%s", sums, sums2)
	}
	// Existing outputs are refused up front without Force.
	if _, err := Run(context.Background(), in, jobs(1, "usb"), Config{OutDir: dir}); err == nil || !strings.Contains(err.Error(), "esx01.img exists") {
		t.Errorf("rerun without force: %v", err)
	}
}

func TestRunFailures(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	bad := jobs(5, "http://deploy/ks/{{.id}}.cfg")
	bad[2].Options.KS = "http://deploy/{{.nokey}}"
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprint("keep-going=", keep), func(t *testing.T) {
			dir := t.TempDir()
			res, err := Run(context.Background(), in, bad, Config{OutDir: dir, Jobs: 1, KeepGoing: keep})
			if !errors.Is(err, ErrFailed) || !strings.Contains(res[2].Err.Error(), `host esx03:`) ||
				!strings.Contains(res[2].Err.Error(), `{{.nokey}}: no variable nokey`) {
				t.Fatalf("err = %v; esx03: %v", err, res[2].Err)
			}
			built := 0
			for _, r := range res {
				if r.Image != nil {
					built++
					if _, err := os.Stat(r.Image.Path); err != nil {
						t.Error(err)
					}
				}
			}
			// Without --keep-going esx01 and esx02 were built and verified,
			// but a failed run puts nothing in place.
			if want := map[bool]int{true: 4, false: 0}[keep]; built != want {
				t.Errorf("built %d, want %d", built, want)
			}
			if !keep && (res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "host esx01: built and verified, but not put in place: host esx03 failed")) {
				t.Errorf("esx01: %v", res[0].Err)
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".*"))
			if len(left) > 0 {
				t.Errorf("partial files or stages left: %v", left)
			}
			if _, err := os.Stat(filepath.Join(dir, "esx03.img")); err == nil {
				t.Error("the failed host has an image")
			}
		})
	}
}

// TestRunReplacesAllOrNothing: with Force over an earlier run's outputs, a
// run that fails late (the last host) leaves every old output as it was;
// with KeepGoing the hosts built replace theirs and the failed one's stays.
func TestRunReplacesAllOrNothing(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	js := jobs(3, "http://deploy/ks/{{.id}}.cfg")
	for i := range js {
		js[i].Kickstart = []byte("# kickstart of " + js[i].ID + "\n")
	}
	js[2].Options.Size = 1 << 20 // fails when planned, after esx01 and esx02 are written
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprint("keep-going=", keep), func(t *testing.T) {
			dir := t.TempDir()
			old := map[string]string{}
			for _, j := range js {
				for _, name := range []string{j.ID + ".img", j.ID + ".cfg"} {
					old[name] = "old " + name
					writeFile(t, filepath.Join(dir, name), old[name])
				}
			}
			res, err := Run(context.Background(), in, js, Config{OutDir: dir, Jobs: 1, Force: true, KeepGoing: keep})
			if !errors.Is(err, ErrFailed) || res[2].Err == nil || !strings.Contains(res[2].Err.Error(), "host esx03: partition size 1048576 bytes") {
				t.Fatalf("err = %v; esx03: %v", err, res[2].Err)
			}
			for name, was := range old {
				b, _ := os.ReadFile(filepath.Join(dir, name))
				replaced := keep && !strings.HasPrefix(name, "esx03")
				if got := string(b) != was; got != replaced {
					t.Errorf("%s replaced = %v, want %v", name, got, replaced)
				}
			}
			if keep {
				if b, _ := os.ReadFile(filepath.Join(dir, "esx02.cfg")); string(b) != "# kickstart of esx02\n" {
					t.Errorf("esx02.cfg = %q", b)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// TestStaleStageRemoved: a stage a killed run left (not locked) is removed
// by the next run; nothing else in the folder is touched.
func TestStaleStageRemoved(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	dir := t.TempDir()
	dead := filepath.Join(dir, ".esxi-autopart.stage-123")
	writeFile(t, filepath.Join(dead, "esx01.img"), "half")
	writeFile(t, filepath.Join(dir, "notes.txt"), "mine")
	if _, err := Run(context.Background(), in, jobs(1, "usb"), Config{OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("the dead run's stage is still there")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Errorf("notes.txt = %q", b)
	}
}

// writeFile writes s to path, making its folder.
func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkHosts compares 20 hosts with 1 on real ESXi 4.1 file sizes
// (scripts/bench.sh prints the ratio), in the temporary folder's
// filesystem or in ESXI_AUTOPART_BENCH_OUT when set (e.g. on XFS, where
// hosts clone with FICLONE; elsewhere they are written in full);
// "20/copy-clones" clones with copy_file_range where there are no
// reflinks, for comparison. cpu-ms/op is the process's CPU time.
func BenchmarkHosts(b *testing.B) {
	in := inputs(b, isogen.Spec{RockRidge: true, RealSizes: true})
	for _, bc := range []struct {
		name string
		n    int
		mode CloneMode
	}{{"hosts=1", 1, CloneAuto}, {"hosts=20", 20, CloneAuto}, {"hosts=20/copy-clones", 20, CloneAlways}} {
		b.Run(bc.name, func(b *testing.B) {
			js := jobs(bc.n, "http://deploy/ks/{{.id}}.cfg")
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				if d := os.Getenv("ESXI_AUTOPART_BENCH_OUT"); d != "" {
					var err error
					if dir, err = os.MkdirTemp(d, "hosts-"); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := Run(context.Background(), in, js, Config{OutDir: dir, Clone: bc.mode}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				used := cpuTime() - start
				os.RemoveAll(dir)
				start = cpuTime() - used
				b.StartTimer()
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestRunClones: later hosts clone the first image when their layout
// allows, and the images are the ones full writes give. Set
// ESXI_AUTOPART_REFLINK_DIR to a folder on Btrfs or XFS (reflink=1) to
// clone with FICLONE; elsewhere clones are copy_file_range copies.
func TestRunClones(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	js := jobs(6, "http://deploy/ks/{{.id}}.cfg")
	js[0].Options.KS = "http://deploy/{{.nokey}}" // fails: the next host writes the first image
	js[3].Options.FATType = 32                    // another layout: written in full
	for i := range js {
		js[i].Options.Kickstart = js[i].Kickstart // KS.CFG differs per host
	}
	var sums [2][]byte
	for k, noClone := range []bool{false, true} {
		dir := t.TempDir()
		mode := map[bool]CloneMode{false: CloneAlways, true: CloneNever}[noClone]
		if d := os.Getenv("ESXI_AUTOPART_REFLINK_DIR"); d != "" && !noClone {
			dir = mustTempDir(t, d) // a filesystem with reflinks: FICLONE clones
			mode = CloneAuto
		}
		res, err := Run(context.Background(), in, js, Config{OutDir: dir, Jobs: 2, KeepGoing: true, Clone: mode})
		if !errors.Is(err, ErrFailed) || res[0].Err == nil {
			t.Fatalf("NoClone=%v: err = %v, want esx01 failed", noClone, err)
		}
		var cloned []string
		for _, r := range res {
			if r.Cloned {
				cloned = append(cloned, r.Job.ID)
				if want := mode == CloneAuto; r.Image.Reflink != want {
					t.Errorf("%s: reflink %v, want %v", r.Job.ID, r.Image.Reflink, want)
				}
			}
		}
		want := "[esx03 esx05 esx06]" // esx02 or esx03 wrote the first image
		if fmt.Sprint(cloned) == "[esx02 esx05 esx06]" {
			want = fmt.Sprint(cloned)
		}
		if noClone {
			want = "[]"
		}
		if fmt.Sprint(cloned) != want {
			t.Errorf("NoClone=%v: cloned %v, want %s", noClone, cloned, want)
		}
		sums[k], _ = os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
		for _, r := range res[1:] {
			img, _ := os.ReadFile(r.Image.Path)
			if sum := sha256.Sum256(img); hex.EncodeToString(sum[:]) != r.Image.SHA256 {
				t.Errorf("%s: the file's SHA-256 is not the verified one", r.Job.ID)
			}
		}
	}
	if !bytes.Equal(sums[0], sums[1]) || bytes.Count(sums[0], []byte(".img\n")) != 5 {
		t.Errorf("cloned and full writes differ:\n%s\n%s", sums[0], sums[1])
	}
}

func mustTempDir(t *testing.T, parent string) string {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "batch-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestStartHashing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("abc"), 0o644)
	os.WriteFile(b, bytes.Repeat([]byte{7}, 3<<20), 0o644)
	got, err := StartHashing(context.Background(), []InputFile{{Role: "iso", Path: a}, {Role: "syslinux", Path: b}}).Wait()
	want := sha256.Sum256(bytes.Repeat([]byte{7}, 3<<20))
	if err != nil || len(got) != 2 || got[0].SHA256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" ||
		got[1].Role != "syslinux" || got[1].Bytes != 3<<20 || got[1].SHA256 != hex.EncodeToString(want[:]) {
		t.Errorf("StartHashing = %+v, %v", got, err)
	}
	if _, err := StartHashing(context.Background(), []InputFile{{Role: "iso", Path: filepath.Join(dir, "missing")}}).Wait(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestCloneAuto: by default hosts clone where the filesystem has reflinks,
// and are written in full otherwise.
func TestCloneAuto(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	for _, workers := range []int{1, runtime.NumCPU()} {
		dir := t.TempDir()
		res, err := Run(context.Background(), in, jobs(4, "http://deploy/ks/{{.id}}.cfg"), Config{OutDir: dir, Jobs: workers})
		if err != nil {
			t.Fatal(err)
		}
		cloned := 0
		for _, r := range res {
			if r.Cloned {
				cloned++
			}
		}
		want := 0
		if fileio.ReflinkSupported(dir) {
			want = 3
		}
		if cloned != want {
			t.Errorf("%d workers on %d CPUs: %d hosts cloned, want %d", workers, runtime.NumCPU(), cloned, want)
		}
	}
}

// TestRunStoppedOrEmpty: a run that is stopped, or that builds nothing,
// writes no SHA256SUMS (a checksum file listing nothing, or part of a run,
// would pass for a complete one).
func TestRunStoppedOrEmpty(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Run(ctx, in, jobs(3, "http://deploy/ks/{{.id}}.cfg"), Config{OutDir: dir, Jobs: 1})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "0 of 3 hosts built and verified before the run was stopped") {
		t.Errorf("stopped run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "SHA256SUMS")); err == nil {
		t.Error("a stopped run wrote SHA256SUMS")
	}
	bad := jobs(2, "http://deploy/{{.nokey}}")
	dir = t.TempDir()
	if _, err := Run(context.Background(), in, bad, Config{OutDir: dir, Jobs: 1, KeepGoing: true}); !errors.Is(err, ErrFailed) {
		t.Errorf("all hosts failing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "SHA256SUMS")); err == nil {
		t.Error("a run that built nothing wrote SHA256SUMS")
	}
}

// TestRunInterruptedSays: a run stopped after two of four hosts were
// verified says so (2 of 4, none put in place), as do its hosts, without
// Go's "context canceled"; the error still is context.Canceled.
func TestRunInterruptedSays(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	written := 0
	res, err := Run(ctx, in, jobs(4, "http://deploy/ks/{{.id}}.cfg"), Config{OutDir: t.TempDir(), Jobs: 1, Clone: CloneNever,
		Progress: func(e Event) {
			if e.Phase == Written {
				if written++; written == 2 {
					cancel()
				}
			}
		}})
	if !errors.Is(err, context.Canceled) || err.Error() != "2 of 4 hosts built and verified before the run was stopped, none put in place; no SHA256SUMS written" {
		t.Errorf("err = %v", err)
	}
	var says []string
	for _, r := range res {
		says = append(says, r.Err.Error())
	}
	want := []string{"host esx01: built and verified, but not put in place: the run was stopped",
		"host esx02: built and verified, but not put in place: the run was stopped",
		"host esx03: not built: the run was stopped", "host esx04: not built: the run was stopped"}
	if strings.Join(says, "\n") != strings.Join(want, "\n") {
		t.Errorf("hosts say:\n%s\nwant:\n%s", strings.Join(says, "\n"), strings.Join(want, "\n"))
	}
}

// TestManifestPartitionOnly: a partition-only host is flagged as such and
// has no disk signature in the manifest.
func TestManifestPartitionOnly(t *testing.T) {
	in := inputs(t, isogen.Spec{RockRidge: true})
	js := jobs(1, "http://deploy/ks/x.cfg")
	js[0].Options.PartitionOnly = true
	res, err := Run(context.Background(), in, js, Config{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m := NewManifest("test", in, nil, "", res)
	if h := m.Hosts[0]; !h.PartitionOnly || h.DiskSignature != 0 {
		t.Errorf("manifest host = %+v; want partition_only and no disk_signature", h)
	}
}
