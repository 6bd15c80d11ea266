#!/usr/bin/env bash
# Before and after in one invocation: BASE_REV, built here in a temporary git
# worktree (removed at the end), against this tree.  Root (recording and the
# mixed part load the agent's BPF programs).
#
#   bench/ab.sh BASE_REV          (or: make bench-ab BASE=BASE_REV)
#
# Parts (AB_PARTS, default "pipeline scan mixed"):
#   pipeline  user-space cost of the one event path.  This tree's agent
#             records a workload (bench/workload mixed as a tracked CPR
#             client writing into an export dir, tests/cprw_gen text and xlsx
#             files with synthetic numbers written by a tracked program);
#             kinds of line that either side cannot replay are dropped, so
#             both replay the very same lines.  `cprwatchd --replay FILE
#             --events=/dev/null` under valgrind --tool=callgrind, once on the
#             whole file and once on its first tenth: instructions per event
#             = the difference / the lines between (start-up cancels out).
#   scan      bench/scan_bench on the same generated files (this tree's
#             generator): callgrind instructions per MB on AB_SCAN_MB
#             (default 4) and the best CPU time of 3 on AB_SCAN_CPU_MB (64).
#   mixed     bench/workload mixed (AB_FILE_N 20000 files, AB_EXEC_N 500
#             execs, AB_NET_N 2000 connects) with no agent, each agent
#             untracked and each tracked; AB_REPS (7) interleaved reps, CPU
#             (user+sys of the workload and its children) medians and ratios.
# AB_KEEP=1 keeps the work directory.  bench/README.md has the figures.
set -u
export LC_ALL=C
BENCH_NAME=ab
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUTPUT=${OUTPUT:-$ROOT/build}
BASE_REV=${1:-}
PARTS=${AB_PARTS:-pipeline scan mixed}
REPS=${AB_REPS:-7}
SCAN_MB=${AB_SCAN_MB:-4}
SCAN_CPU_MB=${AB_SCAN_CPU_MB:-64}
N_FILE=${AB_FILE_N:-20000}
N_EXEC=${AB_EXEC_N:-500}
N_NET=${AB_NET_N:-2000}

[ -n "$BASE_REV" ] || die "usage: bench/ab.sh BASE_REV"
BASE_SHA=$(git -C "$ROOT" rev-parse --verify --short "$BASE_REV^{commit}" 2>/dev/null) ||
	die "$BASE_REV is not a commit of this repository"
CUR_NAME="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo +changes)"
need_root "it records with the agent's BPF programs"
need_tools valgrind jq git make
need_count AB_REPS "$REPS"
for f in "$OUTPUT/cprwatchd" "$OUTPUT/bench/workload" "$OUTPUT/bench/scan_bench" \
	 "$OUTPUT/tests/cprw_gen"; do
	[ -x "$f" ] || die "$f is missing: run 'make all'"
done

T=
BASE_DIR=
AGENT_PID=

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	stop_pid "$AGENT_PID" cprwatchd
	if [ -n "$BASE_DIR" ]; then
		git -C "$ROOT" worktree remove --force "$BASE_DIR" 2>/dev/null
		git -C "$ROOT" worktree prune 2>/dev/null
	fi
	if [ -n "$T" ]; then
		[ $rc -ne 0 ] && [ -s "$T/agent.log" ] && tail -5 "$T/agent.log" >&2
		if [ "${AB_KEEP:-0}" = 1 ]; then
			echo "ab: work directory kept: $T" >&2
		else
			rm -rf "$T"
		fi
	fi
	exit $rc
}
bench_traps cleanup

has_part() { [[ " $PARTS " == *" $1 "* ]]; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

T=$(mktemp -d /tmp/cprwatch-ab.XXXXXX) || die "mktemp failed"
chmod 0755 "$T"
mkdir -p "$T/bin" "$T/export" "$T/plain"

# ---- the base, built in a worktree of its own -------------------------------------------

echo "== building $BASE_REV ($BASE_SHA) in a temporary worktree"
BASE_DIR=$T/base
git -C "$ROOT" worktree add --quiet --detach "$BASE_DIR" "$BASE_SHA" || die "git worktree add failed"
make -C "$BASE_DIR" --no-print-directory -j2 OUTPUT=build build/cprwatchd build/bench/scan_bench \
	> "$T/base-build.log" 2>&1 || { tail -20 "$T/base-build.log" >&2; die "$BASE_REV does not build"; }
BASE_BIN=$BASE_DIR/build
CUR_BIN=$OUTPUT
echo "base $BASE_SHA, current $CUR_NAME"

# Both agents read this config: keys both revisions know.
cp "$OUTPUT/bench/workload" "$T/bin/cprclient"
cp "$OUTPUT/bench/workload" "$T/bin/plain"
cp "$OUTPUT/tests/cprw_gen" "$T/bin/cprgen"
cat > "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[cpr_clients]
path = $T/bin/cprclient
path = $T/bin/cprgen
[export_paths]
local = $T/export
[output]
alert_log = $T/alerts.json
stdout = no
[control]
socket = $T/control.sock
CONF
chmod 0600 "$T/cprwatch.conf"

start_agent() {	# start_agent BIN [ARGS...]
	local bin=$1
	shift
	rm -f "$T/ready"
	"$bin/cprwatchd" -c "$T/cprwatch.conf" --ready-file "$T/ready" "$@" 2> "$T/agent.log" &
	AGENT_PID=$!
	wait_ready "$AGENT_PID" "$T/ready" || { cat "$T/agent.log" >&2; die "$bin/cprwatchd did not become ready"; }
}

stop_agent() {
	stop_pid "$AGENT_PID" cprwatchd
	AGENT_PID=
}

pick_side() {	# pick_side base|cur: bin and name of that side
	if [ "$1" = base ]; then
		bin=$BASE_BIN
		name="base $BASE_SHA"
	else
		bin=$CUR_BIN
		name="current $CUR_NAME"
	fi
}

# ---- pipeline -------------------------------------------------------------------------

# callgrind_total BIN FILE: instructions of one replay of FILE
callgrind_total() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1/cprwatchd" --replay "$2" \
		-c "$T/cprwatch.conf" --events=/dev/null > /dev/null 2> "$T/cg.log" ||
		{ tail -5 "$T/cg.log" >&2; die "replay of $2 by $1 failed under valgrind"; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$T/cg.log"
}

# replay_complains BIN FILE: true when the replay skipped a line or an event
replay_complains() {
	"$1/cprwatchd" --replay "$2" -c "$T/cprwatch.conf" 2>&1 > /dev/null |
		grep -q "skipped\|malformed"
}

if has_part pipeline; then
	echo
	echo "== pipeline: instructions per event of cprwatchd --replay (callgrind), one recording"
	start_agent "$CUR_BIN" --record "$T/rec.json"
	"$T/bin/cprclient" mixed "$T/export" 2000 20 200 > /dev/null || die "workload failed"
	for i in $(seq 1 20); do
		"$T/bin/cprgen" text "$T/export/list$i.txt" 30 "$i" > /dev/null
		"$T/bin/cprgen" xlsx "$T/export/sheet$i.xlsx" 30 "$i" > /dev/null
	done
	# the agent finishes the scans it queued before it exits
	stop_pid "$AGENT_PID" cprwatchd 120
	AGENT_PID=
	kept=
	dropped=
	# whole JSON objects only: the agent may be stopped in the middle of a line
	jq -cR 'fromjson? | objects' "$T/rec.json" > "$T/objs.json"
	for k in $(jq -r '.event // "alert"' "$T/objs.json" | sort -u); do
		jq -c --arg k "$k" 'select((.event // "alert") == $k)' "$T/objs.json" > "$T/kind.json"
		if replay_complains "$BASE_BIN" "$T/kind.json" ||
		   replay_complains "$CUR_BIN" "$T/kind.json"; then
			dropped+=" $k"
		else
			kept+=" $k"
		fi
	done
	jq -c --arg k "$kept " '(.event // "alert") as $e | select($k | contains(" " + $e + " "))' \
		"$T/objs.json" > "$T/ab.json"
	lines=$(wc -l < "$T/ab.json")
	head_n=$((lines / 10))
	head -n "$head_n" "$T/ab.json" > "$T/ab_head.json"
	echo "recording: $(wc -l < "$T/rec.json") lines; replayed by both: $lines lines of:$kept"
	[ -n "$dropped" ] && echo "left out (one side skips or rejects them):$dropped"
	printf '%-22s %15s %12s %7s %8s\n' side instructions per_event ratio alerts
	for side in base cur; do
		pick_side $side
		all=$(callgrind_total "$bin" "$T/ab.json")
		part=$(callgrind_total "$bin" "$T/ab_head.json")
		per=$(awk -v a="$all" -v b="$part" -v n=$((lines - head_n)) 'BEGIN { printf "%.0f", (a - b) / n }')
		[ $side = base ] && base_per=$per
		alerts=$("$bin/cprwatchd" --replay "$T/ab.json" -c "$T/cprwatch.conf" 2> /dev/null | wc -l)
		printf '%-22s %15s %12s %7s %8s\n' "$name" "$all" "$per" "$(ratio "$per" "$base_per")" "$alerts"
	done
fi

# ---- scan -----------------------------------------------------------------------------

# scan_instructions BIN FILE N: instructions of scan_bench scanning FILE N times
scan_instructions() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1/bench/scan_bench" \
		scan "$T/scan_small/$2" "$3" > /dev/null 2> "$T/cg.log" ||
		{ tail -5 "$T/cg.log" >&2; die "scan_bench $2 failed under valgrind"; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$T/cg.log"
}

if has_part scan; then
	echo
	echo "== scan: bench/scan_bench on the same files"
	mkdir -p "$T/scan_small" "$T/scan_big"
	"$OUTPUT/bench/scan_bench" gen "$T/scan_small" "$SCAN_MB" > /dev/null
	"$OUTPUT/bench/scan_bench" gen "$T/scan_big" "$SCAN_CPU_MB" > /dev/null
	cat "$T"/scan_big/* > /dev/null
	printf '%-12s %-22s %15s %10s %7s %10s %7s\n' file side instructions per_MB ratio cpu_s ratio
	for f in text.txt prose.txt sheet.xlsx; do
		for side in base cur; do
			pick_side $side
			# one scan = two passes - one pass: process start and generation cancel out
			ins=$(($(scan_instructions "$bin" "$f" 2) - $(scan_instructions "$bin" "$f" 1)))
			mb=$(stat -c %s "$T/scan_small/$f" | awk '{ printf "%.3f", $1 / 1048576 }')
			per=$(awk -v a="$ins" -v m="$mb" 'BEGIN { printf "%.0f", a / m }')
			cpu=$("$bin/bench/scan_bench" scan "$T/scan_big/$f" 3 | awk '$1 == "seconds" { print $3 }')
			if [ $side = base ]; then
				base_per=$per
				base_cpu=$cpu
			fi
			printf '%-12s %-22s %15s %10s %7s %10s %7s\n' "$f" "$name" "$ins" "$per" \
				"$(ratio "$per" "$base_per")" "$cpu" "$(ratio "$cpu" "$base_cpu")"
		done
	done
	echo "(instructions: one scan of the $SCAN_MB MB files (two passes minus one);"
	echo " cpu_s: best of 3 scans of the $SCAN_CPU_MB MB files)"
fi

# ---- mixed ----------------------------------------------------------------------------

if has_part mixed; then
	echo
	echo "== mixed: workload mixed $N_FILE files, $N_EXEC execs, $N_NET connects; $REPS interleaved reps"
	MODES="none base_untracked base_tracked cur_untracked cur_tracked"
	: > "$T/mixed.tsv"
	for ((rep = 1; rep <= REPS; rep++)); do
		for m in $MODES; do
			case $m in
			base_*) start_agent "$BASE_BIN" --events="$T/events.json" ;;
			cur_*) start_agent "$CUR_BIN" --events="$T/events.json" ;;
			esac
			bin=$T/bin/plain
			dir=$T/plain
			if [[ $m == *_tracked ]]; then
				bin=$T/bin/cprclient
				dir=$T/export
			fi
			out=$("$bin" mixed "$dir" "$N_FILE" "$N_EXEC" "$N_NET") || die "$m: workload failed: $out"
			printf '%s\t%s\t%s\n' "$m" "$(field cpu_ns "$out")" "$(field elapsed_ns "$out")" >> "$T/mixed.tsv"
			stop_agent
			rm -f "$T/events.json" "$T/alerts.json"
		done
		echo "  rep $rep/$REPS done"
	done
	median() {	# median MODE COLUMN
		awk -F'\t' -v m="$1" -v c="$2" '$1 == m { print $c }' "$T/mixed.tsv" | sort -n |
			awk '{ v[NR] = $1 } END { printf "%.0f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	}
	none=$(median none 2)
	printf '%-16s %10s %9s %12s\n' mode cpu_ms to_none to_base
	for m in $MODES; do
		c=$(median "$m" 2)
		b=$c
		case $m in cur_*) b=$(median "base_${m#cur_}" 2) ;; esac
		printf '%-16s %10.1f %9s %12s\n' "$m" "$(awk -v c="$c" 'BEGIN { print c / 1e6 }')" \
			"$(ratio "$c" "$none")" "$(ratio "$c" "$b")"
	done
	echo "(base = $BASE_SHA, cur = $CUR_NAME; CPU medians: user+sys of the workload and its children)"
fi

echo
echo "ab: $(date -u '+%F %H:%M') UTC, kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
