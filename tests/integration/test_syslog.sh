#!/usr/bin/env bash
# Remote syslog sinks and the durable spool against a real rsyslogd (Debian's
# rsyslog + rsyslog-gnutls), started here on loopback with a config of its
# own (syslog/rsyslog.conf.in): no system socket, no system files, internal
# messages kept in its own log.  rsyslog writes per input the raw message and
# its own parse (RFC 5424 header, structured data via mmpstrucdata, CEF via
# mmnormalize), so both the bytes on the wire and what a SOC's receiver makes
# of them are checked:
#   1. a test alert arrives as RFC 5424 over TCP, TLS (server verified against
#      the test's CA) and UDP, and as CEF; a TLS sink facing a certificate of
#      another CA stays down with a verification error in status --json
#   2. a real bulk_export alert whose path and argv hold " ] \ = | UTF-8 and a
#      newline: the receiver's parsed SD param and CEF extension give back the
#      original path (RFC 5424 has no escape for a newline: see there)
#   3. outage: 1000 alerts while the receiver is down, the agent killed with
#      SIGKILL and restarted on the same spool: all 1000 arrive (duplicates
#      allowed, counted)
#   4. a torn record at the end of the newest spool segment: the agent starts,
#      logs the truncation, and delivers everything before it
#   5. heartbeat_interval = 2: a heartbeat with counters arrives within 5 s
. "$(dirname "$0")/lib.sh"
need_bpf
command -v rsyslogd >/dev/null || cannot_run "rsyslog is not installed (make deps)"
compgen -G "/usr/lib/*/rsyslog/lmnsd_gtls.so" >/dev/null ||
	cannot_run "rsyslog-gnutls is not installed (make deps)"
command -v openssl >/dev/null || cannot_run "openssl is not installed (make deps)"
command -v ss >/dev/null || cannot_run "ss (iproute2) is not installed"
setup_tmp
CTL=$OUTPUT/cprwatchctl
CONF_DIR=$(cd "$(dirname "$0")/syslog" && pwd)
RX=$T/rx
SD='."rfc5424-sd"."cprwatch@32473"'
RSYSLOG_PID=
trap 'stop_rsyslog; cleanup' EXIT

# ---- the receiver -----------------------------------------------------------

# pick_port VAR: a port no socket uses (TCP or UDP, any state), not yet
# picked, below the ephemeral range so that no outgoing connection takes it
# while rsyslogd is down between restarts
PICKED=" "
EPHEMERAL_LOW=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[ "${EPHEMERAL_LOW:-0}" -gt 12000 ] || EPHEMERAL_LOW=32768
pick_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
		case $PICKED in *" $p "*) continue ;; esac
		[ -z "$(ss -Htuan "sport = :$p")" ] && break
	done
	PICKED="$PICKED$p "
	printf -v "$1" %s "$p"
}

# CA + server certificate for 127.0.0.1/localhost, and a second CA with a
# server certificate of its own (the "rogue" receiver).
make_pki() {
	local d=$T/pki ca
	mkdir -p "$d"
	for ca in ca otherca; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cprwatch test $ca" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign \
			-keyout "$d/$ca.key" -out "$d/$ca.pem" 2>> "$d/openssl.log" || return 1
	done
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$d/ext"
	for pair in server:ca rogue:otherca; do
		openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
			-keyout "$d/${pair%:*}.key" -out "$d/${pair%:*}.csr" 2>> "$d/openssl.log" &&
		openssl x509 -req -in "$d/${pair%:*}.csr" -CA "$d/${pair#*:}.pem" \
			-CAkey "$d/${pair#*:}.key" -CAcreateserial -days 2 -extfile "$d/ext" \
			-out "$d/${pair%:*}.pem" 2>> "$d/openssl.log" || return 1
	done
}

start_rsyslog() {
	rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" >> "$T/rsyslogd.out" 2>&1 &
	RSYSLOG_PID=$!
	for _ in $(seq 1 100); do	# 10 s: three TCP listeners and one UDP
		[ "$(ss -Htuln "( sport = :$TCP_PORT or sport = :$TLS_PORT or sport = :$ROGUE_PORT \
			or sport = :$UDP_PORT )" | wc -l)" -ge 4 ] && return 0
		kill -0 "$RSYSLOG_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: rsyslogd did not start listening"
	cat "$T/rsyslogd.out" "$RX/rsyslogd.log" 2>/dev/null
	exit 1
}

stop_rsyslog() {
	[ -n "$RSYSLOG_PID" ] || return 0
	kill -TERM "$RSYSLOG_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$RSYSLOG_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$RSYSLOG_PID" 2>/dev/null
	wait "$RSYSLOG_PID" 2>/dev/null
	RSYSLOG_PID=
}

# rx INPUT [FROM_LINE]: rsyslog's parse of what INPUT (tcp tls rogue udp)
# received, one JSON object per line, from line FROM_LINE on (default 1); a
# line still being written is skipped.
rx() {
	[ -e "$RX/$1.json" ] || return 0
	tail -n +"${2:-1}" "$RX/$1.json" | jq -c -R 'fromjson? // empty'
}
rx_lines() { if [ -e "$RX/$1.json" ]; then wc -l < "$RX/$1.json"; else echo 0; fi; }

# wait_until SECONDS COMMAND...: poll every 0.2 s; false when time ran out.
# COMMAND runs at every poll: no "$(...)" in it, that would expand once.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# the RFC 5424 message of alert $2 on input $1, and its CEF message
rx_5424() { rx "$1" | jq -c "select($SD.id == \"$2\")" | head -1; }
rx_cef() { rx "$1" | jq -c "select(.cef.Extensions.externalId == \"$2\")" | head -1; }
nonempty() { [ -n "$("$@")" ]; }	# nonempty COMMAND...: it printed something
has_5424() { [ -n "$(rx_5424 "$1" "$2")" ]; }
has_cef() { [ -n "$(rx_cef "$1" "$2")" ]; }
both_on_tcp() { has_5424 tcp "$1" && has_cef tcp "$1"; }

sink_field() {	# sink_field NAME JQ: from status --json .sinks[]
	"$CTL" status --json | jq -r ".sinks[] | select(.name == \"$1\") | $2"
}

mkdir -p "$RX" "$T/rsyslog-work" "$T/bin" "$T/Downloads"
make_pki || { cat "$T/pki/openssl.log"; echo "FAIL: cannot make certificates"; exit 1; }
pick_port TCP_PORT; pick_port TLS_PORT; pick_port ROGUE_PORT; pick_port UDP_PORT
sed -e "s|@WORK@|$T/rsyslog-work|g; s|@RX@|$RX|g; s|@PKI@|$T/pki|g; s|@CONF_DIR@|$CONF_DIR|g" \
	-e "s|@TCP_PORT@|$TCP_PORT|g; s|@TLS_PORT@|$TLS_PORT|g; s|@ROGUE_PORT@|$ROGUE_PORT|g" \
	-e "s|@UDP_PORT@|$UDP_PORT|g" "$CONF_DIR/rsyslog.conf.in" > "$T/rsyslog.conf"
if ! rsyslogd -N1 -f "$T/rsyslog.conf" > "$T/rsyslog-check.log" 2>&1; then
	cat "$T/rsyslog-check.log"
	echo "FAIL: rsyslogd rejects the test's receiver config"
	exit 1
fi

# ---- 1, 2, 5: formats, transports, special characters, heartbeat ------------

cp "$HELPERS/cprw_gen" "$T/bin/cprclient"
sinks() {	# sinks SPOOL_DIR NAME...: the [spool] and [syslog.NAME] sections
	local dir=$1
	shift
	printf '[spool]\ndir = %s\nfsync = always\n' "$dir"
	for n in "$@"; do
		printf '[syslog.%s]\nhost = 127.0.0.1\nfacility = local4\n' "$n"
		case $n in
		tcp) printf 'transport = tcp\nport = %s\nformat = rfc5424\n' "$TCP_PORT" ;;
		cef) printf 'transport = tcp\nport = %s\nformat = cef\n' "$TCP_PORT" ;;
		tls) printf 'transport = tls\nport = %s\nca_file = %s\n' "$TLS_PORT" "$T/pki/ca.pem" ;;
		rogue) printf 'transport = tls\nport = %s\nca_file = %s\n' "$ROGUE_PORT" \
			"$T/pki/ca.pem" ;;
		udp) printf 'transport = udp\nport = %s\n' "$UDP_PORT" ;;
		esac
	done
}
write_config "$T/formats.conf" <<CONF
[agent]
rescan_interval = 0
heartbeat_interval = 2
[cpr_clients]
path = $T/bin/cprclient
[export_paths]
local = $T/Downloads
[output]
stdout = no
$(sinks "$T/spool-formats" tcp tls rogue udp cef)
CONF

start_rsyslog
start_agent "$T/formats.conf" --alert-log "$T/alerts.json"
AGENT_START=$SECONDS

echo "heartbeat (heartbeat_interval = 2):"
hb_5424() { rx tcp | jq -c 'select(.msgid == "heartbeat" and ."rfc5424-sd")' | head -1; }
wait_until 5 nonempty hb_5424
expect_eq "a heartbeat within 5 s of the agent's start" \
	"$([ -n "$(hb_5424)" ] && [ $((SECONDS - AGENT_START)) -le 6 ] && echo yes)" yes
expect_eq "heartbeat: app-name, msgid, info severity, local4" \
	"$(hb_5424 | jq -r '[.app_name, .msgid, .severity, .facility] | join(" ")')" \
	"cprwatch heartbeat info local4"
expect_eq "heartbeat: counters are numbers, 5 sinks" \
	"$(hb_5424 | jq -r "$SD | [(.uptime, .events, .kernel_drops, .alerts, .spool_depth,
		.spool_dropped, .scans_dropped, .sinks_up | test(\"^[0-9]+\$\")), .sinks] |
		map(tostring) | join(\" \")")" \
	"true true true true true true true true 5"
expect_eq "heartbeat: version and config hash" \
	"$(hb_5424 | jq -r "$SD | [.version, (.config_sha256 | test(\"^[0-9a-f]{64}\$\"))] |
		map(tostring) | join(\" \")")" \
	"$("$CTL" status --json | jq -r .version) true"
hb_cef() { rx tcp | jq -c 'select(.msgid == "heartbeat" and .cef)' | head -1; }
wait_until 5 nonempty hb_cef
expect_eq "heartbeat as CEF, counters labelled" \
	"$(hb_cef | jq -r '.cef | [.SignatureID, .Extensions.cn1Label, (.Extensions.cn1 | test("^[0-9]+$"))] |
		map(tostring) | join(" ")')" \
	"heartbeat uptimeSeconds true"

echo "test alert over tcp, tls, udp and as CEF:"
out=$("$CTL" test-alert)
expect_eq "test-alert exits 0" "$?" 0
ID=$(sed -n 's/^test alert \([0-9a-f-]*\) sent$/\1/p' <<<"$out")
expect_eq "the id printed is the alert log's" \
	"$(jq -r 'select(.rule == "test_alert") | .alert_id' "$T/alerts.json" | tail -1)" "$ID"
ALERT=$(jq -c "select(.alert_id == \"$ID\")" "$T/alerts.json")
arrived() { has_5424 tcp "$ID" && has_5424 tls "$ID" && has_5424 udp "$ID" && has_cef tcp "$ID"; }
wait_until 10 arrived
# what rsyslog's parse must say: pri 165 = local4 (20) * 8 + notice (5, a low alert)
want=$(jq -r '["165", "1", .time, .host, "cprwatch", "test_alert", .alert_id, .rule,
	.severity, .summary] | join("|")' <<<"$ALERT")
for input in tcp tls udp; do
	expect_eq "$input: RFC 5424 as parsed by rsyslog" \
		"$(rx_5424 $input "$ID" | jq -r "[.pri, .protocol_version, .timestamp, .hostname,
			.app_name, .msgid, $SD.id, $SD.rule, $SD.severity, .msg] | join(\"|\")")" "$want"
	expect_eq "$input: raw line holds id=\"<uuid>\" in the cprwatch@32473 element" \
		"$(rx_5424 $input "$ID" | jq -r '.raw | test("^<165>1 [^ ]+ [^ ]+ cprwatch [0-9]+ test_alert \\[cprwatch@32473 id=\"'"$ID"'\" ")')" \
		true
done
expect_eq "tcp: PROCID is the agent's pid" "$(rx_5424 tcp "$ID" | jq -r .procid)" "$AGENT_PID"
expect_eq "CEF: header as parsed by liblognorm" \
	"$(rx_cef tcp "$ID" | jq -r '.cef | [.DeviceVendor, .DeviceProduct, .SignatureID, .Severity] |
		join("|")')" "cprwatch|cprwatch|test_alert|3"
expect_eq "CEF: extension fields" \
	"$(rx_cef tcp "$ID" | jq -r '.cef.Extensions | [.externalId, .cs1Label, .cs1, .suser,
		(.rt | test("^[0-9]{13}$"))] | map(tostring) | join(" ")')" \
	"$ID rule test_alert root true"
expect_eq "CEF: raw line, empty SD, MSG starts CEF:0|cprwatch|cprwatch|" \
	"$(rx_cef tcp "$ID" | jq -r '[(.raw | test(" test_alert - CEF:0\\|cprwatch\\|cprwatch\\|")),
		.structured_data, (.msg | startswith("CEF:0|cprwatch|cprwatch|"))] | map(tostring) | join(" ")')" \
	"true - true"
expect_eq "CEF: rt is the alert's time" \
	"$(rx_cef tcp "$ID" | jq -r '.cef.Extensions.rt')" \
	"$(jq -r '.time | sub("\\.(?<f>[0-9]{3})[0-9]*Z$"; "Z") as $s | (($s | fromdateiso8601) * 1000 +
		(.[20:23] | tonumber)) | tostring' <<<"$ALERT")"

echo "TLS with a server certificate of another CA:"
rogue_error() { sink_field rogue .last_error | grep -v '^null$'; }
wait_until 10 nonempty rogue_error
expect_eq "rogue sink is not up" "$(sink_field rogue .state)" down
expect_eq "its last_error is a certificate verification failure" \
	"$(sink_field rogue .last_error | grep -ci 'verif')" 1
expect_eq "it keeps the alert spooled" "$(sink_field rogue '.spool_depth >= 1')" true
expect_eq "the rogue receiver got nothing" "$(rx_lines rogue)" 0
expect_eq "the verified sinks are up" \
	"$(for s in tcp tls udp cef; do sink_field $s .state; done | sort -u)" up

echo "special characters in path and argv:"
# " ] \ = | and UTF-8; the second one with a newline as well
NAME1='ex"p]o\r=t|ø'
NAME2=$NAME1$'\n''nl [x]'
for n in "$NAME1" "$NAME2"; do
	mkdir -p "$T/Downloads/$n"
	"$T/bin/cprclient" text "$T/Downloads/$n/cpr.csv" 30 $RANDOM
done
bulk() { jq -c --arg p "$T/Downloads/$1/cpr.csv" 'select(.rule == "bulk_export" and .file.path == $p)' \
	"$T/alerts.json" | head -1; }
wait_until 10 nonempty bulk "$NAME2"
for k in 1 2; do
	[ $k = 1 ] && n=$NAME1 || n=$NAME2
	A=$(bulk "$n")
	if [ -z "$A" ]; then
		expect_eq "name $k: bulk_export alert for $T/Downloads/$n/cpr.csv" none one
		continue
	fi
	aid=$(jq -r .alert_id <<<"$A")
	wait_until 10 both_on_tcp "$aid"
	path=$(jq -r .file.path <<<"$A")
	argv=$(jq -r '.process_chain[0].argv' <<<"$A")
	expect_eq "name $k: the alert's argv holds the path" \
		"$(jq -r --arg p "$path" '.process_chain[0].argv | contains($p)' <<<"$A")" true
	# jq -j: no newline added, so a trailing newline would show
	cef_path=$(rx_cef tcp "$aid" | jq -j '.cef.Extensions.filePath')
	expect_eq "name $k: CEF filePath unescapes to the path" "$cef_path" "$path"
	expect_eq "name $k: CEF fname is the file name" \
		"$(rx_cef tcp "$aid" | jq -j '.cef.Extensions.fname')" cpr.csv
	expect_eq "name $k: CEF cs6 (argv) unescapes to argv" \
		"$(rx_cef tcp "$aid" | jq -j '.cef.Extensions | select(.cs6Label == "argv") | .cs6')" "$argv"
	expect_eq "name $k: CEF Name (header) unescapes to the summary, controls as spaces" \
		"$(rx_cef tcp "$aid" | jq -j '.cef.Name')" "$(jq -j '.summary | gsub("\n"; " ")' <<<"$A")"
	if [ $k = 1 ]; then
		expect_eq "name $k: SD file unescapes to the path" \
			"$(rx_5424 tcp "$aid" | jq -j "$SD.file")" "$path"
		expect_eq "name $k: SD argv unescapes to argv" \
			"$(rx_5424 tcp "$aid" | jq -j "$SD.argv")" "$argv"
		expect_eq "name $k: raw SD escapes \" ] \\ only" \
			"$(rx_5424 tcp "$aid" | jq -r '.raw' | grep -cF 'ex\"p\]o\\r=t|ø/cpr.csv"')" 1
	else
		# RFC 5424 has no escape for a newline in a PARAM-VALUE (only \" \\ \]);
		# cprwatch writes \n, which an RFC 5424 parser (here mmpstrucdata)
		# keeps as backslash + n.  The JSON alert log keeps the path exact.
		expect_eq "name $k: SD file: the path with its newline as \\n" \
			"$(rx_5424 tcp "$aid" | jq -j "$SD.file")" "${path//$'\n'/\\n}"
		expect_eq "name $k: SD argv: argv with its newline as \\n" \
			"$(rx_5424 tcp "$aid" | jq -j "$SD.argv")" "${argv//$'\n'/\\n}"
	fi
	# MSG: the summary with controls as spaces, after a BOM since it is not ASCII
	expect_eq "name $k: MSG is BOM + the summary" \
		"$(rx_5424 tcp "$aid" | jq -j '.msg')" \
		"$(jq -j '"\ufeff" + (.summary | gsub("\n"; " "))' <<<"$A")"
	expect_eq "name $k: one line on the wire" "$(rx_5424 tcp "$aid" | jq -r .raw | wc -l)" 1
done

echo "long alerts and the receiver's size limit (rsyslog: 8096 bytes by default):"
# long_dir N: $T/Downloads/long/ and N bytes more of path, in components of
# at most 250 bytes (each with its "/"), all zeros: nothing to escape
long_dir() {
	local d=$T/Downloads/long n=$1 c
	while [ "$n" -gt 1 ]; do
		c=$((n > 251 ? 251 : n))
		d=$d/$(printf "%0$((c - 1))d" 0)
		n=$((n - c))
	done
	echo "$d"
}
# raise_long DIR: a bulk_export of DIR/cpr.csv (same content every time); its id
raise_long() {
	mkdir -p "$1"
	"$T/bin/cprclient" text "$1/cpr.csv" 30 4242
	wait_until 10 nonempty bulk "${1#"$T/Downloads/"}"
	bulk "${1#"$T/Downloads/"}" | jq -r .alert_id
}
from_tcp=$(( $(rx_lines tcp) + 1 )); from_tls=$(( $(rx_lines tls) + 1 ))

# Far too long (file and origin hold a 3.8 KB path): the sink cuts the line,
# marks it, and keeps the SD element well-formed.
aid=$(raise_long "$(long_dir 3800)")
wait_until 10 both_on_tcp "$aid"
expect_eq "3.8 KB path: RFC 5424 arrives cut, marked truncated=\"1\", SD parsed" \
	"$(rx_5424 tcp "$aid" | jq -r "$SD | [.truncated, .rule] | join(\" \")")" "1 bulk_export"
expect_eq "3.8 KB path: CEF arrives with its header and externalId" \
	"$(rx_cef tcp "$aid" | jq -r '[.cef.SignatureID, .cef.Extensions.externalId] | join(" ")')" \
	"bulk_export $aid"

# Just over 8096 bytes uncut.  A line grows by 2 bytes per byte of path (file
# and origin; argv and the summary are capped), in both formats: measure a
# 3000-byte path's line, then raise one that comes out at about 8144 bytes,
# between rsyslog's default limit and the sink's own.
aid=$(raise_long "$(long_dir 3000)")
wait_until 10 both_on_tcp "$aid"
r5424=$(rx_5424 tcp "$aid" | jq -r '.raw | utf8bytelength')
rcef=$(rx_cef tcp "$aid" | jq -r '.raw | utf8bytelength')
echo "  (with a 3000-byte path: RFC 5424 line $r5424 bytes, CEF $rcef)"
for fmt in 5424 cef; do
	[ $fmt = 5424 ] && r=$r5424 || r=$rcef
	if [ -z "$r" ] || [ "$r" -ge 8096 ] || [ "$r" -lt 7200 ]; then
		expect_eq "$fmt: a 3000-byte path's line measured between 7200 and 8095 bytes" "$r" "7200..8095"
		continue
	fi
	dir=$(long_dir $((3000 + (8144 - r) / 2)))
	path=$dir/cpr.csv
	aid=$(raise_long "$dir")
	if [ $fmt = 5424 ]; then
		wait_until 10 has_5424 tcp "$aid"
		expect_eq "an RFC 5424 alert of ~8144 bytes: SD intact, file whole (or marked cut)" \
			"$(rx_5424 tcp "$aid" | jq -r --arg p "$path" "$SD | [.rule, .file == \$p or
				.truncated == \"1\"] | map(tostring) | join(\" \")")" \
			"bulk_export true"
	else
		wait_until 10 has_cef tcp "$aid"
		# msg, the last key, is short: however the sink shortens the values,
		# it keeps it whole; a receiver that cut the line does not
		expect_eq "a CEF alert of ~8144 bytes: the last key (msg) arrives whole" \
			"$(rx_cef tcp "$aid" | jq -r '.cef.Extensions.msg | test(" by .*/cprclient$")')" true
	fi
done
expect_eq "no stray message made of a cut-off tail (tcp, tls)" \
	"$( (rx tcp "$from_tcp"; rx tls "$from_tls") | jq -r 'select(.app_name != "cprwatch") | .raw[:60]')" ""

stop_agent
expect_eq "agent exits 0" "$AGENT_RC" 0
# rsyslogd's own log: the rogue listener saw the sink abort the handshake, and
# nothing about what the verified inputs received (framing, size, encoding)
expect_eq "the rogue receiver saw the handshake aborted by the sink" \
	"$(grep -c 'handshake' "$RX/rsyslogd.log" 2>/dev/null | sed 's/^[1-9][0-9]*$/yes/')" yes
complaints=$(grep -i 'frame\|octet\|too long\|too large\|truncat\|invalid\|malformed' \
	"$RX/rsyslogd.log" 2>/dev/null)
expect_eq "rsyslogd complained about nothing it received" "$complaints" ""

# ---- 3: outage, SIGKILL, restart -------------------------------------------

kill_agent() {
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}
# ids_arrived INPUT FROM_LINE IDS_FILE: how many of the ids arrived (once or more)
ids_arrived() {
	rx "$1" "$2" | jq -r "$SD.id // empty" | sort -u | comm -12 - "$3" | wc -l
}
# all_arrived IDS_FILE INPUT FROM_LINE [INPUT FROM_LINE]...
all_arrived() {
	local ids=$1 n
	n=$(wc -l < "$ids")
	shift
	while [ $# -gt 0 ]; do
		[ "$(ids_arrived "$1" "$2" "$ids")" = "$n" ] || return 1
		shift 2
	done
}

write_config "$T/outage.conf" <<CONF
[agent]
rescan_interval = 0
[output]
stdout = no
$(sinks "$T/spool-outage" tcp tls)
CONF

echo "outage: 1000 alerts with the receiver down, agent killed and restarted:"
stop_rsyslog
from_tcp=$(( $(rx_lines tcp) + 1 )); from_tls=$(( $(rx_lines tls) + 1 ))
start_agent "$T/outage.conf" --alert-log "$T/alerts-outage.json"
t0=$SECONDS
for _ in $(seq 1000); do
	"$CTL" test-alert
done | sed -n 's/^test alert \([0-9a-f-]*\) sent$/\1/p' | sort > "$T/outage-printed.txt"
echo "  (1000 test-alerts in $((SECONDS - t0)) s)"
jq -r 'select(.rule == "test_alert") | .alert_id' "$T/alerts-outage.json" | sort > "$T/outage-ids.txt"
expect_eq "1000 test alerts in the alert log" "$(sort -u "$T/outage-ids.txt" | wc -l)" 1000
expect_eq "the same ids cprwatchctl printed" "$(cmp -s "$T/outage-ids.txt" "$T/outage-printed.txt" && echo same)" same
expect_eq "tcp sink holds all 1000 in the spool" "$(sink_field tcp .spool_depth)" 1000
expect_eq "tcp sink is not up" "$(sink_field tcp .state)" down
kill_agent
start_agent "$T/outage.conf" --alert-log "$T/alerts-outage.json"
grep -i 'spool' "$T/agent.log" | sed 's/^/  agent: /'
start_rsyslog
t0=$SECONDS
wait_until 60 all_arrived "$T/outage-ids.txt" tcp "$from_tcp" tls "$from_tls"
echo "  (delivered in $((SECONDS - t0)) s after the receiver came back)"
for input in tcp tls; do
	[ $input = tcp ] && from=$from_tcp || from=$from_tls
	expect_eq "$input: all 1000 alert ids arrived" \
		"$(ids_arrived $input "$from" "$T/outage-ids.txt")" 1000
	total=$(rx $input "$from" | jq -r "select(.msgid == \"test_alert\") | $SD.id" | wc -l)
	echo "  $input: $((total - 1000)) duplicates (at-least-once allows them)"
	expect_eq "$input: nothing but these alerts arrived" \
		"$(rx $input "$from" | jq -r "select(.msgid == \"test_alert\") | $SD.id" | sort -u |
			comm -23 - "$T/outage-ids.txt" | wc -l)" 0
done
spool_empty() { [ "$(sink_field tcp .spool_depth)" = 0 ]; }
wait_until 10 spool_empty
expect_eq "tcp sink's spool drained" "$(sink_field tcp .spool_depth)" 0

# ---- 4: a torn record at the end of the spool ----------------------------------

echo "torn spool record:"
stop_rsyslog
for _ in $(seq 20); do
	"$CTL" test-alert
done | sed -n 's/^test alert \([0-9a-f-]*\) sent$/\1/p' | sort > "$T/torn-ids.txt"
expect_eq "20 alerts spooled" "$(sink_field tcp .spool_depth)" 20
stop_agent
seg=$(ls "$T/spool-outage"/*.seg | sort | tail -1)
# a record header (magic "CPRS", length 64) with 7 of its bytes: a write cut short
printf 'CPRS\x40\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00torn...' >> "$seg"
from_tcp=$(( $(rx_lines tcp) + 1 ))
start_agent "$T/outage.conf" --alert-log "$T/alerts-outage.json"
expect_eq "the agent starts and logs the torn record it cut off" \
	"$(grep -c "$(basename "$seg"): torn record at offset [0-9]*, 27 bytes truncated" "$T/agent.log")" 1
start_rsyslog
wait_until 30 all_arrived "$T/torn-ids.txt" tcp "$from_tcp"
expect_eq "all 20 alerts before the torn record arrive" \
	"$(ids_arrived tcp $from_tcp "$T/torn-ids.txt")" 20
after=$("$CTL" test-alert | sed -n 's/^test alert \([0-9a-f-]*\) sent$/\1/p')
wait_until 10 has_5424 tcp "$after"
expect_eq "an alert raised after the recovery arrives too" \
	"$(has_5424 tcp "$after" && echo yes)" yes
expect_eq "nothing else arrived (no record made of the torn bytes)" \
	"$(rx tcp "$from_tcp" | jq -r "select(.msgid == \"test_alert\") | $SD.id" | sort -u |
		comm -23 - <(sort "$T/torn-ids.txt" <(echo "$after")) | wc -l)" 0
stop_agent
expect_eq "agent exits 0" "$AGENT_RC" 0
stop_rsyslog

# lib.sh's cleanup keeps $T when KEEP_TMP is set
[ "$FAILS" -gt 0 ] && { export KEEP_TMP=1; echo "receiver's files kept in $T/rx"; }
finish
