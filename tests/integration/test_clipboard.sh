#!/usr/bin/env bash
# The clipboard channel end to end with the real probes, under an Xvfb of
# its own: a CPR client puts 50 synthetic CPR numbers on the CLIPBOARD
# through libX11, through xcb's typed wrappers (as Qt), through raw xcb
# requests (as Chromium and Electron), and through xclip run as its child;
# a messaging app pastes each time -> clipboard_to_messaging (50 numbers,
# the owner named) and bulk_clipboard.  An app that is not a messaging app
# pasting raises no clipboard_to_messaging; harmless text raises nothing.
# The probes are listed in the log; the recording replays to the same
# alerts; no output of the agent holds any of the numbers.  Then a user
# tries the obvious ways round: the numbers in UTF-16 (with and without a
# byte-order mark) through xclip, and an X client of their own in python3
# that speaks the protocol on the socket with no X library to probe (plain,
# one byte per write, one-byte iovecs, 7-byte sendmmsg messages,
# BIG-REQUESTS, big-endian, after a flood that loses the framing).
#
# run.sh runs this under both syscall hook variants: the raw dispatcher reads
# X11 requests off the wire (api "x11"); the per-syscall tracepoints leave
# them to the libX11 and libxcb probes (api "xlib", "xcb").
. "$(dirname "$0")/lib.sh"
need_bpf
command -v Xvfb >/dev/null || cannot_run "Xvfb is not installed (make deps)"
command -v xclip >/dev/null || cannot_run "xclip is not installed (make deps)"
[ -x "$HELPERS/x11_clip" ] || cannot_run "$HELPERS/x11_clip is not built (libx11-dev: make deps)"
setup_tmp

start_xvfb
make_test_user
trap 'stop_xvfb; cleanup; userdel -r "$TUSER" 2>/dev/null' EXIT
echo "Xvfb on $DISPLAY"
# Per-process uprobes go on a tracked program some ms after its exec (README,
# known limits); a GUI client takes longer than that to start, x11_clip does
# not: give it half a second of startup.
export X11_CLIP_STARTUP_MS=500

SEED=$RANDOM
mkdir -p "$T/bin"
cp "$HELPERS/x11_clip" "$T/bin/cprclient"
cp "$HELPERS/x11_clip" "$T/bin/signal-desktop"
cp "$HELPERS/x11_clip" "$T/bin/notes-app"
"$HELPERS/cprw_gen" text "$T/export.csv" 50 "$SEED"
tail -n +2 "$T/export.csv" | cut -d';' -f2 > "$T/cpr.txt"	# the numbers only
rm "$T/export.csv"
printf 'Husk mødet i morgen kl. 10, lokale 2.14. Ring på +45 12 34 56 78.\n' > "$T/harmless.txt"

write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[cpr_clients]
path = $T/bin/cprclient
path = $THOME/cprclient
[messaging]
app = $T/bin/signal-desktop
app = $THOME/signal-desktop
[clipboard_tools]
path = xclip
[output]
stdout = no
CONF

# own API FILE: the CPR client owns the CLIPBOARD with FILE (its pid in OWN_PID).
own() {
	local out=$T/own.$RANDOM
	"$T/bin/cprclient" "$1" own "$2" 20 > "$out" &
	OWN_PID=$!
	for _ in $(seq 1 100); do
		grep -q ready "$out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "  FAIL: the CPR client ($1) did not get the selection"
	FAILS=$((FAILS + 1))
}

# paste APP API FILE: APP pastes; what it gets must be FILE's text.
paste_as() {
	if ! "$T/bin/$1" "$2" paste > "$T/pasted" || ! cmp -s "$T/pasted" "$3"; then
		echo "  FAIL: $1 ($2) did not paste the text"
		FAILS=$((FAILS + 1))
	fi
}

OWNERS=()
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json" --record "$T/recording.json"

for api in --xlib --xcb --xcb-raw; do
	own "$api" "$T/cpr.txt"
	OWNERS+=("$api:$OWN_PID")
	paste_as signal-desktop "$api" "$T/cpr.txt"
	paste_as notes-app "$api" "$T/cpr.txt"
	kill "$OWN_PID" 2>/dev/null
	wait "$OWN_PID" 2>/dev/null
done
# xclip as the CPR client's child: it takes the selection, forks, and its child answers.
"$T/bin/cprclient" run xclip -selection clipboard -i "$T/cpr.txt"
sleep 0.2
paste_as signal-desktop --xlib "$T/cpr.txt"
# Harmless text from the CPR client.
own --xlib "$T/harmless.txt"
harmless=$OWN_PID
paste_as signal-desktop --xlib "$T/harmless.txt"
kill "$harmless" 2>/dev/null
wait "$harmless" 2>/dev/null
sleep 0.5
# the window between a tracked exec and its probes, for README's known limits
"$OUTPUT/cprwatchctl" status --json | jq -r '.uprobes | "per-process uprobes: \(.attached) processes attached, \(.refused) refused, exec-to-probes delay last \(.delay_last_us) us, max \(.delay_max_us) us"'
stop_agent

alerts() { jq -c "select($1)" "$T/alerts.json"; }

WIRE=yes
[ "${CPRWATCH_SYSCALL_HOOKS:-}" = tracepoint ] && WIRE=
echo "probes ($([ -n "$WIRE" ] && echo "raw dispatcher: X11 on the wire" || echo "tracepoints: X11 library probes")):"
expect_eq "log says libX11.so.6:XGetWindowProperty is ready (a paste's content)" \
	"$(grep -c "clipboard probe libX11.so.6:XGetWindowProperty ready" "$T/agent.log")" 1
for p in libX11.so.6:XSetSelectionOwner libX11.so.6:XConvertSelection libX11.so.6:XChangeProperty; do
	if [ -n "$WIRE" ]; then
		expect_eq "log says $p is left to the wire parser" \
			"$(grep -c "clipboard probe $p not used: the X11 requests are read on the wire" "$T/agent.log")" 1
	else
		expect_eq "log says $p is ready" "$(grep -c "clipboard probe $p ready" "$T/agent.log")" 1
	fi
done
expect_eq "log says which xcb entry point is used (none: on the wire)" \
	"$(grep -c 'clipboard probe libxcb.so.1:xcb_send_request[a-z_0-9]* ready' "$T/agent.log")" \
	"$([ -n "$WIRE" ] && echo 0 || echo 1)"
listed=$(grep -c 'clipboard probe .* \(ready (\|not used: \)' "$T/agent.log")
expect_eq "every clipboard probe is listed, ready or why not (18 or more)" \
	"$([ "$listed" -ge 18 ] && echo yes || echo "$listed")" yes

echo "events:"
expect_count "the CPR client's takes (xlib, xcb, raw xcb, harmless)" \
	'.event=="clipboard" and .op=="take" and .comm=="cprclient"' 4
expect_count "xclip's take, in the CPR client's lineage" \
	'.event=="clipboard" and .op=="take" and .comm=="xclip" and (.classes|index("cpr_client"))' 1
expect_eq "sends of the 50 numbers, per API (600 bytes each)" \
	"$(events '.event=="clipboard" and .op=="send" and .cpr_distinct==50 and .total_len==600' |
		jq -r '.api' | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" \
	"$([ -n "$WIRE" ] && echo "x11=7" || echo "xcb=4 xlib=3")"
expect_count "the messaging app's Xlib reads of the numbers" \
	'.event=="clipboard" and .op=="read" and .comm=="signal-desktop" and .cpr_distinct==50' 2
expect_count "no clipboard event of the untracked app" \
	'.event=="clipboard" and .comm=="notes-app" and .op!="send"' 0
expect_count "no event carries content" '.event=="clipboard" and has("data")' 0

echo "alerts:"
for o in "${OWNERS[@]}"; do
	api=${o%%:*} pid=${o#*:}
	expect_eq "clipboard_to_messaging ($api): requester, owner, count" \
		"$(alerts ".rule==\"clipboard_to_messaging\" and .clipboard.owner_pid==$pid" |
			jq -r '[(.process_chain[0].exe|sub(".*/";"")), .clipboard.owner_exe, .counts.cpr_distinct, .counts.bytes]|join(" ")')" \
		"signal-desktop $T/bin/cprclient 50 600"
	expect_eq "bulk_clipboard ($api) on the owner's send" \
		"$(alerts ".rule==\"bulk_clipboard\" and .pid==$pid and .counts.suppressed==null" | jq -r '.counts.cpr_distinct')" 50
done
expect_eq "clipboard_to_messaging from xclip names the CPR client in the owner chain" \
	"$(alerts '.rule=="clipboard_to_messaging" and .clipboard.owner_exe=="/usr/bin/xclip"' |
		jq -r "[.counts.cpr_distinct, (.clipboard.owner_chain|map(.exe)|index(\"$T/bin/cprclient\") != null)]|join(\" \")")" \
	"50 true"
expect_eq "bulk_clipboard on xclip's send" \
	"$(alerts '.rule=="bulk_clipboard" and .clipboard.owner_exe=="/usr/bin/xclip" and .counts.suppressed==null' | jq -r '.counts.cpr_distinct')" 50
expect_eq "the summary names the owner and its pid" \
	"$(alerts '.rule=="clipboard_to_messaging"' | jq -r '.summary' | grep -c 'pasted what .* (pid [0-9]*) put on the clipboard: 50 CPR numbers')" 4
expect_eq "no clipboard_to_messaging for the app that is not a messaging app" \
	"$(alerts '.rule=="clipboard_to_messaging" and (.process_chain[0].exe|endswith("notes-app"))' | wc -l)" 0
expect_eq "no alert for the harmless text" \
	"$(alerts ".pid==$harmless or .clipboard.owner_pid==$harmless" | wc -l)" 0
expect_eq "no clipboard alert beyond these (and their follow-ups)" \
	"$(alerts '(.rule=="clipboard_to_messaging" or .rule=="bulk_clipboard") and .counts.suppressed==null' | wc -l)" 8

echo "replay of the recording:"
live=$(jq -r '.rule' "$T/alerts.json" | sort | uniq -c)
replayed=$("$AGENT" --replay "$T/recording.json" -c "$T/cprwatch.conf" 2> "$T/replay.log" | jq -r '.rule' | sort | uniq -c)
expect_eq "replay raises the same alerts, rule by rule" "$replayed" "$live"

echo "leaks: no synthetic CPR number in any output"
"$HELPERS/cprw_gen" list 50 "$SEED" > "$T/numbers.txt"
hits=$(cat "$T/events.json" "$T/recording.json" "$T/alerts.json" "$T/agent.log" "$T/replay.log" |
	grep -c -F -f "$T/numbers.txt")
expect_eq "numbers found in events, recording, alerts, logs" "$hits" 0

echo "a user copies the numbers in UTF-16 through xclip (the count must see through it):"
cp "$HELPERS/x11_clip" "$THOME/cprclient"
iconv -f UTF-8 -t UTF-16 "$T/cpr.txt" > "$THOME/bom.txt"	# with a BOM
iconv -f UTF-8 -t UTF-16LE "$T/cpr.txt" > "$THOME/le.txt"	# without one
chown "$TUSER" "$THOME"/*.txt "$THOME/cprclient"
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts16.json"
for f in bom le; do
	as_user "$THOME/cprclient" run xclip -selection clipboard -i "$f.txt"
	sleep 0.2
	paste_as signal-desktop --xlib "$THOME/$f.txt"
done
sleep 0.5
stop_agent
uid=$(id -u "$TUSER")
expect_eq "xclip's sends of the UTF-16 text count 50 numbers each (BOM, no BOM)" \
	"$(events ".event==\"clipboard\" and .op==\"send\" and .comm==\"xclip\" and .loginuid==$uid" |
		jq -r '[.cpr_distinct, .total_len]|join(" ")' | paste -sd' ')" \
	"50 $(stat -c %s "$THOME/bom.txt") 50 $(stat -c %s "$THOME/le.txt")"
expect_eq "bulk_clipboard for the user's UTF-16 copy" \
	"$(jq -c "select(.rule==\"bulk_clipboard\" and .counts.suppressed==null)" "$T/alerts16.json" |
		jq -r '.counts.cpr_distinct' | sort -u)" 50
hits=$(cat "$T/events.json" "$T/alerts16.json" "$T/agent.log" | grep -c -F -f "$T/numbers.txt")
expect_eq "no number of the UTF-16 copy in any output" "$hits" 0

echo "a user owns the clipboard with an X client of their own (python3, no X library):"
if [ -z "$WIRE" ]; then
	echo "  not with the per-syscall tracepoints: only the raw dispatcher reads X11 off the wire (README, known limits)"
	finish
fi
cp x11_raw.py "$THOME/x11_raw.py"
cp "$T/cpr.txt" "$THOME/cpr.txt"
cp "$HELPERS/x11_clip" "$THOME/signal-desktop"
cp "$HELPERS/uring_copy" "$THOME/uring_copy"
chown "$TUSER" "$THOME/x11_raw.py" "$THOME/cpr.txt" "$THOME/signal-desktop" "$THOME/uring_copy"

# raw_own HOW...: the user's CPR client runs x11_raw.py HOW, owns the
# clipboard with the numbers, the user's messaging app pastes them; the
# python3 client's pid is appended to RAW as "HOW:PID".
raw_own() {
	local pid
	as_user "$THOME/cprclient" run python3 x11_raw.py "$@" own cpr.txt 10 > "$T/raw.out" &
	pid=$!
	for _ in $(seq 1 100); do
		grep -q ready "$T/raw.out" 2>/dev/null && break
		sleep 0.05
	done
	# the same user's messaging app pastes (clipboard_to_messaging pairs one user's apps)
	if ! as_user "$THOME/signal-desktop" --xlib paste > "$T/pasted" || ! cmp -s "$T/pasted" "$T/cpr.txt"; then
		echo "  FAIL: the user's signal-desktop did not paste the text (${*:-plain})"
		FAILS=$((FAILS + 1))
	fi
	RAW+=("${1:-plain}:$(pgrep -P "$(pgrep -P $pid)" python3 || echo none)")
	kill $pid 2>/dev/null
	pkill -u "$TUSER" -f x11_raw.py 2>/dev/null
	wait $pid 2>/dev/null
}

start_agent "$T/cprwatch.conf" --alert-log "$T/alerts_raw.json"
RAW=()
for how in "" --split --iov --mmsg --big --msb --flood; do
	raw_own $how
done
READ_RAW=("${RAW[@]}")
RAW=()
raw_own --sendfile
raw_own --uring="$THOME/uring_copy"
HIDDEN=("${RAW[@]}")
sleep 0.5
stop_agent
RAW=("${READ_RAW[@]}")
for r in "${RAW[@]}"; do
	how=${r%%:*} pid=${r#*:}
	expect_eq "$how: the client's take and its send of the 50 numbers, on the wire" \
		"$(events ".event==\"clipboard\" and .pid==$pid and .api==\"x11\" and (.op==\"take\" or (.op==\"send\" and .cpr_distinct==50 and .total_len==600))" |
			jq -r .op | sort | paste -sd' ')" "send take"
	expect_eq "$how: clipboard_to_messaging names the python3 owner, 50 numbers" \
		"$(jq -c "select(.rule==\"clipboard_to_messaging\" and .clipboard.owner_pid==$pid)" "$T/alerts_raw.json" |
			jq -r '[(.clipboard.owner_exe|sub(".*/";"")), .counts.cpr_distinct]|join(" ")')" "python3.11 50"
	expect_eq "$how: bulk_clipboard on its send" \
		"$(jq -c "select(.rule==\"bulk_clipboard\" and .pid==$pid)" "$T/alerts_raw.json" | jq -r .counts.cpr_distinct)" 50
done
flood=${RAW[6]#*:}
expect_eq "--flood: clipboard_unseen names the python3 client (more requests in one write than a walk)" \
	"$(jq -c "select(.rule==\"clipboard_unseen\" and .pid==$flood)" "$T/alerts_raw.json" | jq -r '[.severity, .clipboard.api]|join(" ")')" \
	"high x11"
echo "  the content hidden from the wire parser (moved from a file into the socket):"
pid=${HIDDEN[0]#*:}
expect_eq "--sendfile: the take is seen, no send with the numbers" \
	"$(events ".event==\"clipboard\" and .pid==$pid and (.op==\"take\" or (.op==\"send\" and .cpr_distinct>0))" | jq -r .op | paste -sd' ')" "take"
expect_eq "--sendfile: clipboard_unseen names the python3 client" \
	"$(jq -c "select(.rule==\"clipboard_unseen\" and .pid==$pid)" "$T/alerts_raw.json" | jq -r '.process_chain[0].exe|sub(".*/";"")')" "python3.11"
expect_eq "--uring: clipboard_unseen names the io_uring helper, the python3 client its parent" \
	"$(jq -c 'select(.rule=="clipboard_unseen" and (.process_chain[0].exe|endswith("/uring_copy")))' "$T/alerts_raw.json" |
		jq -r "[.process_chain[1].pid == ${HIDDEN[1]#*:}, .clipboard.op] | join(\" \")")" "true unseen"
expect_eq "the lost framing is also in the agent's log" \
	"$(grep -c "X11: the framing of a tracked client's connection was lost" "$T/agent.log" | sed 's/^[1-9][0-9]*$/yes/')" yes
hits=$(cat "$T/events.json" "$T/alerts_raw.json" "$T/agent.log" | grep -c -F -f "$T/numbers.txt")
expect_eq "no number of the python3 client's copies in any output" "$hits" 0
finish
