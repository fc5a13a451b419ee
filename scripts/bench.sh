#!/usr/bin/env bash
# bench.sh: the speed and memory targets, measured on this machine.
#
#   scripts/bench.sh [ROUNDS]      (default 5; 3 at least for a median)
#
# Each round runs, back to back in one process, a single build on a
# synthetic ESXi 4.1 ISO with the real file sizes (~333 MB, ~98 MB copied),
# `cp` of that ISO and the mtools pipeline on the same payload
# (builder/bench_test.go), then batch builds of 1 and 20 hosts
# (builder/batch BenchmarkHosts), then measures the peak RSS of the built
# binary with /usr/bin/time -f %M. Ratios are taken within each round (the
# machine's load changes between rounds) and the script prints their
# median, min and max. Targets: build/cp <= 1.25, mtools/build >= 3,
# peak RSS < 64 MiB. cpu-ms are the user+system CPU time per op, which
# says more than wall time when other work shares the machine.
#
# The batch benchmark writes into a temporary folder; set
# ESXI_AUTOPART_BENCH_OUT to a folder on Btrfs or XFS (reflink=1) to see
# hosts cloned with FICLONE (elsewhere they are written in full);
# "hosts=20/copy-clones" clones with copy_file_range, for comparison.
#
# The mtools pipeline uses Debian's syslinux 6.04 `syslinux --install
# --offset` as the stand-in for 3.70's installer step. Needs go, cp,
# mkfs.fat, mcopy, syslinux, dd and /usr/bin/time (a missing tool skips
# its benchmark).
#
# BENCH_RT=1 runs the single-build benchmarks under `chrt -f 10` (needs
# root): real-time priority, as on a machine with no other work. Without
# it, other processes on the machine share the CPUs and the wall-time
# ratios follow the CPU-time ratios. It starves other processes for the
# few seconds each round runs: do not use it on a shared machine lightly.
set -euo pipefail

rounds=${1:-5}
rt=()
if [ "${BENCH_RT:-}" = 1 ]; then
	rt=(chrt -f 10)
fi
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/esxi-autopart-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ESXI_AUTOPART_BENCH_DIR=$work/inputs # the ISO is generated once

echo "building test binaries and esxi-autopart ..." >&2
go test -c -o "$work/builder.test" ./builder
go test -c -o "$work/batch.test" ./builder/batch
go build -o "$work/esxi-autopart" .
iso=$work/inputs/esxi-4.1-real-sizes.iso
tarball=$work/inputs/syslinux-3.70.tar.gz
printf 'id\n' >"$work/hosts.csv"
for i in $(seq -w 1 20); do printf 'esx%s\n' "$i" >>"$work/hosts.csv"; done

# bench FILE NAME FIELD: FIELD ("ns/op", "cpu-ms/op", ...) of benchmark NAME
# in the go test output FILE.
bench() {
	awk -v name="$2" -v field="$3" '
		$1 ~ "^" name "(-[0-9]+)?$" { for (i = 3; i < NF; i++) if ($(i+1) == field) { print $i; exit } }' "$1"
}

rss() { # rss ARGS...: peak RSS in KiB of one esxi-autopart run
	/usr/bin/time -f %M -o "$work/rss" "$work/esxi-autopart" "$@" >/dev/null
	cat "$work/rss"
}

: >"$work/ratios"
for r in $(seq 1 "$rounds"); do
	echo "round $r/$rounds ..." >&2
	(cd builder && ${rt[@]+"${rt[@]}"} "$work/builder.test" -test.run '^$' -test.benchmem -test.benchtime 5x \
		-test.bench '^(BenchmarkBuildRealSizes|BenchmarkCopyISO|BenchmarkMtoolsPipeline)$') >"$work/single.$r"
	(cd builder/batch && "$work/batch.test" -test.run '^$' -test.benchmem -test.benchtime 1x \
		-test.bench '^BenchmarkHosts$') >"$work/hosts.$r"
	cat "$work/single.$r" "$work/hosts.$r" >>"$work/all.txt"
	build=$(bench "$work/single.$r" BenchmarkBuildRealSizes ns/op)
	cp=$(bench "$work/single.$r" BenchmarkCopyISO ns/op)
	mt=$(bench "$work/single.$r" BenchmarkMtoolsPipeline ns/op)
	buildc=$(bench "$work/single.$r" BenchmarkBuildRealSizes cpu-ms/op)
	cpc=$(bench "$work/single.$r" BenchmarkCopyISO cpu-ms/op)
	mtc=$(bench "$work/single.$r" BenchmarkMtoolsPipeline cpu-ms/op)
	h1=$(bench "$work/hosts.$r" BenchmarkHosts/hosts=1 ns/op)
	h20=$(bench "$work/hosts.$r" BenchmarkHosts/hosts=20 ns/op)
	h20c=$(bench "$work/hosts.$r" BenchmarkHosts/hosts=20/copy-clones ns/op)
	rm -rf "$work/out"
	mkdir -p "$work/out"
	rss1=$(rss build --iso "$iso" --syslinux "$tarball" --host esx01 --ks http://deploy/ks/esx01.cfg -o "$work/out/one.img" --quiet)
	rss4g=$(rss build --iso "$iso" --syslinux "$tarball" --host esx01 --ks http://deploy/ks/esx01.cfg --fat 32 --size 4G -o "$work/out/big.img" --quiet)
	rss20=$(rss build --iso "$iso" --syslinux "$tarball" --hosts "$work/hosts.csv" --ks 'http://deploy/ks/{{.id}}.cfg' --out-dir "$work/out/hosts" --quiet)
	rm -rf "$work/out"
	awk -v b="$build" -v c="$cp" -v m="$mt" -v bc="$buildc" -v cc="$cpc" -v mc="$mtc" \
		-v h1="$h1" -v h20="$h20" -v h20c="$h20c" -v r1="$rss1" -v r4="$rss4g" -v r20="$rss20" 'BEGIN {
		printf "build/cp %.3f\nmtools/build %.3f\nhosts20/hosts1 %.2f\nhosts20 copy-clones/default %.2f\n", b/c, (b ? m/b : 0), (h1 ? h20/h1 : 0), (h20 ? h20c/h20 : 0)
		printf "cpu build/cp %.3f\ncpu mtools/build %.3f\n", bc/cc, (bc ? mc/bc : 0)
		printf "build ms %.1f\ncp ms %.1f\nmtools ms %.1f\nhosts1 ms %.1f\nhosts20 ms %.1f\nhosts20 copy-clones ms %.1f\n", b/1e6, c/1e6, m/1e6, h1/1e6, h20/1e6, h20c/1e6
		printf "rss build MiB %.1f\nrss build-4G-fat32 MiB %.1f\nrss 20-hosts MiB %.1f\n", r1/1024, r4/1024, r20/1024
	}' | sed "s/^/$r /" >>"$work/ratios"
done

echo
echo "== go test output (all rounds)"
grep -E '^(Benchmark|cpu:)' "$work/all.txt" | sort -s -k1,1
echo
echo "== per-round figures: median [min .. max] over $rounds rounds (ratios taken within a round)"
awk '{ key = $2; for (i = 3; i < NF; i++) key = key " " $i; v[key] = v[key] " " $NF; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
	END { for (k = 1; k <= n; k++) print order[k] "|" v[order[k]] }' "$work/ratios" |
	while IFS='|' read -r key vals; do
		sorted=$(tr ' ' '\n' <<<"$vals" | grep -v '^$' | sort -g)
		count=$(wc -l <<<"$sorted")
		med=$(sed -n "$(((count + 1) / 2))p" <<<"$sorted")
		printf '%-24s %10s   [%s .. %s]\n' "$key" "$med" "$(head -1 <<<"$sorted")" "$(tail -1 <<<"$sorted")"
	done
echo
echo "targets: build/cp <= 1.25; mtools/build >= 3; rss < 64 MiB"
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
