#!/usr/bin/env bash
# Look-ups inside one keep-alive connection, in the clear and inside TLS.
# Debian's curl (OpenSSL), copied to a watched path so it is the CPR client,
# fetches 1,500 person records over ONE connection from a local HTTPS server
# (python3 http.server, HTTP/1.1 keep-alive, a certificate made here), as a
# non-root user with a login uid; each response holds one synthetic CPR
# number, 1,200 distinct.  Expected: lookup_burst from the request count
# (TLS uprobes attached to that curl alone), persons_viewed with 1,200, the
# same look-ups over plain HTTP counted as request/response turns, the same
# look-ups by the untracked /usr/bin/curl raise nothing and hit no uprobe,
# and the user's daily totals survive an agent restart.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v curl >/dev/null || cannot_run "curl is not installed (make deps)"
command -v openssl >/dev/null || cannot_run "openssl is not installed (make deps)"
command -v python3 >/dev/null || cannot_run "python3 is not installed (make deps)"
setup_tmp

USER_ID=4242
SEED=$RANDOM
N=1500
mkdir -p "$T/bin" "$T/state"
cp "$(command -v curl)" "$T/bin/cprclient-curl"
"$HELPERS/cprw_gen" list 1200 "$SEED" > "$T/numbers.txt"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
	cannot_run "openssl cannot make a test certificate"
chmod 0644 "$T/cert.pem"

servers=()
start_server() {	# start_server VAR [cert key]: port into VAR
	local var=$1 line=
	shift
	python3 "$(dirname "$0")/lookup_server.py" "$T/numbers.txt" "$@" > "$T/$var" &
	servers+=("$!")
	for _ in $(seq 1 100); do
		read -r line 2>/dev/null < "$T/$var" && break
		sleep 0.05
	done
	[ -n "$line" ] || { echo "FAIL: the test server did not start"; exit 1; }
	printf -v "$var" '%s' "${line#port=}"
}
start_server TLS_PORT "$T/cert.pem" "$T/key.pem"
start_server HTTP_PORT
trap 'kill "${servers[@]}" 2>/dev/null; cleanup' EXIT

# The look-ups: one curl command line, N URLs, one keep-alive connection.
url_config() {	# url_config SCHEME PORT FILE
	local i
	for ((i = 0; i < N; i++)); do
		printf 'url = "%s://127.0.0.1:%s/api/person/%d"\noutput = "/dev/null"\n' "$1" "$2" "$i"
	done > "$3"
	chmod 0644 "$3"
}
url_config https "$TLS_PORT" "$T/tls.curl"
url_config http "$HTTP_PORT" "$T/http.curl"

# As user 4242 with login uid 4242, as a caseworker's session would be.
as_user() {
	bash -c 'echo '$USER_ID' > /proc/self/loginuid && exec setpriv --reuid='$USER_ID' \
		--regid='$USER_ID' --clear-groups "$@"' as_user "$@"
}

# Three earlier days of 50 persons each: the user's baseline before the test.
today=$(python3 -c 'import time; t = time.time(); print(int((t + time.localtime(t).tm_gmtoff) // 86400))')
for d in 1 2 3; do echo "$USER_ID $((today - d)) 50"; done > "$T/state/persons_viewed"

write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
state_dir = $T/state
[output]
stdout = no
[cpr_clients]
path = $T/bin/cprclient-curl
[rules.lookup_burst]
per_hour = 1000
off_hours_per_hour = 1000
endpoint = 127.0.0.1:$TLS_PORT
endpoint = 127.0.0.1:$HTTP_PORT
request = GET /api/person/*
[rules.persons_viewed]
per_day = 300
baseline_factor = 100
CONF

sysctl -q -w kernel.bpf_stats_enabled=1
trap 'sysctl -q -w kernel.bpf_stats_enabled=0; kill "${servers[@]}" 2>/dev/null; cleanup' EXIT
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
alerts() { jq -c "select($1)" "$T/alerts.json"; }
tls_runs() {	# run_cnt of the agent's TLS programs, summed
	bpftool prog show -j | jq '[.[] | select(.name | startswith("tls_")) | (.run_cnt // 0)] | add // 0'
}

echo "untracked /usr/bin/curl: the same $N look-ups over TLS"
before=$(tls_runs)
as_user curl -s --cacert "$T/cert.pem" -K "$T/tls.curl" || echo "  FAIL: untracked curl failed"
sleep 1
expect_eq "no TLS uprobe ran for the untracked curl" "$(tls_runs)" "$before"

echo "tracked curl over TLS keep-alive"
as_user "$T/bin/cprclient-curl" -s --cacert "$T/cert.pem" -K "$T/tls.curl" ||
	echo "  FAIL: tracked curl failed"
echo "tracked curl over plain HTTP keep-alive"
as_user "$T/bin/cprclient-curl" -s -K "$T/http.curl" || echo "  FAIL: tracked curl (http) failed"
sleep 2
"$OUTPUT/cprwatchctl" status --json > "$T/status.json" || true
stop_agent

tls_pid=$(events ".event==\"tls\" and .comm==\"cprclient-curl\"" | jq -r .pid | sort -u | head -1)
expect_eq "TLS writes of the tracked curl carry its requests" \
	"$(events ".event==\"tls\" and .dir==\"write\" and .pid==$tls_pid" | wc -l)" "$N"
expect_eq "responses scanned: one CPR number each" \
	"$(events ".event==\"tls\" and .dir==\"read\" and .cpr_distinct==1" | wc -l)" "$N"
expect_eq "no TLS event from any other process" \
	"$(events ".event==\"tls\" and .comm!=\"cprclient-curl\"" | wc -l)" 0
expect_eq "the plain HTTP connection's turns add up to the requests" \
	"$(events ".event==\"turns\" and .dport==$HTTP_PORT" | jq -s 'map(.turns)|add')" "$N"
expect_eq "one connection for all look-ups (plain HTTP)" \
	"$(events ".event==\"connect\" and .addr==\"127.0.0.1\" and .port==$HTTP_PORT" | wc -l)" 1
expect_eq "lookup_burst for the TLS client: the 1001st request" \
	"$(alerts ".rule==\"lookup_burst\" and .pid==$tls_pid and .counts.suppressed==null" | jq -r .counts.events)" 1001
expect_eq "lookup_burst's user is the login user" \
	"$(alerts ".rule==\"lookup_burst\" and .counts.suppressed==null" | jq -r .loginuid | sort -u)" "$USER_ID"
expect_eq "persons_viewed: 1,200 persons, with the 3-day baseline of 50" \
	"$(alerts ".rule==\"persons_viewed\" and .counts.suppressed==null" | jq -r '[.counts.persons, .counts.baseline_daily_mean, .counts.baseline_days, .pid]|join(" ")')" \
	"1200 50 3 $tls_pid"
expect_eq "status: the user's look-ups in the last hour and persons today" \
	"$(jq -r ".users[] | select(.loginuid==$USER_ID) | [.lookups_last_hour, .persons_today, .persons_daily_mean] | join(\" \")" "$T/status.json")" \
	"$((2 * N + 1)) 1200 50"
expect_eq "the day's total is on disk" "$(grep -c "^$USER_ID $today 1200\$" "$T/state/persons_viewed")" 1

echo "agent restart keeps the user's days"
mv "$T/events.json" "$T/events1.json"
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts2.json"
"$OUTPUT/cprwatchctl" status --json > "$T/status2.json" || true
stop_agent
expect_eq "after restart: persons today and the baseline" \
	"$(jq -r ".users[] | select(.loginuid==$USER_ID) | [.persons_today, .persons_daily_mean, .persons_baseline_days] | join(\" \")" "$T/status2.json")" \
	"1200 50 3"

hits=$(cat "$T/events1.json" "$T/events.json" "$T/alerts.json" "$T/agent.log" "$T/status.json" "$T/state/persons_viewed" |
	grep -c -w -F -f "$T/numbers.txt")
expect_eq "synthetic numbers found in events, alerts, logs, status, state" "$hits" 0
finish
