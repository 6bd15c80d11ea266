#!/usr/bin/env bash
# Lineage that holds against the simple ways round it (issue 11), each row
# of the issue's table done by an unprivileged user with a login uid, with
# the real probes and the default rules: a fake CPR client exports 600
# synthetic numbers to ~/Downloads, then the user renames and base64s an
# export before a messaging app sends it, hard-links one for the app, and
# splits one into pieces of 20 numbers on the Desktop, and has python3 send
# one over TCP (to a destination outside the allow list, and to one in it;
# and on a connection opened before it read the export),
# and has a program copy one through a shared writable mapping.
# The same flows with non-CPR data raise nothing.
. "$(dirname "$0")/lib.sh"
need_bpf
setup_tmp
make_test_user
PY=/usr/bin/python3
[ -x "$PY" ] || cannot_run "python3 is not installed (make deps)"

SEED=$RANDOM
TUID=$(id -u "$TUSER")
mkdir -p "$T/bin"
cp "$HELPERS/cprw_gen" "$T/bin/cprclient"
cp "$HELPERS/cprw_actions" "$T/bin/signal-desktop"
cp "$HELPERS/cprw_actions" "$T/bin/mapcopy"
chmod 0755 "$T/bin"/*
as_user mkdir -p "$THOME/Downloads" "$THOME/Desktop" "$THOME/tmp"

# two loopback sinks: one outside the allow list, one in it
sink_port() {
	"$HELPERS/tcp_sink" -1 120 > "$T/$1.out" &
	for _ in $(seq 1 100); do
		grep -q '^port=' "$T/$1.out" 2>/dev/null && break
		sleep 0.05
	done
	sed -n 's/^port=//p' "$T/$1.out"
}
port=$(sink_port sink)
aport=$(sink_port allowed)
eport=$(sink_port early)

write_config "$T/cprwatch.conf" <<CONF
[cpr_clients]
path = $T/bin/cprclient
[messaging]
app = $T/bin/signal-desktop
[export_paths]
local = $THOME/Downloads
local = $THOME/Desktop
[rules.network_exfil]
allow = 127.0.0.1:$aport
[output]
stdout = no
CONF

SEND='import socket, sys
d = open(sys.argv[1], "rb").read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
s.sendall(d)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()'
# connected first, the export read after: the socket predates the taint
EARLY='import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
d = open(sys.argv[1], "rb").read()
s.sendall(d)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()'
B64='import base64, sys; open(sys.argv[2], "wb").write(base64.b64encode(open(sys.argv[1], "rb").read()))'

# flows KIND: text (600 CPR numbers) or text-plain (none)
flows() {
	as_user "$T/bin/cprclient" "$1" "$THOME/Downloads/export-a.csv" 600 "$SEED"
	as_user "$T/bin/cprclient" "$1" "$THOME/Downloads/export-b.csv" 600 "$((SEED + 1))"
	as_user "$T/bin/cprclient" "$1" "$THOME/Downloads/export-c.csv" 600 "$((SEED + 2))"
	as_user "$T/bin/cprclient" "$1" "$THOME/Downloads/export-d.csv" 600 "$((SEED + 3))"
	as_user "$T/bin/cprclient" "$1" "$THOME/Downloads/export-e.csv" 600 "$((SEED + 4))"
	sleep 0.5				# the exports' scans land first
	# mv the export, base64 it with python3, the messaging app sends the result
	as_user mv "$THOME/Downloads/export-a.csv" "$THOME/tmp/renamed.csv"
	as_user "$PY" -c "$B64" "$THOME/tmp/renamed.csv" "$THOME/Desktop/send.b64"
	as_user "$T/bin/signal-desktop" read "$THOME/Desktop/send.b64" > /dev/null
	# ln the export to ~/Desktop, the messaging app sends the link
	as_user ln "$THOME/Downloads/export-b.csv" "$THOME/Desktop/link.csv"
	as_user "$T/bin/signal-desktop" read "$THOME/Desktop/link.csv" > /dev/null
	# python3 reads the export and sends it over TCP; then to an allowed destination
	as_user "$PY" -c "$SEND" "$THOME/Downloads/export-d.csv" "$port"
	as_user "$PY" -c "$SEND" "$THOME/Downloads/export-d.csv" "$aport"
	as_user "$PY" -c "$EARLY" "$THOME/Downloads/export-d.csv" "$eport"
	# a program copies the export through a writable mapping to the Desktop
	as_user "$T/bin/mapcopy" mmap-copy "$THOME/Downloads/export-e.csv" "$THOME/Desktop/mapped.csv" \
		> /dev/null
	# split -l 20 the export into pieces on the Desktop
	as_user mkdir "$THOME/Desktop/parts"
	as_user split -l 20 "$THOME/Downloads/export-c.csv" "$THOME/Desktop/parts/part-"
	sleep 7					# the total is reported once it settles (5 s)
}

alerts() { jq -c "select($1)" "$T/alerts.json"; }
expect_count_alerts() { expect_eq "$1" "$(alerts "$2" | wc -l)" "$3"; }
# alert_of RULE FILE: origin path, origin count, login uid of RULE's alert on FILE
alert_of() {
	alerts ".rule==\"$1\" and .file.path==\"$2\"" |
		jq -r '[.origin_export.path, .counts.origin_cpr_distinct, .loginuid]|join(" ")' | sort -u
}

start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
flows text
live_alerts=$(wc -l < "$T/alerts.json")
stop_agent
cp "$T/events.json" "$T/events-positive.json"

echo "split -l 20 into pieces:"
parts=$(ls "$THOME/Desktop/parts" | wc -l)
expect_eq "one bulk_export on the user's total: 600 numbers, every piece named" \
	"$(alerts ".rule==\"bulk_export\" and .files" |
		jq -r '[.counts.cpr_distinct, (.files|length), .counts.events, .loginuid, .severity]|join(" ")')" \
	"600 $parts $parts $TUID high"
expect_eq "the files are the pieces" \
	"$(alerts ".rule==\"bulk_export\" and .files" | jq -r '.files[]' | sort | xargs -n1 basename | tr '\n' ' ')" \
	"$(ls "$THOME/Desktop/parts" | sort | tr '\n' ' ')"
expect_eq "raised while the agent ran, not only at its stop" \
	"$(head -n "$live_alerts" "$T/alerts.json" | jq -r 'select(.rule=="bulk_export" and .files) | .rule')" \
	bulk_export

echo "python3 sends the export over TCP:"
size=$(stat -c %s "$THOME/Downloads/export-d.csv")
expect_eq "network_exfil with the destination, the bytes and the export" \
	"$(alerts ".rule==\"network_exfil\" and .peer==\"127.0.0.1:$port\"" | jq -r '[.peer, .counts.bytes, .origin_export.path, .counts.origin_cpr_distinct, .loginuid, .process_chain[0].comm]|join(" ")')" \
	"127.0.0.1:$port $size $THOME/Downloads/export-d.csv 600 $TUID python3"
expect_count_alerts "nothing for the allowed destination" \
	".rule==\"network_exfil\" and .peer==\"127.0.0.1:$aport\"" 0
expect_eq "connected before it read the export: network_exfil all the same, the bytes sent after" \
	"$(alerts ".rule==\"network_exfil\" and .peer==\"127.0.0.1:$eport\"" | jq -r '[.counts.bytes, .origin_export.path, .counts.origin_cpr_distinct, .loginuid]|join(" ")')" \
	"$size $THOME/Downloads/export-d.csv 600 $TUID"
expect_eq "its tcp_close says the connection was adopted" \
	"$(jq -r "select(.event==\"tcp_close\" and .dport==$eport) | .adopted" "$T/events-positive.json")" \
	true

echo "mmap copy:"
expect_eq "its closes say the bytes written are unknown (null), not 0" \
	"$(jq -c "select(.event==\"close\" and .path==\"$THOME/Desktop/mapped.csv\") | [.fd, .bytes_written, .mmap_write]" \
		"$T/events-positive.json" | tr '\n' ' ')" \
	"[3,null,true] [-1,null,true] "
expect_eq "bulk_export on the mapped copy: 600 numbers, from the export" \
	"$(alerts ".rule==\"bulk_export\" and .file.path==\"$THOME/Desktop/mapped.csv\" and .counts.suppressed==null" |
		jq -r '[.counts.cpr_distinct, .origin_export.path, .loginuid]|join(" ")')" \
	"600 $THOME/Downloads/export-e.csv $TUID"

echo "mv + base64 + messaging app:"
expect_eq "messaging_exfil on the base64 copy names the export and its 600 numbers" \
	"$(alert_of messaging_exfil "$THOME/Desktop/send.b64")" \
	"$THOME/Downloads/export-a.csv 600 $TUID"
echo "ln + messaging app:"
expect_eq "messaging_exfil on the link names the original export, not the link" \
	"$(alert_of messaging_exfil "$THOME/Desktop/link.csv")" \
	"$THOME/Downloads/export-b.csv 600 $TUID"

echo "leaks: no synthetic CPR number in any output"
for i in 0 1 2 3 4; do "$HELPERS/cprw_gen" list 600 "$((SEED + i))"; done > "$T/numbers.txt"
expect_eq "numbers found in events, alerts, log" \
	"$(cat "$T/events-positive.json" "$T/alerts.json" "$T/agent.log" | grep -c -F -f "$T/numbers.txt")" 0

echo "same flows with non-CPR data:"
rm -rf "$THOME/Downloads"/* "$THOME/Desktop"/* "$THOME/tmp"/* "$T/alerts.json"
: > "$T/events.json"
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
flows text-plain
stop_agent
expect_eq "no alert at all" "$(wc -l < "$T/alerts.json")" 0
[ "$(wc -l < "$T/alerts.json")" = 0 ] || cat "$T/alerts.json"
finish
