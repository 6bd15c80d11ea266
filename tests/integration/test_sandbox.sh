#!/usr/bin/env bash
# The scanner sandbox: files are parsed by cprwatch-scand, unprivileged and
# under seccomp.  A non-root user writes files that make a test build of the
# helper (build/tests/cprwatch-scand-test) open a file by path, create a
# socket, crash and spin, as a subverted parser would; the agent must report
# each as refused with the right reason, count it in status, and go on
# scanning the next file.
. "$(dirname "$0")/lib.sh"
need_bpf
setup_tmp
command -v setpriv >/dev/null || cannot_run "setpriv (util-linux) is missing"

mkdir -p "$T/export" "$T/src" "$T/bin"
chmod 1777 "$T/export" "$T/src"
cp "$OUTPUT/cprwatchctl" "$OUTPUT/cprwatch-scand" "$OUTPUT/tests/cprwatch-scand-test" "$T/bin/"
write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[export_paths]
local = $T/export
[scan]
workers = 1
max_seconds = 1
CONF

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
"$HELPERS/cprw_gen" text "$T/src/list.txt" 30 1010 >/dev/null
for t in open socket crash hang; do printf 'CPRW-SANDBOX-TEST:%s\n' $t > "$T/src/$t.txt"; done

export CPRWATCH_SCAND=$T/bin/cprwatch-scand-test
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json" --record "$T/rec.json"
as_nobody cp "$T/src/list.txt" "$T/export/before.txt"
sleep 0.5
helper=$(ps -o pid= --ppid "$AGENT_PID" | head -1 | tr -d ' ')
st=/proc/$helper/status
echo "the helper, started for the first scan"
expect_eq "runs as nobody, without capabilities, no new privileges, seccomp filter" \
	"$(awk '/^Uid:/{u=$2} /^CapEff:/{c=$2} /^CapBnd:/{b=$2} /^NoNewPrivs:/{n=$2} /^Seccomp:/{s=$2} END{print u, c, b, n, s}' "$st" 2>/dev/null)" \
	"65534 0000000000000000 0000000000000000 1 2"
for t in open socket crash hang; do
	as_nobody cp "$T/src/$t.txt" "$T/export/$t.txt"
	sleep 0.3
done
as_nobody cp "$T/src/list.txt" "$T/export/after.txt"
sleep 5	# the hang is killed 1 s + 3 s grace after it started
status=$("$OUTPUT/cprwatchctl" status --json)
last=$(ps -o pid= --ppid "$AGENT_PID" | tr -d ' ')
stop_agent

scan() { jq -c "select(.event==\"scan\" and .path==\"$T/export/$1\")" "$T/rec.json" | jq -r '[.status, .reason, .cpr.distinct]|join(" ")' | tail -1; }
echo "hostile files refused with the reason, the agent carries on"
expect_eq "open by path: killed by seccomp" "$(scan open.txt)" "refused seccomp 0"
expect_eq "socket: killed by seccomp" "$(scan socket.txt)" "refused seccomp 0"
expect_eq "wild write: crashed" "$(scan crash.txt)" "refused crashed 0"
expect_eq "endless loop: timeout" "$(scan hang.txt)" "refused timeout 0"
expect_eq "the file before is scanned in the sandbox" "$(scan before.txt)" "ok none 30"
expect_eq "the file after is scanned by a new helper" "$(scan after.txt)" "ok none 30"
expect_eq "each refusal is a scan_refused alert" \
	"$(jq -r "select(.rule==\"scan_refused\") | .file.path" "$T/alerts.json" 2>/dev/null | sort | tr '\n' ' ')" \
	"$T/export/crash.txt $T/export/hang.txt $T/export/open.txt $T/export/socket.txt "
expect_eq "status counts them" \
	"$(jq -r '.scan.sandbox | [.seccomp, .crashed, .timeouts, .start_failed]|join(" ")' <<<"$status")" \
	"2 1 1 0"
expect_eq "status lists them as a problem" \
	"$(jq -r '.problems[] | select(startswith("4 files refused"))' <<<"$status" | wc -l)" 1
expect_eq "the agent stopped cleanly" "$AGENT_RC" 0
expect_eq "one helper was running at the end, and it is gone" \
	"$(echo "$last" | wc -w) $(kill -0 $last 2>/dev/null && echo alive || echo gone)" "1 gone"

echo "cprwatchctl scan, run by a user, uses the same sandbox"
out=$(cd "$T" && as_nobody "$T/bin/cprwatchctl" scan --json "$T/src/list.txt" "$T/src/socket.txt" "$T/src/list.txt")
rc=$?
expect_eq "list, forbidden call, list again" \
	"$(jq -r '[.status, .reason, .cpr_distinct]|join(" ")' <<<"$out" | tr '\n' ';')" \
	"ok none 30;refused seccomp 0;ok none 30;"
expect_eq "exit status 2: a file was not fully scanned" "$rc" 2
echo "person hashes (for counting people across files) cross the boundary intact"
"$HELPERS/cprw_gen" text "$T/src/many.txt" 20000 1011 >/dev/null
expect_eq "20000 distinct numbers: 3 chunks of hashes, the same as in process" \
	"$(CPRWATCH_SCAND=$T/bin/cprwatch-scand "$HELPERS/sbx_persons" "$T/src/many.txt")" \
	"status=ok distinct=20000 persons=20000 same=yes"
unset CPRWATCH_SCAND
expect_eq "the installed-beside helper is found without the variable" \
	"$(as_nobody "$T/bin/cprwatchctl" scan --json "$T/src/list.txt" | jq -r '[.status, .cpr_distinct]|join(" ")')" \
	"ok 30"
rm "$T/bin/cprwatch-scand"
expect_eq "no helper: refused, saying so, never parsed in process" \
	"$(CPRWATCH_SCAND= "$T/bin/cprwatchctl" scan --json "$T/src/list.txt" 2>/dev/null | jq -r '[.status, .reason]|join(" ")')" \
	"refused sandbox unavailable"
finish
