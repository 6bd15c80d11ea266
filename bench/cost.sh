#!/usr/bin/env bash
# What the agent costs the processes it does not track, next to its design
# floors (issue #13).  One invocation, every configuration interleaved, so
# every ratio compares runs made minutes apart on the same machine.  Root.
#
#   OUTPUT=$PWD/build bash bench/cost.sh     (or: make bench)
#
# Parts:
#   mixed   20k x (open, 4 x write 4 KiB, close, open, read, close) on a
#           tmpfs, 500 execs, 2k loopback connects (bench/workload mixed),
#           under: none, floor_tp (one empty program on every tp/syscalls
#           tracepoint the agent's fallback hooks), floor_raw (one empty
#           program on each of raw sys_enter/sys_exit), the agent with its
#           per-syscall tracepoints (agent_tp, untracked), the agent with the
#           raw dispatcher: untracked and tracked (the workload runs as a
#           [cpr_clients] program and writes into an export dir).
#           CPU time (user+sys of the workload and its children) and wall
#           time, medians of COST_REPS, ratios to none.
#   x11     bench/x11_loop: COST_X11_N small xcb requests against an Xvfb of
#           the bench's own: none, floor_raw (each request is a few
#           syscalls: the raw pair's floor matters here), agent untracked,
#           agent tracked (the client's per-process uprobes on).  Two
#           tables: the client's CPU, and the client's plus the X server's
#           (most of the syscalls are the server's).
#   probes  per-program run_cnt and run_time_ns (kernel.bpf_stats_enabled=1)
#           of the agent's and the floors' programs over one mixed run each.
#   iouring bench/uring_loop: COST_IOURING_N io_uring requests (4 KiB
#           writes then reads of 8 blocks, queue depth 8) on the tmpfs: none,
#           floor_iou (empty programs on the two io_uring tracepoints the
#           agent hooks, bench/floor_iouring.bpf.c), agent untracked, agent tracked (a [cpr_clients] program writing
#           into an export dir: its file is accounted), then per-program
#           run_cnt/run_time_ns of one untracked and one tracked run
#           (not in the default parts: bench/iouring.sh runs it).
#   agent   RSS and idle CPU of the agent over COST_IDLE_S.
#   rate    a tracked generator (bench/workload rate: failed opens, one
#           event each, COST_RATE_WORKERS threads) paced to each of
#           COST_RATE_STEPS events/s for COST_RATE_STEP_S seconds, then to
#           COST_RATE for COST_RATE_S: the rate reached, kernel drops,
#           user-space loss, and the CPU per event of the agent, of the
#           generator and of the BPF programs in it.
#
# Environment (defaults in brackets):
#   COST_REPS [7]  COST_FILE_N [20000]  COST_EXEC_N [500]  COST_NET_N [2000]
#   COST_X11_N [1000000]  COST_IOURING_N [400000]  COST_IDLE_S [60]  COST_RATE [200000]
#   COST_RATE_S [60]  COST_RATE_WORKERS [2]  COST_RATE_STEP_S [10]
#   COST_RATE_STEPS ["25000 50000 100000 150000 200000"]
#   COST_PARTS ["mixed x11 probes agent rate"]
# bench/README.md explains every figure.
set -u
export LC_ALL=C

OUTPUT=${OUTPUT:-$(cd "$(dirname "$0")/.." && pwd)/build}
AGENT=$OUTPUT/cprwatchd
CTL=$OUTPUT/cprwatchctl
B=$OUTPUT/bench
REPS=${COST_REPS:-7}
N_FILE=${COST_FILE_N:-20000}
N_EXEC=${COST_EXEC_N:-500}
N_NET=${COST_NET_N:-2000}
N_X11=${COST_X11_N:-1000000}
N_IOURING=${COST_IOURING_N:-400000}
IDLE_S=${COST_IDLE_S:-60}
RATE=${COST_RATE:-200000}
RATE_S=${COST_RATE_S:-60}
RATE_WORKERS=${COST_RATE_WORKERS:-2}
RATE_STEPS=${COST_RATE_STEPS:-25000 50000 100000 150000 200000}
RATE_STEP_S=${COST_RATE_STEP_S:-10}
PARTS=${COST_PARTS:-mixed x11 probes agent rate}
MODES="none floor_tp floor_raw agent_tp untracked tracked"
BENCH_NAME=cost
. "$(dirname "$0")/lib.sh"

need_root "it loads BPF programs"
for f in "$AGENT" "$CTL" "$B/workload" "$B/floor" "$B/floor_raw.bpf.o" "$B/floor_tp.bpf.o" \
	 "$OUTPUT/cprwatch.bpf.o"; do
	[ -e "$f" ] || die "$f is missing: run 'make all'"
done
need_tools jq bpftool sysctl
need_count COST_REPS "$REPS"

T=
MON_PID=
XVFB_PID=
STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	stop_pid "$MON_PID"
	stop_pid "$XVFB_PID"
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG" >/dev/null 2>&1
	if [ -n "$T" ]; then
		[ $rc -ne 0 ] && [ -s "$T/agent.log" ] && tail -5 "$T/agent.log" >&2
		umount "$T/fs" 2>/dev/null
		rm -rf "$T"
	fi
	exit $rc
}
bench_traps cleanup

T=$(mktemp -d /tmp/cprwatch-cost.XXXXXX) || die "mktemp failed"
chmod 0755 "$T"
mkdir -p "$T/bin" "$T/fs"
mount -t tmpfs -o size=256m cprwatch-cost "$T/fs" || die "cannot mount a tmpfs"
mkdir -p "$T/fs/plain" "$T/fs/export"
# the same binaries twice: the agent tells them apart by the path they run from
cp "$B/workload" "$T/bin/plain"
cp "$B/workload" "$T/bin/cprclient"
[ -x "$B/x11_loop" ] && cp "$B/x11_loop" "$T/bin/x11_plain" && cp "$B/x11_loop" "$T/bin/x11_client"
[ -x "$B/uring_loop" ] && cp "$B/uring_loop" "$T/bin/uring_plain" &&
	cp "$B/uring_loop" "$T/bin/uring_client"
cat > "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[cpr_clients]
path = $T/bin/cprclient
path = $T/bin/x11_client
path = $T/bin/uring_client
[export_paths]
local = $T/fs/export
[output]
alert_log = $T/alerts.json
stdout = no
[control]
socket = $T/control.sock
CONF
chmod 0600 "$T/cprwatch.conf"
export CPRWATCH_SOCKET=$T/control.sock
RESULTS=$T/results.tsv	# part mode rep wall_ns cpu_ns
: > "$RESULTS"

# ---- monitors -------------------------------------------------------------------

start_agent() {	# start_agent [ENV=VALUE...]: the agent with the bench config
	rm -f "$T/ready"
	env "$@" "$AGENT" -c "$T/cprwatch.conf" --events="$T/events.json" --ready-file "$T/ready" \
		2> "$T/agent.log" &
	MON_PID=$!
	wait_ready "$MON_PID" "$T/ready" && return 0
	cat "$T/agent.log" >&2
	die "cprwatchd did not become ready"
}

# the agent as deployed: no --events (JSON lines are formatted only when read)
start_agent_quiet() {
	rm -f "$T/ready"
	"$AGENT" -c "$T/cprwatch.conf" --ready-file "$T/ready" 2> "$T/agent.log" &
	MON_PID=$!
	wait_ready "$MON_PID" "$T/ready" && return 0
	cat "$T/agent.log" >&2
	die "cprwatchd did not become ready"
}

start_floor() {	# start_floor OBJ [AGENT_OBJ]
	coproc FLOOR { exec "$B/floor" "$@"; }
	MON_PID=$FLOOR_PID
	read -r line <&"${FLOOR[0]}" || die "floor $1 did not load"
	case $line in ready*) ;; *) die "floor $1: $line" ;; esac
}

start_mode() {	# start_mode MODE
	case $1 in
	none) ;;
	floor_tp) start_floor "$B/floor_tp.bpf.o" "$OUTPUT/cprwatch.bpf.o" ;;
	floor_raw) start_floor "$B/floor_raw.bpf.o" ;;
	floor_iou) start_floor "$B/floor_iouring.bpf.o" ;;
	agent_tp) start_agent CPRWATCH_SYSCALL_HOOKS=tracepoint ;;
	untracked | tracked) start_agent ;;
	esac
}

stop_mode() {
	stop_pid "$MON_PID"
	MON_PID=
	rm -f "$T/events.json"
}

# ---- runs ---------------------------------------------------------------------------

run_mixed() {	# run_mixed MODE REP
	local bin=$T/bin/plain dir=$T/fs/plain out
	if [ "$1" = tracked ]; then
		bin=$T/bin/cprclient
		dir=$T/fs/export
	fi
	out=$("$bin" mixed "$dir" "$N_FILE" "$N_EXEC" "$N_NET") || die "$1: mixed failed: $out"
	printf 'mixed\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(field elapsed_ns "$out")" \
		"$(field cpu_ns "$out")" >> "$RESULTS"
}

# CPU time of every thread of PID so far, ns (schedstat: no tick rounding)
cpu_ns_of() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{n += $1} END {printf "%.0f\n", n}'; }

# x11: the client's CPU; x11_all: the client's and the X server's, whose
# syscalls (a reply write and polls per batch) the untracked agent sees
run_x11() {	# run_x11 MODE REP
	local bin=$T/bin/x11_plain out s0 s1
	[ "$1" = tracked ] && bin=$T/bin/x11_client
	s0=$(cpu_ns_of "$XVFB_PID")
	out=$("$bin" "$N_X11") || die "$1: x11_loop failed: $out"
	s1=$(cpu_ns_of "$XVFB_PID")
	printf 'x11\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(field elapsed_ns "$out")" \
		"$(field cpu_ns "$out")" >> "$RESULTS"
	printf 'x11_all\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(field elapsed_ns "$out")" \
		"$(($(field cpu_ns "$out") + s1 - s0))" >> "$RESULTS"
}

run_iouring() {	# run_iouring MODE REP
	local bin=$T/bin/uring_plain dir=$T/fs/plain out
	if [ "$1" = tracked ]; then
		bin=$T/bin/uring_client
		dir=$T/fs/export
	fi
	out=$("$bin" "$dir/uring.bin" "$N_IOURING" 8) || die "$1: uring_loop failed: $out"
	printf 'iouring\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(field elapsed_ns "$out")" \
		"$(field cpu_ns "$out")" >> "$RESULTS"
}

# median PART MODE COLUMN (4 wall, 5 cpu)
median() {
	awk -F'\t' -v p="$1" -v m="$2" -v c="$3" '$1 == p && $2 == m {print $c}' "$RESULTS" |
		sort -n | awk '{v[NR] = $1} END {
			if (!NR) { print 0; exit }
			printf "%.0f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report() {	# report PART MODES...
	local part=$1 m bw bc w c
	shift
	bw=$(median "$part" none 4)
	bc=$(median "$part" none 5)
	printf '%-10s %10s %7s %10s %7s\n' mode "wall ms" ratio "cpu ms" ratio
	for m in "$@"; do
		w=$(median "$part" "$m" 4)
		c=$(median "$part" "$m" 5)
		awk -v m="$m" -v w="$w" -v c="$c" -v bw="$bw" -v bc="$bc" 'BEGIN {
			printf "%-10s %10.1f %7.3f %10.1f %7.3f\n", m, w / 1e6, bw ? w / bw : 0,
				c / 1e6, bc ? c / bc : 0 }'
	done
}

has_part() { [[ " $PARTS " == *" $1 "* ]]; }

# ---- mixed ----------------------------------------------------------------------------

if has_part mixed; then
	echo "== mixed: $N_FILE files, $N_EXEC execs, $N_NET connects; $REPS interleaved reps, untracked unless 'tracked'"
	"$T/bin/plain" mixed "$T/fs/plain" 1000 20 100 >/dev/null || die "warm-up failed"
	read -r -a modes <<<"$MODES"
	for ((rep = 1; rep <= REPS; rep++)); do
		for ((i = 0; i < ${#modes[@]}; i++)); do
			m=${modes[$(((i + rep) % ${#modes[@]}))]}	# rotate the order
			start_mode "$m"
			run_mixed "$m" "$rep"
			stop_mode
		done
		echo "  rep $rep/$REPS done"
	done
	report mixed $MODES
	echo
fi

# ---- x11 ------------------------------------------------------------------------------

if has_part x11; then
	if [ ! -x "$B/x11_loop" ] || ! command -v Xvfb >/dev/null; then
		echo "== x11: skipped (Xvfb or build/bench/x11_loop missing: make deps all)"
	else
		Xvfb -displayfd 3 -nolisten tcp -noreset 3> "$T/display" 2> "$T/xvfb.log" &
		XVFB_PID=$!
		for _ in $(seq 1 100); do
			[ -s "$T/display" ] && break
			sleep 0.05
		done
		[ -s "$T/display" ] || die "Xvfb did not start: $(cat "$T/xvfb.log")"
		export DISPLAY=:$(head -n1 "$T/display")
		echo "== x11: $N_X11 xcb requests (InternAtom), $REPS interleaved reps"
		"$T/bin/x11_plain" 10000 >/dev/null || die "x11 warm-up failed"
		for ((rep = 1; rep <= REPS; rep++)); do
			run_x11 none "$rep"
			start_mode floor_raw
			run_x11 floor_raw "$rep"
			stop_mode
			start_agent
			run_x11 untracked "$rep"
			run_x11 tracked "$rep"
			stop_mode
		done
		echo "the client's CPU:"
		report x11 none floor_raw untracked tracked
		echo "the client's and the X server's CPU:"
		report x11_all none floor_raw untracked tracked
		echo
	fi
fi

# ---- per-program cost -------------------------------------------------------------------

# prog_stats PID: "id:name run_cnt run_time_ns" of every program PID holds an fd of
prog_stats() {
	local ids
	ids=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -un |
		paste -sd, -)
	bpftool prog show -j 2>/dev/null | jq -r --arg ids "$ids" '
		($ids | split(",") | map(tonumber)) as $mine | .[] | select(.id as $i | $mine | index($i)) |
		"\(.id):\(.name) \(.run_cnt // 0) \(.run_time_ns // 0)"' | sort
}

profile() {	# profile MODE [RUN]: one run (run_mixed) with stats on, per-program figures
	local before after
	start_mode "$1"
	before=$(prog_stats "$MON_PID")
	"${2:-run_mixed}" "$1" 0
	after=$(prog_stats "$MON_PID")
	stop_mode
	join <(echo "$before") <(echo "$after") | awk -v m="$1" '{
		c = $4 - $2; t = $5 - $3
		sub(/^[0-9]*:/, "", $1)
		if (c > 0) { printf "  %-10s %-18s %10d runs %9.1f ms %6.0f ns/run\n", m, $1, c, t / 1e6, t / c
			tc += c; tt += t }
	} END { printf "  %-10s %-18s %10d runs %9.1f ms in BPF\n", m, "(all)", tc, tt / 1e6 }'
}

if has_part probes; then
	echo "== per-program cost over one mixed run (kernel.bpf_stats_enabled=1)"
	sysctl -q -w kernel.bpf_stats_enabled=1 || die "cannot enable kernel.bpf_stats_enabled"
	for m in floor_tp floor_raw agent_tp untracked tracked; do
		profile "$m"
	done
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG"
	echo
fi

# ---- io_uring ---------------------------------------------------------------------------

if has_part iouring; then
	[ -x "$B/uring_loop" ] || die "$B/uring_loop is missing: run 'make all'"
	echo "== iouring: $N_IOURING io_uring requests (4 KiB, depth 8), $REPS interleaved reps"
	"$T/bin/uring_plain" "$T/fs/plain/uring.bin" 10000 8 >/dev/null || die "iouring warm-up failed"
	for ((rep = 1; rep <= REPS; rep++)); do
		if ((rep % 2)); then
			run_iouring none "$rep"
			start_mode floor_iou
			run_iouring floor_iou "$rep"
			stop_mode
			start_agent
			run_iouring untracked "$rep"
			run_iouring tracked "$rep"
			stop_mode
		else
			start_agent
			run_iouring tracked "$rep"
			run_iouring untracked "$rep"
			stop_mode
			start_mode floor_iou
			run_iouring floor_iou "$rep"
			stop_mode
			run_iouring none "$rep"
		fi
	done
	report iouring none floor_iou untracked tracked
	echo "== iouring: per-program cost over one run (kernel.bpf_stats_enabled=1)"
	sysctl -q -w kernel.bpf_stats_enabled=1 || die "cannot enable kernel.bpf_stats_enabled"
	profile untracked run_iouring
	profile tracked run_iouring
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG"
	echo
fi

# ---- agent footprint ----------------------------------------------------------------------

# CPU time (ns) and context switches of every thread of PID
agent_switches() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(non)?voluntary_ctxt_switches/ {n += $2} END {printf "%.0f\n", n}'
}
status_field() { "$CTL" status --json | jq -r "$1"; }

if has_part agent; then
	start_agent_quiet
	sleep 2
	c0=$(cpu_ns_of "$MON_PID")
	w0=$(agent_switches "$MON_PID")
	e0=$(status_field .events.total)
	t0=$(date +%s%N)
	sleep "$IDLE_S"
	c1=$(cpu_ns_of "$MON_PID")
	w1=$(agent_switches "$MON_PID")
	e1=$(status_field .events.total)
	t1=$(date +%s%N)
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$MON_PID/status")
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$MON_PID/status")
	nthr=$(awk '/^Threads/ {print $2}' "/proc/$MON_PID/status")
	# the event ring buffer's mapping (kernel memory, its data pages mapped twice)
	ring=$(awk '/^[0-9a-f]+-/ {m = ($6 == "anon_inode:bpf-map")} m && /^Rss:/ {n += $2} END {print n + 0}' \
		"/proc/$MON_PID/smaps")
	stop_mode
	awk -v rss="$rss" -v hwm="$hwm" -v c=$((c1 - c0)) -v w=$((w1 - w0)) -v e=$((e1 - e0)) \
		-v ns=$((t1 - t0)) -v s="$IDLE_S" -v nthr="$nthr" -v ring="$ring" 'BEGIN {
		printf "== agent footprint (bench config, no --events): RSS %.1f MiB (peak %.1f MiB), %d threads;\n", rss / 1024, hwm / 1024, nthr
		printf "   of it %.1f MiB BPF map mappings (the 8 MiB event ring, mapped twice): %.1f MiB without\n", ring / 1024, (rss - ring) / 1024
		printf "   over %d s with no workload of ours: CPU %.3f %% of one core, %.1f wakeups/s;\n", s, 100 * c / ns, w / (ns / 1e9)
		printf "   the rest of the machine sent it %d events (%.1f/s: its exec/fork/exit)\n", e, e / (ns / 1e9) }'
	echo
fi

# ---- event rate -----------------------------------------------------------------------------

bpf_ns() { prog_stats "$1" | awk '{n += $3} END {printf "%.0f\n", n}'; }

# rate_step RATE SECONDS: one paced run; prints its line, returns 1 on a loss
rate_step() {
	local e0 d0 c0 b0 e1 d1 c1 b1 out ops cpu e_last=
	e0=$(status_field .events.by_type.open)
	d0=$(status_field .events.kernel_drops)
	c0=$(cpu_ns_of "$MON_PID")
	b0=$(bpf_ns "$MON_PID")
	out=$("$T/bin/cprclient" rate "$T/fs/export" "$1" "$2" "$RATE_WORKERS") ||
		die "rate generator failed: $out"
	for _ in 1 2 3 4 5; do	# drained: the count stops moving (ticks are 1 s)
		sleep 1.2
		e1=$(status_field .events.by_type.open)
		[ "$e1" = "$e_last" ] && break
		e_last=$e1
	done
	d1=$(status_field .events.kernel_drops)
	c1=$(cpu_ns_of "$MON_PID")
	b1=$(bpf_ns "$MON_PID")
	ops=$(field ops "$out")
	cpu=$(field cpu_ns "$out")
	awk -v r="$1" -v s="$2" -v ops="$ops" -v reached="$(field events_per_s "$out")" \
		-v got=$((e1 - e0)) -v drops=$((d1 - d0)) -v gcpu="$cpu" \
		-v acpu=$((c1 - c0)) -v bpf=$((b1 - b0)) 'BEGIN {
		lost = ops - got - drops	# got also counts the generator'\''s own loader opens
		if (lost < 0) lost = 0
		printf "  asked %6d/s %3d s: reached %6d/s, %8d events, kernel drops %d, user-space loss %d;", r, s, reached, got, drops, lost
		printf " per event: agent %.2f us CPU, generator %.2f us (BPF %.2f us of it)\n",
			ops ? acpu / ops / 1e3 : 0, ops ? gcpu / ops / 1e3 : 0, ops ? bpf / ops / 1e3 : 0
		exit (drops || lost) ? 1 : 0 }'
}

if has_part rate; then
	echo "== event rate: a tracked process, $RATE_WORKERS threads of failed opens (one open event each)"
	echo "   paced by the clock; the agent as deployed (no --events); steps of ${RATE_STEP_S}s, then ${RATE_S}s at $RATE/s"
	out=$("$T/bin/plain" rate "$T/fs/plain" "$RATE" "$RATE_STEP_S" "$RATE_WORKERS") ||
		die "rate generator failed: $out"
	echo "  no agent: asked $RATE/s for ${RATE_STEP_S}s, reached $(field events_per_s "$out")/s;" \
		"generator $(awk -v c="$(field cpu_ns "$out")" -v n="$(field ops "$out")" \
			'BEGIN {printf "%.2f", n ? c / n / 1e3 : 0}') us CPU per op"
	sysctl -q -w kernel.bpf_stats_enabled=1 || die "cannot enable kernel.bpf_stats_enabled"
	start_agent_quiet
	best=0
	for r in $RATE_STEPS; do
		if rate_step "$r" "$RATE_STEP_S"; then
			[ "$r" -gt "$best" ] && best=$r
		fi
	done
	rate_step "$RATE" "$RATE_S" > "$T/rate.last"
	cat "$T/rate.last"
	# what $RATE/s needs: the generator's and the agent's CPU per event
	sed -n 's/.*agent \([0-9.]*\) us CPU, generator \([0-9.]*\) us.*/\1 \2/p' "$T/rate.last" |
		awk -v r="$RATE" -v n="$(nproc)" '{
		printf "   %d events/s need %.2f CPUs for the generator and %.3f for the agent, of %d\n",
			r, r * $2 / 1e6, r * $1 / 1e6, n }'
	echo "   highest step with 0 kernel drops and 0 user-space loss: $best/s asked (see 'reached')"
	stop_mode
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG"
	echo
fi

echo "cost: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
