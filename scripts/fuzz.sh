#!/usr/bin/env bash
# Run every Go native fuzz target of the module (or of the given packages),
# one at a time, each for the same duration.
#
#   scripts/fuzz.sh [DURATION] [PACKAGE...]    e.g. scripts/fuzz.sh 10m ./layouts/...
#
# DURATION defaults to $FUZZTIME, else 1m. Workers per target: $FUZZPARALLEL
# (default 1). Targets are found with `go test -list "$FUZZMATCH"` (default
# 'Fuzz.*'; e.g. FUZZMATCH=FuzzDetect runs only that target). Minimisation
# is limited to one run (-fuzzminimizetime 1x): the engine's minimiser stalls
# on loaded machines. A failing input is written by the engine to
# <package>/testdata/fuzz/<Target>/; `go test -run <Target>/<file>` replays it.
# Exit status: 0 if every target passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-1m}
if [[ $# -gt 0 && $1 != ./* && $1 != github.com/* ]]; then
	fuzztime=$1
	shift
fi
parallel=${FUZZPARALLEL:-1}
# go test's default -timeout (10m) would kill a long fuzz run: allow the
# fuzz time plus 10 minutes, so that a hang is still reported.
case $fuzztime in
*s) secs=${fuzztime%s} ;;
*m) secs=$((${fuzztime%m} * 60)) ;;
*h) secs=$((${fuzztime%h} * 3600)) ;;
*) secs=x ;; # e.g. 1000x: a count, not a duration
esac
timeout=0
if [[ $secs =~ ^[0-9]+$ ]]; then
	timeout=$((secs + 600))s
fi
pkgs=("$@")
[[ ${#pkgs[@]} -gt 0 ]] || pkgs=(./...)

failed=()
for pkg in $(go list "${pkgs[@]}"); do
	targets=$(go test -list "${FUZZMATCH:-Fuzz.*}" "$pkg" | grep '^Fuzz' || true)
	for target in $targets; do
		echo "== $pkg $target for $fuzztime ($(date -u +%H:%M:%S))"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" \
			-fuzzminimizetime 1x -parallel "$parallel" -timeout "$timeout" "$pkg"; then
			failed+=("$pkg $target")
		fi
	done
done

if [[ ${#failed[@]} -gt 0 ]]; then
	printf 'FAILED: %s\n' "${failed[@]}"
	exit 1
fi
echo "every fuzz target passed ($fuzztime each)"
