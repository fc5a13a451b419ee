#!/usr/bin/env bash
# bench.sh: what a user compares, measured on this machine in one run.
#
#   scripts/bench.sh [--busy] [ROUNDS]     (ROUNDS default 5, at least 3)
#
# Inputs (scripts/benchinputs): a synthetic ESXi 4.1 ISO with the real file
# sizes (333 MB, 98 MB of boot payload), a synthetic syslinux 3.70 tarball
# in the release's shape (1,724 members, 15.9 MB inflated) and the payload
# extracted from them, as a user doing it by hand would have it. Each round
# runs every case once, back to back, each from the same kernel state: no
# dirty pages (sync; as root also drop_caches) and the inputs it reads in
# the page cache. Without that, 2 GB of dirty pages left by one batch
# throttle the next case's writes, and batch/cp ratios swing 0.4 .. 3.6.
# Ratios are taken within a round and the script prints their median
# [min .. max] over the rounds.
#
#   build        esxi-autopart build, default size (read-back, SHA-256, inspect),
#                the tarball cache warm (as on every build after the first)
#   build-cold   the same with ESXI_AUTOPART_CACHE=off: the tarball inflated
#   floor        cp -r of the payload files + gzip -dc of the tarball
#   mtools       truncate + mkfs.fat + mcopy + the syslinux installer + dd of mbr.bin
#   classic      mtools + sha256sum of the image + mtype of every file, cmp'd with the payload
#   build-4G-first, build-32G-first   build --fat 32 --size 4G / 32G, the
#                zero-run memo empty: every zero of the image hashed
#   build-4G, build-32G   the same image rebuilt: the memo restores the hash
#                over the zero runs (as for an unchanged host rebuilt)
#   batch20      build --hosts (20 hosts) --out-dir; cp20: 20 x cp --reflink=never of one image
#   cd           build -o host.iso from a 600 MB bootable 7.0-shaped ISO (copy, read-back of the
#                sectors written, SHA-256) on the work folder's file system (ext4 here: copy_file_range);
#                cp-iso: cp --reflink=never of that ISO; cp-iso-sum: the same + sha256sum of the copy
#   batch20, cp20 on XFS (reflink=1) and Btrfs loop mounts made here (root, mkfs.xfs/mkfs.btrfs)
#   cd20         build --hosts (20 hosts) --format iso --out-dir on each of those mounts, the ISO
#                copied onto the mount first (a reflink needs one file system): SHA256SUMS and
#                manifest.json (which hashes the ISO too); cp-iso20: 20 x cp --reflink=never of it there
#   dd70         dd bs=4M oflag=direct conv=fsync of a 7.0-sized image (397 MB) onto
#                a loop device over a file of 0xA5 bytes (a used disk; root)
#   write70      esxi-autopart write --whole-disk --wipe of the same image onto the
#                same device: write70-write is its write and fsync (free clusters
#                skipped), write70-readback its read-back from the device (O_DIRECT,
#                SHA-256 of every range), both from its --json; write70 is the whole
#                command (with inspect of the device)
#
# BENCH_ONLY=write runs only dd70 and write70; BENCH_ONLY=cd only cd, cp-iso, cp-iso-sum,
# cd20 and cp-iso20.
#
# Peak RSS (/usr/bin/time %M) is taken of every esxi-autopart run.
# --busy keeps one core busy (a shell loop) for the whole run, as on a
# machine doing other work.
#
# The installer: SYSLINUX_INSTALLER=PATH names syslinux 3.70's mtools
# installer (mtools/syslinux, built from the release; `-o OFFSET`);
# otherwise Debian's syslinux 6.04 stands in (`--install --offset`).
set -euo pipefail

busy=
if [ "${1:-}" = --busy ]; then
	busy=1
	shift
fi
rounds=${1:-5}
cd "$(dirname "$0")/.."
work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/esxi-autopart-bench.XXXXXX")
mounts=()
hog=
loopdev=
cleanup() {
	[ -z "$hog" ] || kill "$hog" 2>/dev/null || true
	[ -z "$loopdev" ] || losetup -d "$loopdev" 2>/dev/null || true
	for m in ${mounts[@]+"${mounts[@]}"}; do umount "$m" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { echo "bench.sh: needs $1" >&2; exit 1; }; }
for t in go python3 cp gzip truncate mkfs.fat mcopy mtype dd sha256sum cmp /usr/bin/time; do need "$t"; done

echo "building esxi-autopart and the inputs ..." >&2
go build -o "$work/esxi-autopart" .
ea=$work/esxi-autopart
in=${BENCH_INPUTS:-${TMPDIR:-/var/tmp}/esxi-autopart-bench-inputs}
go run ./scripts/benchinputs "$in"
# shellcheck disable=SC1091
. "$in/plan.env"
iso=$in/esxi-4.1-real-sizes.iso
cdiso=$in/esxi-7.0-cd-600m.iso
tarball=$in/syslinux-3.70.tar.gz
offset=$((START_LBA * 512))
export ESXI_AUTOPART_CACHE=$work/cache XDG_STATE_HOME=$work/state # the caches and their key
printf 'id\n' >"$work/hosts.csv"
for i in $(seq -w 1 20); do printf 'esx%s\n' "$i" >>"$work/hosts.csv"; done

installer=${SYSLINUX_INSTALLER:-$(command -v syslinux || true)}
mbrbin=${SYSLINUX_MBR:-/usr/lib/syslinux/mbr/mbr.bin}
[ -n "$installer" ] || { echo "bench.sh: needs syslinux (Debian's package) or SYSLINUX_INSTALLER" >&2; exit 1; }
if "$installer" --help 2>&1 | grep -q -- --install; then
	install=("$installer" --install --offset "$offset")
else
	install=("$installer" -o "$offset")
fi

# run NAME CMD...: wall seconds (EPOCHREALTIME) of CMD into $work/r.$round
# as "NAME seconds rss-KiB"; the peak RSS of esxi-autopart runs, 0 for the
# others (shell functions run in this shell).
run() {
	local name=$1
	shift
	settle
	local t0=$EPOCHREALTIME rss=0
	if [ "$1" = "$ea" ]; then
		/usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null
		rss=$(tail -1 "$work/rss")
	else
		"$@" >/dev/null
	fi
	local t1=$EPOCHREALTIME
	echo "$name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $rss" >>"$work/r.$round"
}

# settle: write back every dirty page, drop the clean ones (root only) and
# read back what the cases read, so that each starts warm and clean.
settle() {
	sync
	if [ -w /proc/sys/vm/drop_caches ]; then
		echo 3 >/proc/sys/vm/drop_caches
	fi
	cat "$iso" "$cdiso" "$tarball" "$in"/payload/* "$ea" >/dev/null
	find "$work/cache" -type f -exec cat {} + >/dev/null 2>&1 || true
	[ ! -f "$work/one.img" ] || cat "$work/one.img" >/dev/null
	[ ! -f "$work/esx70.img" ] || cat "$work/esx70.img" >/dev/null
	for f in ${fsisos[@]+"${fsisos[@]}"}; do cat "$f" >/dev/null; done
}

mtools_image() { # mtools_image IMG: the classic procedure
	truncate -s "$IMAGE_BYTES" "$1"
	mkfs.fat -F "$FAT" -n ESXI -h "$START_LBA" --offset "$START_LBA" "$1" $((FAT_SECTORS / 2)) >/dev/null
	# shellcheck disable=SC2086
	(cd "$in/payload" && mcopy -i "$1@@$offset" $FILES ::)
	"${install[@]}" "$1"
	dd if="$mbrbin" of="$1" bs=440 count=1 conv=notrunc status=none
}
classic() { # classic IMG: the procedure plus the checks build does
	mtools_image "$1"
	sha256sum "$1" >/dev/null
	for f in $FILES; do mtype -i "$1@@$offset" "::$f" | cmp -s - "$in/payload/$f"; done
}
floor() { # floor DIR: copy the payload, inflate the tarball
	cp -r "$in/payload" "$1"
	gzip -dc "$tarball" >/dev/null
}
cp20() { # cp20 IMG DIR [EXT]: 20 plain copies of one image
	mkdir -p "$2"
	for i in $(seq -w 1 20); do cp --reflink=never "$1" "$2/esx$i.${3:-img}"; done
}
build=("$ea" build --iso "$iso" --syslinux "$tarball" --quiet --force)

# File systems with reflinks, loop-mounted here (root only). 16 GB each
# for cp-iso20's 12 GB of copies; discard gives a deleted copy's blocks
# back to the work folder's file system.
fsdirs=("ext4-or-this:$work")
fsisos=()
if [ "$(id -u)" = 0 ] && [ "${BENCH_ONLY:-}" != write ]; then
	for fs in xfs btrfs; do
		command -v "mkfs.$fs" >/dev/null || continue
		truncate -s 16G "$work/$fs.fs"
		case $fs in
		xfs) mkfs.xfs -q -m reflink=1 "$work/$fs.fs" ;;
		btrfs) mkfs.btrfs -q "$work/$fs.fs" >/dev/null ;;
		esac
		mkdir -p "$work/$fs"
		if mount -o loop,discard "$work/$fs.fs" "$work/$fs" 2>/dev/null; then
			mounts+=("$work/$fs")
			fsdirs+=("$fs:$work/$fs")
		fi
	done
fi
fsdirs[0]="$(findmnt -n -o FSTYPE -T "$work" 2>/dev/null || stat -f -c %T "$work"):$work"
for fd in "${fsdirs[@]:1}"; do # the CD batches' ISO, on the mount it is cloned on
	cp "$cdiso" "${fd#*:}/cd.iso"
	fsisos+=("${fd#*:}/cd.iso")
done

# write: a 7.0-sized image and a loop device over a used disk (root only).
only=${BENCH_ONLY:-}
if [ "$(id -u)" = 0 ] && [ "$only" != cd ] && command -v losetup >/dev/null; then
	"$ea" build --iso "$in/esxi-7.0-real-sizes-2.iso" --syslinux "$in/syslinux-3.86.tar.gz" --host esx01 \
		--ks http://deploy/ks/esx01.cfg --quiet --force -o "$work/esx70.img"
	head -c "$(($(stat -c %s "$work/esx70.img") + 1048576))" /dev/zero | tr '\000' '\245' >"$work/disk70"
	loopdev=$(losetup -f --show "$work/disk70")
fi
cp_sum() { cp --reflink=never "$1" "$2" && sha256sum "$2"; } # a copy with the hash SHA256SUMS wants
dd70() { dd if="$work/esx70.img" of="$loopdev" bs=4M oflag=direct conv=fsync status=none; }
write70() { "$ea" write "$work/esx70.img" "$loopdev" --whole-disk --wipe --yes --json >"$work/write.json"; }

if [ -n "$busy" ]; then
	sh -c 'while :; do :; done' &
	hog=$!
fi
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), work on ${fsdirs[0]%%:*}" >&2
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)${busy:+ (plus one core kept busy by --busy)}" >&2

[ -n "$only" ] || "${build[@]}" --host esx01 --ks http://deploy/ks/esx01.cfg -o "$work/one.img" # primes the cache
for round in $(seq 1 "$rounds"); do
	echo "round $round/$rounds ..." >&2
	: >"$work/r.$round"
	if [ -n "$loopdev" ]; then
		run dd70 dd70
		run write70 write70
		python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["result"]; print("write70-write %.4f 0\nwrite70-readback %.4f 0" % (r["write_seconds"], r["verify_seconds"]))' \
			"$work/write.json" >>"$work/r.$round"
	fi
	[ "$only" != write ] || continue
	rm -f "$work/host.iso" "$work/copy.iso"
	run cd "$ea" build --iso "$cdiso" --host esx01 --ks http://deploy/ks/esx01.cfg -o "$work/host.iso"
	rm -f "$work/host.iso"
	run cp-iso cp --reflink=never "$cdiso" "$work/copy.iso"
	rm -f "$work/copy.iso"
	run cp-iso-sum cp_sum "$cdiso" "$work/copy.iso"
	rm -f "$work/copy.iso"
	for fd in "${fsdirs[@]:1}"; do
		fs=${fd%%:*} dir=${fd#*:}
		rm -rf "$dir/cds" "$dir/isocopies"
		run "cd20@$fs" "$ea" build --iso "$dir/cd.iso" --hosts "$work/hosts.csv" --ks 'http://deploy/ks/{{.id}}.cfg' --format iso --out-dir "$dir/cds" --quiet
		rm -rf "$dir/cds"
		run "cp-iso20@$fs" cp20 "$dir/cd.iso" "$dir/isocopies" iso
		rm -rf "$dir/isocopies"
	done
	[ "$only" != cd ] || continue
	# Every case starts from a folder without its outputs: removing an old
	# 100 MB file is not part of anybody's work.
	rm -f "$work/one.img"
	run build "${build[@]}" --host esx01 --ks http://deploy/ks/esx01.cfg -o "$work/one.img"
	rm -f "$work/cold.img"
	ESXI_AUTOPART_CACHE=off run build-cold "${build[@]}" --host esx01 --ks http://deploy/ks/esx01.cfg -o "$work/cold.img"
	rm -rf "$work/floor" "$work/cold.img"
	run floor floor "$work/floor"
	rm -f "$work/mtools.img"
	run mtools mtools_image "$work/mtools.img"
	rm -f "$work/mtools.img"
	run classic classic "$work/mtools.img"
	rm -rf "$work/floor" "$work/mtools.img"
	for size in 4G 32G; do
		rm -rf "$work/cache/zeros"
		run "build-$size-first" "${build[@]}" --host esx01 --ks http://deploy/ks/esx01.cfg --fat 32 --size "$size" -o "$work/big.img"
		rm -f "$work/big.img"
		run "build-$size" "${build[@]}" --host esx01 --ks http://deploy/ks/esx01.cfg --fat 32 --size "$size" -o "$work/big.img"
		rm -f "$work/big.img"
	done
	for fd in "${fsdirs[@]}"; do
		fs=${fd%%:*} dir=${fd#*:}
		rm -rf "$dir/hosts" "$dir/copies"
		run "batch20@$fs" "${build[@]}" --hosts "$work/hosts.csv" --ks 'http://deploy/ks/{{.id}}.cfg' --out-dir "$dir/hosts"
		rm -rf "$dir/hosts"
		run "cp20@$fs" cp20 "$work/one.img" "$dir/copies"
		rm -rf "$dir/hosts" "$dir/copies"
	done
done

echo
echo "== per-case figures: median [min .. max] of $rounds rounds; ratios within a round"
python3 - "$work" "$rounds" <<'EOF'
import glob, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
runs = []
for f in sorted(glob.glob(work + "/r.*")):
    d = {}
    for line in open(f):
        name, sec, rss = line.split()
        d[name] = (float(sec), int(rss))
    runs.append(d)
def med(xs):
    xs = sorted(xs)
    return "%8.3f   [%.3f .. %.3f]" % (statistics.median(xs), xs[0], xs[-1])
names = list(runs[0])
print("%-24s %s" % ("case (seconds)", "median   [min .. max]"))
for n in names:
    print("%-24s %s" % (n, med([r[n][0] for r in runs])))
def ratio(label, a, b):
    if all(a in r and b in r for r in runs):
        print("%-24s %s" % (label, med([r[a][0] / r[b][0] for r in runs])))
print()
print("ratios (target)")
ratio("build/floor (<= 1.1)", "build", "floor")
ratio("build-cold/floor (<= 1.1)", "build-cold", "floor")
ratio("mtools/build (>= 1.2)", "mtools", "build")
ratio("mtools/build-cold (>= 1.2)", "mtools", "build-cold")
ratio("classic/build (>= 3)", "classic", "build")
ratio("classic/build-cold (>= 3)", "classic", "build-cold")
ratio("cd/cp-iso (<= 1.0)", "cd", "cp-iso")
ratio("cd/cp-iso-sum", "cd", "cp-iso-sum")
ratio("build-4G/build (<= 1.2)", "build-4G", "build")
ratio("build-32G/build (<= 1.2)", "build-32G", "build")
ratio("build-4G-first/build", "build-4G-first", "build")
ratio("build-32G-first/build", "build-32G-first", "build")
ratio("write70-write/dd70 (<= 1.0)", "write70-write", "dd70")
ratio("write70-readback/dd70", "write70-readback", "dd70")
ratio("write70/dd70 (all of write)", "write70", "dd70")
for n in names:
    if n.startswith("batch20@"):
        fs = n.split("@", 1)[1]
        ratio("batch20/cp20 on %s (%s)" % (fs, "<= 1.0" if fs.startswith("ext") else "<= 0.2"), n, "cp20@" + fs)
    if n.startswith("cd20@"):
        fs = n.split("@", 1)[1]
        ratio("cd20/cp-iso20 on %s (<= 0.2)" % fs, n, "cp-iso20@" + fs)
print()
print("peak RSS of esxi-autopart (target <= 32 MiB)")
for n in names:
    if n.startswith(("build", "batch", "cd")):
        print("%-24s %6.1f MiB (max over rounds)" % (n, max(r[n][1] for r in runs) / 1024))
EOF
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs${busy:+ (one core kept busy)}"
