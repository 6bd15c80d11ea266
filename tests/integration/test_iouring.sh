#!/usr/bin/env bash
# io_uring (issue 11): a fake CPR client exports 600 synthetic numbers to
# ~/Downloads; an unprivileged user with a login uid copies each export to
# ~/Desktop with io_uring requests only (IORING_OP_OPENAT/READ/WRITE/CLOSE,
# no read or write syscall on either file), in the ways an attacker would try
# round a monitor: plain, every request through an io-wq worker
# (IOSQE_ASYNC), submitted by a kernel thread (IORING_SETUP_SQPOLL, allowed
# to unprivileged users since Linux 5.11), and through fixed-file slots
# (direct opens, IOSQE_FIXED_FILE).  Each copy must raise bulk_export with
# its 600 numbers and the export as origin, as a cp would.  Then io_uring
# sends an export over TCP (IORING_OP_CONNECT/SEND): network_exfil as from
# python3.  A tainted process that sets up a ring is reported
# (io_uring_setup), also from the syscall when the io_uring programs are
# left out.  The same flows with non-CPR data raise nothing.
. "$(dirname "$0")/lib.sh"
need_bpf
setup_tmp
make_test_user
PY=/usr/bin/python3
[ -x "$PY" ] || cannot_run "python3 is not installed (make deps)"
[ "$(sysctl -n kernel.io_uring_disabled 2>/dev/null || echo 0)" = 0 ] ||
	cannot_run "io_uring is disabled on this machine (kernel.io_uring_disabled)"

SEED=$RANDOM
TUID=$(id -u "$TUSER")
mkdir -p "$T/bin"
cp "$HELPERS/cprw_gen" "$T/bin/cprclient"
cp "$HELPERS/uring_copy" "$T/bin/ucopy"
chmod 0755 "$T/bin"/*
as_user mkdir -p "$THOME/Downloads" "$THOME/Desktop"

"$HELPERS/tcp_sink" -1 120 > "$T/sink.out" 2>&1 &
SINK_PID=$!
for _ in $(seq 1 100); do
	grep -q '^port=' "$T/sink.out" 2>/dev/null && break
	sleep 0.05
done
port=$(sed -n 's/^port=//p' "$T/sink.out")

write_config "$T/cprwatch.conf" <<CONF
[cpr_clients]
path = $T/bin/cprclient
[export_paths]
local = $THOME/Downloads
local = $THOME/Desktop
[output]
stdout = no
CONF

# A tainted process (it read an export) that hands over to an io_uring program.
EXEC_AFTER_READ='import os, sys; open(sys.argv[1], "rb").read(); os.execv(sys.argv[2], sys.argv[2:])'

# tainted_sqpoll_copy NAME: python3 reads export-NAME (it is tainted now), then
# execs ucopy --sqpoll to copy it to copy-NAME
tainted_sqpoll_copy() {
	as_user "$PY" -c "$EXEC_AFTER_READ" "$THOME/Downloads/export-$1.csv" "$T/bin/ucopy" \
		--sqpoll copy "$THOME/Downloads/export-$1.csv" "$THOME/Desktop/copy-$1.csv" \
		> "$T/ucopy-$1.out"
}

VARIANTS="plain async sqpoll fixed"
opt_of() { case $1 in plain) ;; *) echo "--$1" ;; esac; }

# flows KIND: text (600 CPR numbers) or text-plain (none)
flows() {
	local i=0 v
	for v in $VARIANTS send; do
		as_user "$T/bin/cprclient" "$1" "$THOME/Downloads/export-$v.csv" 600 "$((SEED + i))"
		i=$((i + 1))
	done
	sleep 0.5				# the exports' scans land first
	for v in plain async fixed; do
		# shellcheck disable=SC2046
		as_user "$T/bin/ucopy" $(opt_of $v) copy "$THOME/Downloads/export-$v.csv" \
			"$THOME/Desktop/copy-$v.csv" > "$T/ucopy-$v.out"
	done
	tainted_sqpoll_copy sqpoll
	as_user "$T/bin/ucopy" send "$THOME/Downloads/export-send.csv" "$port" > "$T/ucopy-send.out"
	sleep 2
}

alerts() { jq -c "select($1)" "$T/alerts.json"; }
pid_of() { sed -n 's/^pid=//p' "$T/ucopy-$1.out"; }
# setup_of NAME: uid, comm, flags, entries, fd ok, tainted of ucopy NAME's io_uring_setup events
setup_of() {
	events ".event==\"io_uring_setup\" and .pid==$(pid_of "$1")" |
		jq -r '[.uid, .comm, (.setup_flags|join(",")), .sq_entries, .cq_entries, (.fd >= 0),
			(.classes|index("tainted") != null)]|join(" ")'
}

start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
expect_eq "status: io_uring probes loaded" \
	"$("$OUTPUT/cprwatchctl" status --json | jq -r '.io_uring_probes.loaded')" true
flows text
stop_agent

size=$(stat -c %s "$THOME/Downloads/export-plain.csv")
for v in $VARIANTS; do
	echo "io_uring copy ($v):"
	src=$THOME/Downloads/export-$v.csv dst=$THOME/Desktop/copy-$v.csv pid=$(pid_of "$v")
	expect_eq "the copy is whole" "$(cmp "$src" "$dst" && echo same)" same
	expect_eq "open of the export for reading, tainted, by io_uring" \
		"$(events ".event==\"open\" and .pid==$pid and .path==\"$src\" and .io_uring" |
			jq -r '[.access, .tainted, .io_uring]|join(" ")' | sort -u)" "read true true"
	expect_eq "open of the copy for writing, by io_uring" \
		"$(events ".event==\"open\" and .pid==$pid and .path==\"$dst\"" |
			jq -r '[.access, .create, .io_uring, .uid]|join(" ")' | sort -u)" "write true true $TUID"
	expect_eq "close of the export: every byte read, closed by io_uring" \
		"$(events ".event==\"close\" and .pid==$pid and .path==\"$src\" and .io_uring" |
			jq -r '[.bytes_read, .io_uring, .at_exit]|join(" ")')" "$size true false"
	expect_eq "close of the copy: every byte written, in 4 KiB writes" \
		"$(events ".event==\"close\" and .pid==$pid and .path==\"$dst\"" |
			jq -r '[.bytes_written, .writes, .io_uring, .at_exit]|join(" ")')" \
		"$size $(((size + 4095) / 4096)) true false"
	expect_eq "bulk_export on the copy: 600 numbers, from the export, the user's login uid" \
		"$(alerts ".rule==\"bulk_export\" and .file.path==\"$dst\"" |
			jq -r '[.counts.cpr_distinct, .origin_export.path, .loginuid]|join(" ")')" \
		"600 $src $TUID"
done
echo "fixed-file slots:"
pid=$(pid_of fixed)
expect_eq "opens and closes name slots 0 and 1" \
	"$(events ".pid==$pid and (.event==\"open\" or .event==\"close\") and .fixed_file" |
		jq -r '[.event, .ret // .fd]|join("=")' | tr '\n' ' ')" "open=0 open=1 close=0 close=1 "

echo "io_uring_setup by a tainted process:"
expect_eq "one event: the user, the program, SQPOLL" "$(setup_of sqpoll)" \
	"$TUID ucopy sqpoll 8 16 true true"
expect_eq "no event for an untainted process's ring" "$(setup_of plain)" ""

echo "io_uring sends the export over TCP:"
size=$(stat -c %s "$THOME/Downloads/export-send.csv")
pid=$(pid_of send)
expect_eq "connect event by io_uring with the peer" \
	"$(events ".event==\"connect\" and .pid==$pid" | jq -r '[.addr, .port, .io_uring]|join(" ")')" \
	"127.0.0.1 $port true"
expect_eq "network_exfil with the destination, the bytes and the export" \
	"$(alerts '.rule=="network_exfil"' | jq -r '[.peer, .counts.bytes, .origin_export.path, .counts.origin_cpr_distinct, .loginuid]|join(" ")')" \
	"127.0.0.1:$port $size $THOME/Downloads/export-send.csv 600 $TUID"

echo "io_uring programs left out (CPRWATCH_IOURING=off): the setup is seen at the syscall"
cp "$T/events.json" "$T/events-positive.json"
cp "$T/agent.log" "$T/agent-positive.log"
: > "$T/events.json"
export CPRWATCH_IOURING=off
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts-off.json"
unset CPRWATCH_IOURING
expect_eq "status says why" \
	"$("$OUTPUT/cprwatchctl" status --json | jq -r '.io_uring_probes | [.loaded, .reason] | join(" ")')" \
	"false disabled by CPRWATCH_IOURING=off"
# a fresh export: this agent's kernel maps start empty
as_user "$T/bin/cprclient" text "$THOME/Downloads/export-off.csv" 600 "$((SEED + 5))"
tainted_sqpoll_copy off
sleep 1
stop_agent
expect_eq "one io_uring_setup event from the syscall: the user, the program, SQPOLL" \
	"$(setup_of off)" "$TUID ucopy sqpoll 8 16 true true"
expect_eq "and, as documented, none of its io_uring requests" \
	"$(events ".pid==$(pid_of off) and .io_uring" | wc -l)" 0

echo "leaks: no synthetic CPR number in any output"
for i in 0 1 2 3 4 5; do "$HELPERS/cprw_gen" list 600 "$((SEED + i))"; done > "$T/numbers.txt"
expect_eq "numbers found in events, alerts, log" \
	"$(cat "$T/events-positive.json" "$T/events.json" "$T/alerts.json" "$T/agent-positive.log" \
		"$T/agent.log" | grep -c -F -f "$T/numbers.txt")" 0

echo "same flows with non-CPR data:"
rm -rf "$THOME/Downloads"/* "$THOME/Desktop"/* "$T/alerts.json"
: > "$T/events.json"
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
flows text-plain
stop_agent
kill "$SINK_PID" 2>/dev/null
expect_eq "the copies were made" "$(ls "$THOME/Desktop" | wc -l)" 4
expect_eq "no alert at all" "$(wc -l < "$T/alerts.json")" 0
[ "$(wc -l < "$T/alerts.json")" = 0 ] || cat "$T/alerts.json"
finish
