#!/usr/bin/env bash
# TLS look-up probes (issue 12): what they cost an untracked program (nothing
# is attached to it: the ratio should be 1) and what they cost a tracked CPR
# client per request.  Root only.  CPU time (user + sys) of the measured
# process, medians of RUNS runs; baselines are taken in the same invocation.
#   1. untracked curl: N HTTPS look-ups over one keep-alive connection to a
#      local python3 server, no agent vs agent running;
#   2. untracked SSL_write/SSL_read loop (bench/ssl_loop, BIO pair, 64-byte
#      records): no agent vs agent running;
#   3. the same curl as a tracked CPR client with the agent: the extra CPU
#      per request against the untracked run, and the TLS programs' own
#      kernel time per call (bpf_stats run_time_ns / run_cnt).
set -u
cd "$(dirname "$0")/.." || exit 1
OUTPUT=${OUTPUT:-$PWD/build}
RUNS=${BENCH_RUNS:-5}
N=${BENCH_TLS_REQUESTS:-500}
LOOPS=${BENCH_SSL_LOOPS:-200000}
[ "$(id -u)" = 0 ] || { echo "tls.sh: needs root"; exit 2; }
T=$(mktemp -d /tmp/cprwatch-bench-tls.XXXXXX)
chmod 0755 "$T"
SRV= AGENT=
STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	[ -n "$AGENT" ] && kill -INT "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null || exit 1
"$OUTPUT/tests/cprw_gen" list 1000 7 > "$T/numbers.txt"
python3 tests/integration/lookup_server.py "$T/numbers.txt" "$T/cert.pem" "$T/key.pem" > "$T/port" &
SRV=$!
for _ in $(seq 1 100); do read -r line 2>/dev/null < "$T/port" && break; sleep 0.05; done
PORT=${line#port=}
for ((i = 0; i < N; i++)); do
	printf 'url = "https://127.0.0.1:%s/api/person/%d"\noutput = "/dev/null"\n' "$PORT" "$i"
done > "$T/urls"
mkdir -p "$T/bin"
cp "$(command -v curl)" "$T/bin/cprclient-curl"
cat > "$T/conf" <<CONF
[agent]
state_dir = $T/state
[cpr_clients]
path = $T/bin/cprclient-curl
[rules.lookup_burst]
endpoint = 127.0.0.1:$PORT
request = GET /api/person/*
[output]
stdout = no
alert_log =
[control]
socket = $T/control.sock
CONF
chmod 0600 "$T/conf"

cpu_of() {	# cpu_of CMD...: user+sys seconds of CMD (and its children)
	local s
	s=$( { /usr/bin/env TIMEFORMAT='%U %S' bash -c 'time "$@" > /dev/null' _ "$@"; } 2>&1 | tail -1)
	awk -v s="$s" 'BEGIN { split(s, a, " "); printf "%.4f\n", a[1] + a[2] }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
curl_run() { cpu_of "$1" -s --cacert "$T/cert.pem" -K "$T/urls"; }
ssl_run() { "$OUTPUT/bench/ssl_loop" "$T/cert.pem" "$T/key.pem" "$LOOPS" 64; }
measure() {	# measure NAME CMD...: median CPU seconds
	local r
	for ((r = 0; r < RUNS; r++)); do "$@"; done | median
}
start_agent() {
	rm -f "$T/ready"
	"$OUTPUT/cprwatchd" -c "$T/conf" --ready-file "$T/ready" 2> "$T/agent.log" &
	AGENT=$!
	for _ in $(seq 1 200); do [ -e "$T/ready" ] && return; sleep 0.05; done
	echo "tls.sh: agent did not start"; cat "$T/agent.log"; exit 1
}
stop_agent() { kill -INT "$AGENT"; wait "$AGENT" 2>/dev/null; AGENT=; }
agent_cpu() {	# the agent's user+sys seconds so far
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.4f\n", ($14 + $15) / hz }' "/proc/$AGENT/stat"
}
tls_prog_stats() {	# run_cnt and run_time_ns summed over the tls_* programs
	bpftool prog show -j | jq -r '[.[] | select(.name | startswith("tls_"))] |
		"\(map(.run_cnt // 0) | add // 0) \(map(.run_time_ns // 0) | add // 0)"'
}

base_curl=$(measure curl_run curl)
base_ssl=$(measure ssl_run)
sysctl -q -w kernel.bpf_stats_enabled=1
start_agent
agent_curl=$(measure curl_run curl)
agent_ssl=$(measure ssl_run)
before=$(tls_prog_stats)
agent0=$(agent_cpu)
tracked_curl=$(measure curl_run "$T/bin/cprclient-curl")
sleep 1
agent1=$(agent_cpu)
after=$(tls_prog_stats)
stop_agent

awk -v bc="$base_curl" -v ac="$agent_curl" -v bs="$base_ssl" -v as="$agent_ssl" \
    -v tc="$tracked_curl" -v n="$N" -v loops="$LOOPS" -v runs="$RUNS" \
    -v b="$before" -v a="$after" -v a0="$agent0" -v a1="$agent1" 'BEGIN {
	split(b, x, " "); split(a, y, " ");
	cnt = y[1] - x[1]; ns = y[2] - x[2];
	printf "untracked curl, %d HTTPS look-ups on one connection (CPU s, median of %d):\n", n, runs
	printf "  no agent %.4f   agent %.4f   ratio %.3f\n", bc, ac, bc ? ac / bc : 0
	printf "untracked SSL_write+SSL_read loop, %d records of 64 B (CPU s):\n", loops
	printf "  no agent %.4f   agent %.4f   ratio %.3f\n", bs, as, bs ? as / bs : 0
	printf "tracked CPR client (same curl, TLS probes attached):\n"
	printf "  CPU %.4f s vs untracked %.4f s: %+.1f us per request (curl process only)\n",
	       tc, ac, (tc - ac) * 1e6 / n
	printf "  agent CPU for the tracked runs: %.1f us per request (parse, scan, count)\n",
	       (a1 - a0) * 1e6 / (n * runs)
	if (cnt > 0)
		printf "  TLS programs: %d runs, %.2f us kernel time per run, %.1f runs per request\n",
		       cnt, ns / cnt / 1000, cnt / (n * runs)
}'
