#!/usr/bin/env bash
# Overhead of cprwatchd on exec-, file- and network-heavy workloads, next to
# no monitor and to auditd watching the same syscalls.  One invocation runs
# every configuration, interleaved, so every ratio compares runs made minutes
# apart on the same machine.  Root only (it loads BPF and audit rules).
#
#   OUTPUT=$PWD/build bash bench/overhead.sh     (or: make bench)
#
# Environment (defaults in brackets):
#   BENCH_REPS     repetitions of each (mode, workload) timing        [7]
#   BENCH_EXEC_N   fork+exec of /bin/true per exec run                 [100]
#   BENCH_FILE_N   open + write 4 KiB + close per file run             [20000]
#   BENCH_NET_N    connect + write 16 KiB + close per net run          [4000]
#   BENCH_PROFILE  0 skips the bpf_stats per-probe pass                [1]
#   BENCH_AUDITD   0 skips the auditd comparison                       [1]
#   BENCH_BUDGET_S no repetition starts that would end past this many
#                  seconds, once 2 are done (bounds `make bench`)        [300]
#   BENCH_NICE     nice level of the workloads and the monitors (agent,
#                  auditd, kauditd), so other load on the machine
#                  disturbs the timings less; 0 turns it off           [-10]
#   BENCH_KEEP     1 keeps the work directory (results, logs)          [0]
#
# Modes:
#   baseline   no monitor
#   untracked  cprwatchd running; the workload is an unwatched program
#              writing to an unwatched directory (the common case)
#   tracked    same cprwatchd; the workload runs from a [cpr_clients] path
#              and writes into an [export_paths] directory
#   auditd     auditd with one always,exit rule on the syscalls the agent
#              probes (every process, as audit cannot filter by lineage)
# bench/README.md explains every figure.
set -u
export LC_ALL=C

OUTPUT=${OUTPUT:-$(cd "$(dirname "$0")/.." && pwd)/build}
AGENT=$OUTPUT/cprwatchd
WORKLOAD=$OUTPUT/bench/workload
REPS=${BENCH_REPS:-7}
N_EXEC=${BENCH_EXEC_N:-100}
N_FILE=${BENCH_FILE_N:-20000}
N_NET=${BENCH_NET_N:-4000}
PROFILE=${BENCH_PROFILE:-1}
USE_AUDITD=${BENCH_AUDITD:-1}
BUDGET_S=${BENCH_BUDGET_S:-300}
NICE=${BENCH_NICE:--10}
RUN_TIMEOUT=120		# seconds one workload run may take before the bench gives up
WORKLOADS="exec file net"
AUDIT_KEY=cprwatch-bench
# The syscalls the agent probes (bpf/file.bpf.c, bpf/net.bpf.c) plus execve.
AUDIT_SYSCALLS="execve execveat open openat openat2 creat read readv pread preadv preadv2
	write writev pwrite pwritev pwritev2 sendfile copy_file_range splice close dup dup2
	dup3 fcntl rename renameat renameat2 unlink unlinkat connect accept accept4"

BENCH_NAME=overhead
. "$(dirname "$0")/lib.sh"

# ---- preconditions ------------------------------------------------------------

need_root "it loads BPF programs and audit rules"
[ -r /sys/kernel/btf/vmlinux ] || die "the kernel has no BTF (/sys/kernel/btf/vmlinux)"
[ -x "$AGENT" ] || die "$AGENT is missing: run 'make all'"
[ -x "$WORKLOAD" ] || die "$WORKLOAD is missing: run 'make all'"
need_tools jq bpftool awk sysctl timeout
need_count BENCH_REPS "$REPS"

# ---- state to undo --------------------------------------------------------------

T=
AGENT_PID=
AUDITD_PID=
AUDIT_RULE=()
AUDIT_ORIG_BACKLOG=
AUDIT_ORIG_ENABLED=
AUDIT_RULES_WERE_EMPTY=0
KAUDITD_PID=$(pgrep -x kauditd | head -1)
KAUDITD_ORIG_NICE=
STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)

stop_agent() {
	stop_pid "$AGENT_PID" cprwatchd
	AGENT_PID=
}

audit_rules_del() {
	[ ${#AUDIT_RULE[@]} -gt 0 ] || return 0
	auditctl -d "${AUDIT_RULE[@]}" >/dev/null 2>&1
	# Nothing was loaded before we came: leave nothing behind either.
	[ "$AUDIT_RULES_WERE_EMPTY" = 1 ] && auditctl -D >/dev/null 2>&1
	return 0
}

stop_auditd() {
	[ -n "$AUDITD_PID" ] || return 0
	audit_rules_del
	stop_pid "$AUDITD_PID" auditd
	AUDITD_PID=
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	stop_agent
	stop_auditd
	audit_rules_del
	if [ -n "$AUDIT_ORIG_BACKLOG" ]; then
		auditctl -b "$AUDIT_ORIG_BACKLOG" >/dev/null 2>&1
		# auditd disables auditing when it stops; put back what we found.
		[ -n "$AUDIT_ORIG_ENABLED" ] && [ "$AUDIT_ORIG_ENABLED" != 2 ] &&
			auditctl -e "$AUDIT_ORIG_ENABLED" >/dev/null 2>&1
	fi
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG" >/dev/null 2>&1
	[ -n "$KAUDITD_ORIG_NICE" ] && renice --priority "$KAUDITD_ORIG_NICE" -p "$KAUDITD_PID" >/dev/null 2>&1
	if [ -n "$T" ]; then
		if [ $rc -ne 0 ] && [ -s "$T/agent.log" ]; then
			echo "overhead: last lines of the agent's log:" >&2
			tail -5 "$T/agent.log" >&2
		fi
		if [ "${BENCH_KEEP:-0}" = 1 ]; then
			# results and logs stay; the bulky files do not
			rm -f "$T"/events.json "$T"/alerts.json "$T"/audit/audit.log* "$T"/plain/* "$T"/export/*
			echo "overhead: work directory kept: $T" >&2
		else
			rm -rf "$T"
		fi
	fi
	exit $rc
}
bench_traps cleanup

T=$(mktemp -d /tmp/cprwatch-bench.XXXXXX) || die "mktemp failed"
chmod 0755 "$T"
mkdir -p "$T/bin" "$T/plain" "$T/export" "$T/audit"
# Same binary twice: the agent tells them apart only by the path they run from.
cp "$WORKLOAD" "$T/bin/cprclient"
cp "$WORKLOAD" "$T/bin/plain"
cat > "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[cpr_clients]
path = $T/bin/cprclient
[export_paths]
local = $T/export
[output]
alert_log = $T/alerts.json
stdout = no
CONF
chmod 0600 "$T/cprwatch.conf"
RESULTS=$T/results.tsv	# mode workload rep elapsed_ns events drops monitor_cpu_ns foreign_agents cpu_ns
PROBES=$T/probes.tsv		# mode workload prog run_cnt run_time_ns
AGENT_TOTALS=$T/agent_totals	# "received lost" per agent instance
: > "$RESULTS"
: > "$PROBES"
: > "$AGENT_TOTALS"

# ---- helpers ----------------------------------------------------------------------

now_ns() { date +%s%N; }

# cpu_ns PID: CPU_NS += cumulative CPU time (ns) of every thread of PID.
# No subshells or forks here: under auditd every fork of this script is
# audited too, and settle() would never see the monitor go quiet.
cpu_ns() {
	local f v
	for f in /proc/"$1"/task/*/schedstat; do
		read -r v _ < "$f" 2>/dev/null || continue
		CPU_NS=$((CPU_NS + v))
	done
}

monitor_cpu() {	# monitor_cpu MODE: CPU_NS = the monitor's CPU time so far
	CPU_NS=0
	case $1 in
	untracked | tracked) cpu_ns "$AGENT_PID" ;;
	auditd) cpu_ns "$AUDITD_PID"; [ -n "$KAUDITD_PID" ] && cpu_ns "$KAUDITD_PID" ;;
	esac
	return 0
}

exec {NEVER_FD}<> <(:)	# a pipe nobody writes: `read -t` on it sleeps without a fork
nap() { read -r -t "$1" -u "$NEVER_FD" _; return 0; }

# settle MODE: wait (at most 5 s) until the monitor has drained what the last
# run queued, so a run never pays for its predecessor's backlog: for auditd,
# the kernel audit backlog is empty twice in a row (its CPU is no signal: it
# audits every other process on the machine too); for cprwatchd, its CPU
# stays under 2 ms per 50 ms twice in a row.
settle() {
	local prev i quiet=0
	case $1 in
	baseline) return 0 ;;
	auditd)
		for ((i = 0; i < 100 && quiet < 2; i++)); do
			nap 0.05
			if [ "$(auditctl -s 2>/dev/null | awk '$1 == "backlog" {print $2}')" = 0 ]; then
				quiet=$((quiet + 1))
			else
				quiet=0
			fi
		done
		return 0 ;;
	esac
	monitor_cpu "$1"
	prev=$CPU_NS
	for ((i = 0; i < 100 && quiet < 2; i++)); do
		nap 0.05
		monitor_cpu "$1"
		if [ $((CPU_NS - prev)) -lt 2000000 ]; then quiet=$((quiet + 1)); else quiet=0; fi
		prev=$CPU_NS
	done
}

# The agent's BPF programs and its counters map, found through its fds
# (bpftool here cannot show owning pids).
AGENT_PROGS=
COUNTERS_MAP=
agent_ids() {
	local f m
	AGENT_PROGS=$(cat /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' |
		sort -un | paste -sd, -)
	COUNTERS_MAP=
	for f in /proc/"$AGENT_PID"/fdinfo/*; do
		m=$(sed -n 's/^map_id:[[:space:]]*//p' "$f" 2>/dev/null)
		[ -n "$m" ] || continue
		if [ "$(bpftool map show id "$m" -j 2>/dev/null | jq -r .name)" = counters ]; then
			COUNTERS_MAP=$m
			break
		fi
	done
	[ -n "$AGENT_PROGS" ] || die "cannot find the agent's BPF programs"
}

# "events drops" submitted by the probes so far (per-CPU counters summed).
agent_counters() {
	[ -n "$COUNTERS_MAP" ] || { echo "0 0"; return; }
	bpftool map dump id "$COUNTERS_MAP" -j 2>/dev/null | jq -r '
		def val: if .formatted then .formatted.values else
			[.values[] | {value: ([.value[] | ltrimstr("0x") | explode |
				map(if . >= 97 then . - 87 else . - 48 end) | .[0] * 16 + .[1]] |
				reverse | reduce .[] as $b (0; . * 256 + $b))}] end;
		[.[] | [val[].value] | add] | "\(.[0] // 0) \(.[1] // 0)"' 2>/dev/null || echo "0 0"
}

prog_stats() {	# prog_stats FILE: run_cnt and run_time_ns of the agent's programs
	bpftool prog show -j 2>/dev/null | jq -c --arg ids "$AGENT_PROGS" '
		($ids | split(",") | map(tonumber)) as $mine |
		[.[] | select(.id as $i | $mine | index($i)) |
		 {id, name, cnt: (.run_cnt // 0), ns: (.run_time_ns // 0)}]' > "$1"
}

start_agent() {
	rm -f "$T/ready" "$T/events.json"
	nice -n "$NICE" "$AGENT" -c "$T/cprwatch.conf" --events="$T/events.json" --ready-file "$T/ready" -v \
		> "$T/agent.out" 2> "$T/agent.log" &
	AGENT_PID=$!
	if ! wait_ready "$AGENT_PID" "$T/ready"; then
		cat "$T/agent.log" >&2
		die "cprwatchd did not become ready"
	fi
	agent_ids
}

finish_agent() {
	stop_agent
	sed -n 's/.*events: \([0-9]*\) received, \([0-9]*\) lost in the kernel.*/\1 \2/p' \
		"$T/agent.log" >> "$AGENT_TOTALS"
	cat "$T/agent.log" >> "$T/agent.all.log"
	rm -f "$T/events.json" "$T/agent.out" "$T/alerts.json"
}

# ---- auditd ----------------------------------------------------------------------

AUDIT_OK=0
AUDIT_WHY=
audit_prepare() {
	local st s spec=()
	[ "$USE_AUDITD" = 1 ] || { AUDIT_WHY="BENCH_AUDITD=0"; return; }
	command -v auditd >/dev/null && command -v auditctl >/dev/null ||
		{ AUDIT_WHY="auditd is not installed (make deps)"; return; }
	st=$(auditctl -s 2>&1) || { AUDIT_WHY="auditctl -s failed: $st"; return; }
	[ "$(awk '$1 == "pid" {print $2}' <<<"$st")" = 0 ] ||
		{ AUDIT_WHY="an audit daemon is already running"; return; }
	AUDIT_ORIG_ENABLED=$(awk '$1 == "enabled" {print $2}' <<<"$st")
	[ "$AUDIT_ORIG_ENABLED" != 2 ] || { AUDIT_WHY="the audit configuration is locked"; return; }
	[ "$(auditctl -l 2>/dev/null)" = "No rules" ] && AUDIT_RULES_WERE_EMPTY=1
	for s in $AUDIT_SYSCALLS; do
		ausyscall x86_64 "$s" >/dev/null 2>&1 && spec+=(-S "$s")
	done
	AUDIT_RULE=("always,exit" -F arch=b64 "${spec[@]}" -F "key=$AUDIT_KEY")
	# A private auditd.conf: the log goes to the work dir, nothing rotates
	# or suspends, otherwise Debian's defaults.
	sed -e "s|^log_file *=.*|log_file = $T/audit/audit.log|" \
	    -e 's/^max_log_file_action *=.*/max_log_file_action = IGNORE/' \
	    -e 's/^\(space_left\|admin_space_left\|disk_full\|disk_error\)_action *=.*/\1_action = IGNORE/' \
	    -e 's/^space_left *=.*/space_left = 2/' -e 's/^admin_space_left *=.*/admin_space_left = 1/' \
	    -e 's/^log_group *=.*/log_group = root/' -e 's/^use_libwrap *=.*/use_libwrap = no/' \
	    -e 's/^priority_boost *=.*/priority_boost = 0/' \
	    /etc/audit/auditd.conf > "$T/audit/auditd.conf" 2>/dev/null ||
		{ AUDIT_WHY="cannot read /etc/audit/auditd.conf"; return; }
	chmod 0640 "$T/audit/auditd.conf"
	AUDIT_ORIG_BACKLOG=$(awk '$1 == "backlog_limit" {print $2}' <<<"$st")
	# kauditd feeds auditd: it runs at the same priority as everything measured
	if [ -n "$KAUDITD_PID" ] && [ "$NICE" != 0 ]; then
		KAUDITD_ORIG_NICE=$(ps -o ni= -p "$KAUDITD_PID" | tr -d ' ')
		renice --priority "$NICE" -p "$KAUDITD_PID" >/dev/null 2>&1 || KAUDITD_ORIG_NICE=
	fi
	AUDIT_OK=1
}

# "lost" counter of the kernel audit queue.
audit_lost() { auditctl -s 2>/dev/null | awk '$1 == "lost" {print $2}'; }

start_auditd() {
	local i
	rm -f "$T"/audit/audit.log*
	nice -n "$NICE" auditd -n -c "$T/audit" > "$T/audit/auditd.out" 2>&1 &
	AUDITD_PID=$!
	for ((i = 0; i < 200; i++)); do
		[ "$(auditctl -s 2>/dev/null | awk '$1 == "pid" {print $2}')" = "$AUDITD_PID" ] && break
		kill -0 "$AUDITD_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ "$(auditctl -s 2>/dev/null | awk '$1 == "pid" {print $2}')" != "$AUDITD_PID" ]; then
		cat "$T/audit/auditd.out" >&2
		die "auditd did not register with the kernel"
	fi
	# Debian's audit.rules sizes the backlog at 8192; the kernel default (64)
	# would measure backlog waits, not auditing.
	auditctl -b 8192 >/dev/null || die "auditctl -b failed"
	auditctl -a "${AUDIT_RULE[@]}" >/dev/null || die "auditctl -a ${AUDIT_RULE[*]} failed"
}

audit_records() { wc -l < "$T/audit/audit.log" 2>/dev/null || echo 0; }

# ---- one timed run ----------------------------------------------------------------

# run_one MODE WORKLOAD REP [PROFILE_TAG]
run_one() {
	local mode=$1 w=$2 rep=$3 bin=$T/bin/plain dir=$T/plain args out ns
	local c0 c1 cpu0 cpu1 ev=0 drops=0 e0 d0 e1 d1 lost0 lost1 foreign wcpu
	if [ "$mode" = tracked ]; then
		bin=$T/bin/cprclient
		dir=$T/export
	fi
	case $w in
	exec) args=(exec "$N_EXEC") ;;
	file) args=(file "$dir" "$N_FILE") ;;
	net) args=(net "$N_NET") ;;
	esac
	case $mode in
	untracked | tracked) read -r e0 d0 <<<"$(agent_counters)" ;;
	auditd) lost0=$(audit_lost); c0=$(audit_records) ;;
	esac
	foreign=$(others_running | wc -w)
	[ -n "${4:-}" ] && prog_stats "$T/ps.before"
	monitor_cpu "$mode"
	cpu0=$CPU_NS
	# --foreground keeps the workload in our process group, so a ^C reaches it
	# (and fails the run: bash alone would ignore a ^C its child survived).
	out=$(nice -n "$NICE" timeout --foreground -k 5 "$RUN_TIMEOUT" "$bin" "${args[@]}") ||
		die "$mode/$w run $rep failed (exit $?): $out"
	monitor_cpu "$mode"
	cpu1=$CPU_NS
	[ -n "${4:-}" ] && prog_stats "$T/ps.after"
	ns=$(sed -n 's/.*elapsed_ns=\([0-9]*\).*/\1/p' <<<"$out")
	wcpu=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' <<<"$out")
	[ -n "$ns" ] && [ -n "$wcpu" ] || die "$mode/$w: unexpected workload output: $out"
	settle "$mode"
	case $mode in
	untracked | tracked)
		read -r e1 d1 <<<"$(agent_counters)"
		ev=$((e1 - e0)); drops=$((d1 - d0)) ;;
	auditd)
		lost1=$(audit_lost); c1=$(audit_records)
		ev=$((c1 - c0)); drops=$((lost1 - lost0)) ;;
	esac
	if [ -n "${4:-}" ]; then
		jq -r --arg m "$mode" --arg w "$w" --slurpfile a "$T/ps.before" '
			($a[0] | map({key: (.id|tostring), value: .}) | from_entries) as $b |
			.[] | . as $p | ($b[$p.id|tostring] // {cnt: 0, ns: 0}) as $o |
			select($p.cnt - $o.cnt > 0) |
			[$m, $w, $p.name, ($p.cnt - $o.cnt), ($p.ns - $o.ns)] | @tsv' \
			"$T/ps.after" >> "$PROBES"
		printf '%s\t%s\t%s\t%s\n' "$mode" "$w" "$ns" "$ev" >> "$T/profile_runs.tsv"
		return
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$w" "$rep" "$ns" "$ev" "$drops" \
		$((cpu1 - cpu0)) "$foreign" "$wcpu" >> "$RESULTS"
}

run_mode() {	# run_mode MODE REP: the three workloads, order rotated by REP
	local ws i n=3
	read -r -a ws <<<"$WORKLOADS"
	for ((i = 0; i < n; i++)); do
		run_one "$1" "${ws[$(((i + $2) % n))]}" "$2"
	done
}

others_running() {	# pids of other cprwatchd instances: their probes slow every mode
	local p
	for p in $(pgrep -x cprwatchd); do
		[ "$p" = "$AGENT_PID" ] || echo "$p"
	done
}

# ---- the runs ---------------------------------------------------------------------

audit_prepare
[ "$AUDIT_OK" = 1 ] || echo "overhead: skipping auditd: $AUDIT_WHY"
sysctl -q -w kernel.bpf_stats_enabled=0 >/dev/null

echo "overhead: $REPS interleaved repetitions of exec (N=$N_EXEC), file (N=$N_FILE)," \
	"net (N=$N_NET) under: baseline, cprwatchd untracked/tracked" \
	"$([ "$AUDIT_OK" = 1 ] && echo ", auditd")"
T0=$(now_ns)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# warm-up: page cache, binaries, TCP state; not recorded
for w in $WORKLOADS; do
	case $w in
	exec) "$T/bin/plain" exec 20 >/dev/null ;;
	file) "$T/bin/plain" file "$T/plain" 2000 >/dev/null ;;
	net) "$T/bin/plain" net 200 >/dev/null ;;
	esac || die "warm-up of $w failed"
done

DONE_REPS=0
for ((rep = 1; rep <= REPS; rep++)); do
	spent=$((($(now_ns) - T0) / 1000000000))
	if ((rep > 2 && spent + spent / (rep - 1) > BUDGET_S)); then
		echo "  stopping after $((rep - 1)) repetitions: the next would pass BENCH_BUDGET_S=$BUDGET_S"
		break
	fi
	# Alternate the order of the configurations so none always runs first.
	if ((rep % 2)); then
		order="baseline agent auditd"
	else
		order="auditd agent baseline"
	fi
	for cfg in $order; do
		case $cfg in
		baseline) run_mode baseline "$rep" ;;
		agent)
			start_agent
			if ((rep % 2)); then
				run_mode untracked "$rep"; run_mode tracked "$rep"
			else
				run_mode tracked "$rep"; run_mode untracked "$rep"
			fi
			finish_agent ;;
		auditd)
			[ "$AUDIT_OK" = 1 ] || continue
			start_auditd
			run_mode auditd "$rep"
			stop_auditd
			rm -f "$T"/audit/audit.log* ;;
		esac
	done
	DONE_REPS=$rep
	printf '  rep %d/%d done (%ds)\n' "$rep" "$REPS" $((($(now_ns) - T0) / 1000000000))
done

# Per-probe cost: a separate agent run with bpf_stats on (the accounting adds
# two clock reads per program run, so it stays off while timing).
if [ "$PROFILE" = 1 ]; then
	start_agent
	sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null || die "cannot enable kernel.bpf_stats_enabled"
	: > "$T/profile_runs.tsv"
	for mode in untracked tracked; do
		for w in $WORKLOADS; do
			run_one "$mode" "$w" 0 profile
		done
	done
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG" >/dev/null
	finish_agent
fi
ELAPSED_S=$((($(now_ns) - T0) / 1000000000))

# ---- report ---------------------------------------------------------------------

ncount() { case $1 in exec) echo "$N_EXEC" ;; file) echo "$N_FILE" ;; net) echo "$N_NET" ;; esac; }

# stats MODE WORKLOAD COLUMN: "median min max" of a results column over the reps
stats() {
	awk -F'\t' -v m="$1" -v w="$2" -v c="$3" '$1 == m && $2 == w {print $c}' "$RESULTS" |
		sort -n | awk '{v[NR] = $1} END {
			if (!NR) { print "0 0 0"; exit }
			med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.0f %.0f %.0f\n", med, v[1], v[NR] }'
}
sum_col() {
	awk -F'\t' -v m="$1" -v w="$2" -v c="$3" '$1 == m && $2 == w {s += $c} END {printf "%.0f\n", s}' "$RESULTS"
}

MODES="untracked tracked"
[ "$AUDIT_OK" = 1 ] && MODES="$MODES auditd"

echo
echo "== monitor work per run (medians over $DONE_REPS reps)"
echo "   events: records the probes submitted, every process's included (cprwatchd), or"
echo "   audit log lines (auditd); drops: lost in the kernel, summed over the reps (ring"
echo "   buffer full / audit 'lost'); CPU: the monitor's own threads (cprwatchd; auditd and"
echo "   kauditd) as % of the loop's wall time (BPF programs run in the workload's time)"
printf '%-9s %-5s %10s %10s %7s %7s\n' mode work events/run events/s drops CPU%
for m in $MODES; do
	for w in $WORKLOADS; do
		read -r ev _ <<<"$(stats $m $w 5)"
		read -r ns _ <<<"$(stats $m $w 4)"
		awk -v m=$m -v w=$w -v ev="$ev" -v ns="$ns" -v d="$(sum_col $m $w 6)" \
			-v c="$(sum_col $m $w 7)" -v t="$(sum_col $m $w 4)" 'BEGIN {
			printf "%-9s %-5s %10d %10.0f %7d %6.1f%%\n", m, w, ev, ns ? ev / (ns / 1e9) : 0, d,
				t ? 100 * c / t : 0 }'
	done
done
if [ -s "$AGENT_TOTALS" ]; then
	awk '{r += $1; l += $2; n++} END {
		printf "cprwatchd exit logs (%d runs of the agent): %d events received, %d lost in the kernel\n",
			n, r, l }' "$AGENT_TOTALS"
fi

if [ "$PROFILE" = 1 ] && [ -s "$PROBES" ]; then
	echo
	echo "== per-probe cost (kernel.bpf_stats_enabled=1, in one extra agent run: one loop per"
	echo "   mode and workload).  BPF/op: every agent program's run time per loop iteration;"
	echo "   wall: that loop with stats on.  Top programs by total run time:"
	for m in untracked tracked; do
		for w in $WORKLOADS; do
			awk -F'\t' -v m=$m -v w=$w -v n="$(ncount $w)" -v wall="$(awk -F'\t' -v m=$m -v w=$w \
				'$1 == m && $2 == w {print $3}' "$T/profile_runs.tsv")" '
				$1 == m && $2 == w {t += $5; c += $4} END {
				printf "%s/%s: %d program runs, %.1f ms in BPF, BPF/op %.2f us, wall %.1f ms\n",
					m, w, c, t / 1e6, t / n / 1e3, wall / 1e6 }' "$PROBES"
			awk -F'\t' -v m=$m -v w=$w '$1 == m && $2 == w' "$PROBES" | sort -t$'\t' -k5,5nr | head -5 |
				awk -F'\t' '{printf "    %-18s %8d runs %8.2f ms %7.0f ns/run\n", $3, $4, $5 / 1e6, $5 / $4}'
		done
	done
fi

echo
echo "== noise check.  spread: (max - min) / median of the wall times over the reps;"
echo "   min: fastest run / fastest baseline run (other load only ever adds time)"
printf '%-8s | %8s' workload baseline
for m in $MODES; do printf ' | %-9s %6s' "$m" min; done
echo
for w in $WORKLOADS; do
	read -r bmed bmin bmax <<<"$(stats baseline $w 4)"
	printf '%-8s | %7.0f%%' $w "$(awk -v a="$bmed" -v l="$bmin" -v h="$bmax" 'BEGIN {print a ? 100 * (h - l) / a : 0}')"
	for m in $MODES; do
		read -r med min max <<<"$(stats $m $w 4)"
		awk -v a="$med" -v l="$min" -v h="$max" -v bl="$bmin" 'BEGIN {
			printf " | %8.0f%% %6.3f", a ? 100 * (h - l) / a : 0, bl ? l / bl : 0 }'
	done
	echo
done
foreign=$(awk -F'\t' '$8 > 0' "$RESULTS" | wc -l)
if [ "$foreign" -gt 0 ]; then
	echo "WARNING: another cprwatchd was running during $foreign of $(wc -l < "$RESULTS") runs;" \
		"its probes slow every mode (baseline too): rerun on a quiet machine for clean figures"
fi

echo
echo "== cprwatchd overhead: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs,"
echo "   $DONE_REPS interleaved reps at nice $NICE, ${ELAPSED_S}s, load average $LOAD0 -> $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   ms: median wall time of the loop; ratio: to the baseline's median; cpu: the same"
echo "   ratio on the workload's CPU time (steadier on a loaded machine); +us/op: wall time"
echo "   added per loop iteration"
printf '%-8s %6s | %9s' workload N baseline
for m in $MODES; do printf ' | %9s %6s %6s %8s' "$m" ratio cpu "+us/op"; done
echo
for w in $WORKLOADS; do
	n=$(ncount $w)
	read -r bmed _ <<<"$(stats baseline $w 4)"
	read -r bcpu _ <<<"$(stats baseline $w 9)"
	printf '%-8s %6d | %9.1f' $w "$n" "$(awk -v a="$bmed" 'BEGIN {print a / 1e6}')"
	for m in $MODES; do
		read -r med _ <<<"$(stats $m $w 4)"
		read -r cpu _ <<<"$(stats $m $w 9)"
		awk -v a="$med" -v b="$bmed" -v c="$cpu" -v bc="$bcpu" -v n="$n" 'BEGIN {
			printf " | %9.1f %6.3f %6.3f %8.2f", a / 1e6, b ? a / b : 0, bc ? c / bc : 0, (a - b) / n / 1e3 }'
	done
	echo
done
[ "$AUDIT_OK" = 1 ] || echo "(auditd skipped: $AUDIT_WHY)"
[ "${BENCH_KEEP:-0}" = 1 ] && echo "raw results: $RESULTS"
exit 0
