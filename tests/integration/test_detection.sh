#!/usr/bin/env bash
# Detection end to end with the real probes: a CPR client exports an xlsx
# with 500 synthetic CPR numbers, the export is copied, opened by a
# messaging app, zipped, copied to removable media, and the client makes
# 2,000 look-ups in a minute.  Each step must raise its rule; the same flows
# with non-CPR numbers raise nothing; the recording replays to the same
# alerts; and no output of the agent holds any of the synthetic numbers.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v zip >/dev/null || cannot_run "zip is not installed (make deps)"
setup_tmp

SEED=$RANDOM
mkdir -p "$T/bin" "$T/Downloads" "$T/work" "$T/usb"
mount -t tmpfs -o size=32m cprwatch-usb "$T/usb" || cannot_run "cannot mount tmpfs"
trap 'umount "$T/usb" 2>/dev/null; cleanup' EXIT
cp "$HELPERS/cprw_gen" "$T/bin/cprclient"
cp "$HELPERS/cprw_actions" "$T/bin/cprclient-net"
cp "$HELPERS/cprw_actions" "$T/bin/signal-desktop"
cp "$HELPERS/cprw_actions" "$T/bin/notes-app"

coproc SINK { "$HELPERS/tcp_sink" -1 30; }
read -r line <&"${SINK[0]}"; port=${line#port=}

write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[cpr_clients]
path = $T/bin/cprclient
path = $T/bin/cprclient-net
[messaging]
app = $T/bin/signal-desktop
[archivers]
path = zip
[export_paths]
local = $T/Downloads
removable = $T/usb
[rules.lookup_burst]
per_hour = 1000
off_hours_per_hour = 1000
endpoint = 127.0.0.1:$port
[output]
stdout = no
CONF

# run_flow KIND LOOKUPS: the whole flow; KIND is xlsx (CPR) or xlsx-plain (none)
run_flow() {
	"$T/bin/cprclient" "$1" "$T/Downloads/export.xlsx" 500 "$SEED"
	sleep 0.3				# let the export's scan land first
	cp "$T/Downloads/export.xlsx" "$T/work/copy.xlsx"
	"$T/bin/signal-desktop" read "$T/work/copy.xlsx" > /dev/null
	"$T/bin/notes-app" read "$T/work/copy.xlsx" > /dev/null	# not a messaging app
	(cd "$T/work" && zip -q copy.zip copy.xlsx)
	cp "$T/Downloads/export.xlsx" "$T/usb/export.xlsx"
	"$T/bin/cprclient-net" connect-loop "$port" "$2" > /dev/null
	sleep 0.5
}

start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json" --record "$T/recording.json"
run_flow xlsx 2000
stop_agent
cp "$T/events.json" "$T/events-positive.json"

alerts() { jq -c "select($1)" "$T/alerts.json"; }
echo "CPR export flow:"
expect_eq "bulk_export on the export, 500 numbers" \
	"$(alerts ".rule==\"bulk_export\" and .file.path==\"$T/Downloads/export.xlsx\"" | jq -r '[.severity, .counts.cpr_distinct]|join(" ")')" \
	"high 500"
expect_eq "messaging_exfil on the copy names the original export" \
	"$(alerts ".rule==\"messaging_exfil\" and .file.path==\"$T/work/copy.xlsx\"" | jq -r '.origin_export.path' | sort -u)" \
	"$T/Downloads/export.xlsx"
expect_eq "the alert's process chain starts at the messaging app" \
	"$(alerts ".rule==\"messaging_exfil\"" | jq -r '.process_chain[0].exe' | sort -u)" \
	"$T/bin/signal-desktop"
expect_count_alerts() { expect_eq "$1" "$(alerts "$2" | wc -l)" "$3"; }
expect_count_alerts "no messaging_exfil for an app that is not a messaging app" \
	".rule==\"messaging_exfil\" and (.process_chain[0].exe|endswith(\"notes-app\"))" 0
expect_eq "archive_before_exfil when zip reads the copy" \
	"$(alerts ".rule==\"archive_before_exfil\"" | jq -r '[.file.path, .origin_export.path]|join(" ")' | sort -u)" \
	"$T/work/copy.xlsx $T/Downloads/export.xlsx"
expect_eq "removable_media for the copy on the stick" \
	"$(alerts ".rule==\"removable_media\" and .file.path==\"$T/usb/export.xlsx\"" | jq -r '.origin_export.path' | sort -u)" \
	"$T/Downloads/export.xlsx"
expect_eq "lookup_burst once 1000 look-ups an hour are passed" \
	"$(alerts ".rule==\"lookup_burst\" and .counts.suppressed==null" | jq -r '.counts.events')" 1001
expect_eq "the rest of the burst folded into one follow-up" \
	"$(alerts ".rule==\"lookup_burst\" and .counts.suppressed != null" | jq -r '.counts.suppressed')" 999
expect_eq "every alert has id, host, user and a masked sample at most" \
	"$(jq -r 'select((.alert_id|test("^[0-9a-f-]{36}$")) and .host and .user and ((.masked_samples|length) <= 5)) | 1' "$T/alerts.json" | wc -l)" \
	"$(wc -l < "$T/alerts.json")"

echo "replay of the recording:"
live=$(jq -r '.rule' "$T/alerts.json" | sort | uniq -c)
replayed=$("$AGENT" --replay "$T/recording.json" -c "$T/cprwatch.conf" 2> "$T/replay.log" | jq -r '.rule' | sort | uniq -c)
expect_eq "replay raises the same alerts, rule by rule" "$replayed" "$live"

echo "leaks: no synthetic CPR number in any output"
"$HELPERS/cprw_gen" list 500 "$SEED" > "$T/numbers.txt"
hits=$(cat "$T/events-positive.json" "$T/recording.json" "$T/alerts.json" "$T/agent.log" \
	"$T/replay.log" | grep -c -F -f "$T/numbers.txt")
expect_eq "numbers found in events, recording, alerts, logs" "$hits" 0

echo "same flow with non-CPR numbers:"
rm -f "$T/work/copy.zip" "$T/alerts.json" "$T/usb/export.xlsx"
: > "$T/events.json"
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
run_flow xlsx-plain 50
stop_agent
expect_eq "no alert at all" "$(wc -l < "$T/alerts.json")" 0
[ "$(wc -l < "$T/alerts.json")" = 0 ] || cat "$T/alerts.json"
finish
