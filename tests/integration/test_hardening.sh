#!/usr/bin/env bash
# Issue 14, as a hostile local user would try it (an unprivileged test user
# with a home, no root): each attack must fail, and where the agent refuses
# something it says so in a scan_refused alert.
#   1  a number in a file name next to "2024/" or non-ASCII text is masked
#      in every output (alerts, events, cprwatchctl scan --json)
#   2  a same-size rewrite with the mtime set back is scanned again, not
#      answered "0 CPR" from the cache
#   3  ~/ patterns: a symlinked ~/Desktop -> / is no export directory, a
#      sync client's name linked to /bin/bash does not make bash one
#   4  a user flooding the scan queue: their scans beyond their share are
#      dropped with a scan_backlog alert and status turns unhealthy, while
#      another user's export is still scanned
#   6  (and the smaller points) escape sequences in file names, the agent's
#      outputs in a user's directory or through a user's symlink
#   5  a directory swapped for a symlink after the write: the scan worker
#      refuses the path instead of following it
. "$(dirname "$0")/lib.sh"
need_bpf
command -v python3 >/dev/null || cannot_run "python3 is not installed (make deps)"
setup_tmp
make_test_user
GEN=$T/cprw_gen
install -m 0755 "$HELPERS/cprw_gen" "$GEN"
install -m 0755 "$OUTPUT/cprwatchctl" "$T/cprwatchctl"
SEED=$RANDOM
as_user mkdir -p "$THOME/Downloads" "$THOME/.dropbox-dist/dropbox-lnx.1"
# item 3's plants, before the agent resolves its watch list
as_user ln -s / "$THOME/Desktop"
as_user ln -s "$(readlink -f /bin/bash)" "$THOME/.dropbox-dist/dropbox-lnx.1/dropbox"

write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[messaging]
sync = ~/.dropbox-dist/*/dropbox
[export_paths]
local = $THOME/Downloads
local = ~/Desktop
[rules.bulk_export]
high = 10
[scan]
workers = 1
queue = 64
per_user = 8
[output]
stdout = no
CONF
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json" --record "$T/recording.json"
alerts() { jq -c "select($1)" "$T/alerts.json" 2>/dev/null; }
# wait_alert JQ: up to 10 s for an alert to match
wait_alert() {
	for _ in $(seq 1 100); do
		[ -n "$(alerts "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

echo "1: a number in a file name is masked whatever surrounds it:"
"$GEN" list 3 "$SEED" > "$T/names"
num=$(sed -n 1p "$T/names")		# hyphenated
plain=$(sed -n 4p "$T/names")		# the second number, plain
nbsp=$(sed -n 5p "$T/names")		# the third, hyphenated
as_user mkdir -p "$THOME/Downloads/2024" "$THOME/Downloads/usb0"
as_user "$GEN" text "$THOME/Downloads/2024/$num.csv" 20 "$SEED"
as_user "$GEN" text "$THOME/Downloads/usb0/$plain.csv" 20 "$SEED"
as_user "$GEN" text "$THOME/Downloads/«${nbsp}» €.csv" 20 "$SEED"
wait_alert ".rule==\"bulk_export\" and (.file.path|contains(\"«\"))" || true
sleep 0.5
expect_eq "three bulk_export alerts" "$(alerts '.rule=="bulk_export"' | wc -l)" 3
expect_eq "their paths masked" \
	"$(alerts '.rule=="bulk_export"' | jq -r '.file.path' | grep -c 'XXXX')" 3
as_user "$T/cprwatchctl" scan --json "$THOME/Downloads/2024/$num.csv" \
	"$THOME/Downloads/usb0/$plain.csv" "$THOME/Downloads/«${nbsp}» €.csv" > "$T/ctl-scan.json"
expect_eq "cprwatchctl scan --json: three files, masked paths" \
	"$(jq -r '.file' "$T/ctl-scan.json" 2>/dev/null | grep -c XXXX)" 3

echo "2: a same-size rewrite with the mtime set back is scanned again:"
f=$THOME/Downloads/cache.csv
"$GEN" list 28 "$((SEED + 1))" | grep -v -- - > "$T/cpr.lines"	# 28 plain numbers
sed 's/^\(..\)\(..\)/\199/' "$T/cpr.lines" > "$T/clean.lines"	# month 99: no CPR
install -o "$TUSER" -m 0644 "$T/clean.lines" "$T/clean.csv"
install -o "$TUSER" -m 0644 "$T/cpr.lines" "$T/cpr.csv"
as_user cp "$T/clean.csv" "$f"
sleep 1				# the clean file is scanned and cached
as_user cat "$f" > /dev/null
sleep 0.5
# rewrite in place, put atime/mtime back before the close that triggers the scan
as_user python3 - "$f" "$T/cpr.csv" <<'PY'
import os, sys
st = os.stat(sys.argv[1])
data = open(sys.argv[2], 'rb').read()
assert len(data) == st.st_size
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, data)
os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
os.close(fd)
PY
wait_alert ".rule==\"bulk_export\" and .file.path==\"$f\"" || true
expect_eq "bulk_export for the rewrite, 28 numbers" \
	"$(alerts ".rule==\"bulk_export\" and .file.path==\"$f\"" | jq -r '.counts.cpr_distinct')" 28

echo "3: ~/ patterns stay in the home:"
expect_eq "the agent says why it ignored ~/Desktop" \
	"$(grep -c "watch list: $THOME/Desktop leads out of its home: ignored" "$T/agent.log")" 1
expect_eq "and the dropbox link" \
	"$(grep -c "watch list: $THOME/.dropbox-dist/dropbox-lnx.1/dropbox leads out of its home" \
	   "$T/agent.log")" 1
as_user mkdir -p /tmp/$TUSER.d
as_user install -m 0644 "$T/cpr.csv" "/tmp/$TUSER.d/out.csv"	# under /: no export
as_user bash -c "read -r line < /tmp/$TUSER.d/out.csv"		# bash: no sync client
sleep 1
expect_eq "no alert for a write under / or a read by bash" \
	"$(alerts "(.file.path // \"\")|startswith(\"/tmp/$TUSER.d\")" | wc -l)" 0
rm -rf "/tmp/$TUSER.d"

echo "5: a directory swapped for a symlink before the scan is refused:"
refused=0
for i in 1 2 3 4 5 6 7 8; do
	d=$THOME/Downloads/swap$i
	as_user mkdir "$d"
	# write, close, then swap the directory for a symlink to its renamed self
	as_user python3 - "$d" "$T/cpr.csv" <<'PY'
import os, sys
d = sys.argv[1]
data = open(sys.argv[2], 'rb').read()
fd = os.open(d + '/f.csv', os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, data)
os.close(fd)
os.rename(d, d + '.real')
os.symlink(d + '.real', d)
PY
	wait_alert ".file.path==\"$d/f.csv\"" || true
	if [ -n "$(alerts ".rule==\"scan_refused\" and .file.path==\"$d/f.csv\"")" ]; then
		refused=$((refused + 1))
		break
	fi
done
expect_eq "a swapped path refused (in $i tries)" "$refused" 1
expect_eq "the refusal says why" \
	"$(alerts '.rule=="scan_refused"' | jq -r '.scan_problem' | sort -u)" \
	"refused: a symbolic link in the path"
expect_eq "no CPR counted through a symlinked path" \
	"$(alerts '.rule=="bulk_export" and (.file.path|contains("swap")) and .counts.cpr_distinct>0' |
	   jq -r '.file.path' | while read -r p; do [ -L "$(dirname "$p")" ] && echo "$p"; done |
	   head -1)" ""

echo "6: escape sequences in a file name never reach the admin's terminal raw:"
evil=$THOME/Downloads/$'evil\e[2J\e[1;1Hforged\r\xc2\x9b.csv'
as_user cp "$T/cpr.csv" "$evil"
wait_alert '.rule=="bulk_export" and (.file.path|contains("forged"))' || true
"$OUTPUT/cprwatchctl" alerts --rule bulk_export > "$T/ctl-alerts.txt"
expect_eq "cprwatchctl alerts: the alert is listed" "$(grep -c 'forged' "$T/ctl-alerts.txt")" 1
expect_eq "cprwatchctl alerts: no control character in the output" \
	"$(LC_ALL=C tr -d '\n\t' < "$T/ctl-alerts.txt" | LC_ALL=C grep -c $'[\x01-\x1f\x7f]\|\xc2[\x80-\x9f]')" 0
expect_eq "cprwatchctl alerts: escapes shown as \\x1b" "$(grep -c 'evil\\x1b\[2J' "$T/ctl-alerts.txt")" 1
as_user "$T/cprwatchctl" scan "$evil" > "$T/ctl-scan.txt"
expect_eq "cprwatchctl scan: no control character either" \
	"$(LC_ALL=C tr -d '\n' < "$T/ctl-scan.txt" | LC_ALL=C grep -c $'[\x01-\x1f\x7f]')" 0

echo "4: one user's flood does not switch off scanning for others:"
expect_eq "healthy before" "$("$OUTPUT/cprwatchctl" status --json | jq -r .healthy)" true
as_user python3 - "$THOME/Downloads/flood" <<'PY'
import os, sys
d = sys.argv[1]
os.mkdir(d)
with open(d + '/big.txt', 'wb') as f:	# keeps the one worker busy
    f.write(b'7' * (96 << 20))
for i in range(40):
    with open('%s/f%02d.txt' % (d, i), 'wb') as f:
        f.write(b'nothing here %d\n' % i)
PY
install -m 0644 "$T/cpr.csv" "$THOME/Downloads/root-export.csv"	# root, another user
wait_alert '.rule=="scan_backlog"' || true
expect_eq "scan_backlog for the flooding user" \
	"$(alerts '.rule=="scan_backlog"' | jq -r '[.uid, .severity] | map(tostring) | join(" ")' | sort -u)" \
	"$(id -u "$TUSER") high"
st=$("$OUTPUT/cprwatchctl" status --json)
expect_eq "status unhealthy, says scans were dropped" \
	"$(jq -r '[.healthy, (.problems | map(select(test("scans dropped"))) | length)] | map(tostring) | join(" ")' <<<"$st")" \
	"false 1"
wait_alert ".rule==\"bulk_export\" and .file.path==\"$THOME/Downloads/root-export.csv\"" || true
expect_eq "root's export behind the flood still scanned" \
	"$(alerts ".rule==\"bulk_export\" and .file.path==\"$THOME/Downloads/root-export.csv\"" | jq -r '.counts.cpr_distinct')" 28

stop_agent

echo "6: the agent's files never in a user's directory or through a user's symlink:"
udir=/tmp/$TUSER.dir
as_user mkdir -m 0755 "$udir"
echo keep > "$T/victim"
as_user ln -s "$T/victim" "$udir/events.json"
as_user touch "$udir/own.json"
# agent_fails WHAT EXPECTED_MESSAGE ARGS...: the agent refuses to start, says why
agent_fails() {
	local what=$1 msg=$2
	shift 2
	timeout 60 "$AGENT" --duration 2 "$@" > /dev/null 2> "$T/refuse.log"
	local rc=$?
	expect_eq "$what: refused at start" "$([ $rc -ne 0 ] && [ $rc -ne 124 ] && echo yes)" yes
	expect_eq "$what: says why" "$(grep -c -- "$msg" "$T/refuse.log")" 1
}
refuse_conf() {		# refuse_conf EXTRA: a valid config plus EXTRA
	printf '[agent]\nrescan_interval = 0\n%b\n' "$1" > "$T/refuse.conf"
	chmod 0600 "$T/refuse.conf"
}
refuse_conf "[control]\nsocket = $T/r.sock"
agent_fails "--events through a user's symlink" "symbolic link; refused" -c "$T/refuse.conf" \
	--events="$udir/events.json" --alert-log="$T/r-alerts.json"
expect_eq "the symlink's target was not truncated" "$(cat "$T/victim")" keep
agent_fails "--record into a user's file" "belongs to uid $(id -u "$TUSER")" \
	-c "$T/refuse.conf" --events="$T/r-events.json" --record="$udir/own.json" \
	--alert-log="$T/r-alerts.json"
refuse_conf "[control]\nsocket = $udir/control.sock"
agent_fails "control socket in a user's directory" "control socket: $udir belongs to uid" \
	-c "$T/refuse.conf" --events="$T/r-events.json" --alert-log="$T/r-alerts.json"
as_user mkdir -m 0700 "$udir/spool"
refuse_conf "[control]\nsocket = $T/r.sock\n[spool]\ndir = $udir/spool\n[syslog.soc]\ntransport = udp\nhost = 127.0.0.1\nport = 9"
agent_fails "spool in a user's directory" "spool $udir/spool: belongs to uid" \
	-c "$T/refuse.conf" --events="$T/r-events.json" --alert-log="$T/r-alerts.json"
refuse_conf "[control]\nsocket = $T/r.sock"
agent_fails "alert log in a user's directory" "its directory belongs to uid" \
	-c "$T/refuse.conf" --events="$T/r-events.json" --alert-log="$udir/alerts.json"
rm -rf "$udir"

echo "no output holds a number in the clear:"
"$GEN" list 28 "$((SEED + 1))" >> "$T/names"
leaks=$(cat "$T/alerts.json" "$T/events.json" "$T/recording.json" "$T/agent.log" \
	"$T/ctl-scan.json" "$T/ctl-alerts.txt" "$T/ctl-scan.txt" | grep -c -F -f "$T/names")
expect_eq "no synthetic number in alerts, events, recording, log, scan output" "$leaks" 0
finish
