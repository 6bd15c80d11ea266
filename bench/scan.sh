#!/bin/bash
# Scanner throughput against a same-run baseline.  scan_file() on ~200 MB of
# number-dense text with sparse synthetic CPR numbers, on ~100 MB of mostly
# prose, and on a few-MB xlsx client list; `grep -cE '[0-9]{6}-?[0-9]{4}'`
# (LC_ALL=C, grep's fastest mode) on the same text files.  Files come from
# the page cache for both; best of 3; one core (the scanner is single-threaded).
# Wall and CPU (user + system) time both: on a shared machine the CPU figures
# are the ones to compare.
#
#   OUTPUT=/abs/build bash bench/scan.sh       (SCAN_BENCH_MB=200 by default)
set -euo pipefail

cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
MB=${SCAN_BENCH_MB:-200}
BIN=$OUTPUT/bench/scan_bench
[ -x "$BIN" ] || make --no-print-directory OUTPUT="$OUTPUT" "$BIN"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/cprw-scanbench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT

"$BIN" gen "$DIR" "$MB"
cat "$DIR"/* > /dev/null	# warm the page cache

# Best wall and best CPU seconds of three grep runs.  Output goes to a file:
# with stdout on /dev/null grep stops at the first hit.
grep_times() {
	local wall= cpu= w c
	for _ in 1 2 3; do
		read -r w c < <({ TIMEFORMAT='%R %U %S'; time LC_ALL=C \
			grep -cE '[0-9]{6}-?[0-9]{4}' "$1" > "$DIR/out" || true; } 2>&1 |
			awk '{ print $1, $2 + $3 }')
		if [ -z "$wall" ] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then
			wall=$w
		fi
		if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then
			cpu=$c
		fi
	done
	echo "$wall $cpu"
}

for f in text.txt prose.txt; do
	out=$("$BIN" scan "$DIR/$f" 3)
	grep -v '^seconds' <<<"$out"
	read -r _ sw sc <<<"$(grep '^seconds' <<<"$out")"
	read -r gw gc <<<"$(grep_times "$DIR/$f")"
	awk -v s="$(stat -c %s "$DIR/$f")" -v gw="$gw" -v gc="$gc" -v sw="$sw" -v sc="$sc" \
		-v h="$(cat "$DIR/out")" -v f="$f" 'BEGIN {
		gc = gc > 0.001 ? gc : 0.001
		printf "grep -cE %s: %.0f MB/s (cpu %.3f s = %.0f MB/s), %d lines; " \
		       "scanner/grep: %.1fx wall, %.1fx cpu\n",
		       f, s / gw / 1e6, gc, s / gc / 1e6, h, gw / sw, gc / sc }'
done
"$BIN" scan "$DIR/sheet.xlsx" 3 | grep -v '^seconds'

# The sandbox round trip (issue 10: aim < 1 ms per file): the same small files
# scanned in this process and through cprwatch-scand, 1000 times each.
"$OUTPUT/tests/cprw_gen" text "$DIR/list.txt" 30 7 > /dev/null
for f in list.txt sheet.xlsx; do
	CPRWATCH_SCAND=$OUTPUT/cprwatch-scand "$BIN" sandbox "$DIR/$f" 1000
done
