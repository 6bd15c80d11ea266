#!/usr/bin/env bash
# Printing is an export (issue 11): a login user prints a CPR export with lp
# and a one-number handout with lpr on a real CUPS (a private cupsd with a
# file:/dev/null printer); print_export fires for the print clients' opens
# and for the job documents CUPS spools.  Non-CPR documents print quietly.
. "$(dirname "$0")/lib.sh"
need_bpf
for b in /usr/sbin/cupsd lp lpr lpadmin; do
	command -v "$b" > /dev/null || cannot_run "CUPS is not installed (make deps: cups cups-client cups-bsd)"
done
setup_tmp
make_test_user

SEED=$RANDOM
TUID=$(id -u "$TUSER")
mkdir -p "$T/bin" "$T/cups/spool/tmp" "$T/cups/cache" "$T/cups/state" "$T/cups/log"
cp "$HELPERS/cprw_gen" "$T/bin/cprclient"
chmod 0755 "$T/bin"/* "$T/cups"
as_user mkdir -p "$THOME/Downloads" "$THOME/Documents"

# a private cupsd, so the test never touches the machine's printing
cat > "$T/cups/cups-files.conf" <<CONF
FileDevice Yes
ServerRoot $T/cups
RequestRoot $T/cups/spool
TempDir $T/cups/spool/tmp
CacheDir $T/cups/cache
StateDir $T/cups/state
ErrorLog $T/cups/log/error_log
AccessLog $T/cups/log/access_log
PageLog $T/cups/log/page_log
CONF
cat > "$T/cups/cupsd.conf" <<CONF
Listen $T/cups/cups.sock
PreserveJobFiles Yes
LogLevel warn
<Location />
Order allow,deny
Allow all
</Location>
CONF
export CUPS_SERVER=$T/cups/cups.sock
/usr/sbin/cupsd -f -c "$T/cups/cupsd.conf" -s "$T/cups/cups-files.conf" &
CUPSD=$!
trap 'kill "$CUPSD" 2>/dev/null; wait "$CUPSD" 2>/dev/null; cleanup; userdel -r "$TUSER" 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -S "$CUPS_SERVER" ] && break; sleep 0.05; done
lpadmin -p test -E -v file:/dev/null || cannot_run "cannot add a CUPS printer: $(tail -3 "$T/cups/log/error_log")"

write_config "$T/cprwatch.conf" <<CONF
[cpr_clients]
path = $T/bin/cprclient
[printers]
path = lp
path = lpr
[export_paths]
local = $THOME/Downloads
local = $T/cups/spool
[rules.print_export]
spool = $T/cups/spool
[output]
stdout = no
CONF

# flows KIND: text (CPR numbers) or text-plain (none)
flows() {
	as_user "$T/bin/cprclient" "$1" "$THOME/Downloads/export.csv" 600 "$SEED"
	as_user "$HELPERS/cprw_gen" "$1" "$THOME/Documents/handout.txt" 1 "$((SEED + 1))"
	sleep 0.5
	as_user env CUPS_SERVER="$CUPS_SERVER" lp -d test "$THOME/Downloads/export.csv" > /dev/null
	as_user env CUPS_SERVER="$CUPS_SERVER" lpr -P test "$THOME/Documents/handout.txt"
	sleep 1.5				# the jobs are spooled and scanned
}

alerts() { jq -c "select($1)" "$T/alerts.json"; }

start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
flows text
stop_agent

echo "lp of the CPR export:"
expect_eq "print_export on lp's open names the export, its 600 numbers and the user" \
	"$(alerts ".rule==\"print_export\" and .file.path==\"$THOME/Downloads/export.csv\"" |
		jq -r '[.process_chain[0].comm, .origin_export.path, .counts.origin_cpr_distinct, .loginuid]|join(" ")')" \
	"lp $THOME/Downloads/export.csv 600 $TUID"
echo "lpr of a handout with one number:"
expect_eq "print_export on lpr's open with one number (min_cpr 1)" \
	"$(alerts ".rule==\"print_export\" and .file.path==\"$THOME/Documents/handout.txt\"" |
		jq -r '[.process_chain[0].comm, .counts.cpr_distinct, .loginuid]|join(" ")')" \
	"lpr 1 $TUID"
echo "the CUPS spool:"
expect_eq "print_export on each spooled job document, with its count" \
	"$(alerts ".rule==\"print_export\" and (.file.path|startswith(\"$T/cups/spool/d\"))" |
		jq -r '.counts.cpr_distinct' | sort -n | tr '\n' ' ')" \
	"1 600 "

echo "leaks: no synthetic CPR number in any output"
{ "$HELPERS/cprw_gen" list 600 "$SEED"; "$HELPERS/cprw_gen" list 1 "$((SEED + 1))"; } > "$T/numbers.txt"
expect_eq "numbers found in events, alerts, log" \
	"$(cat "$T/events.json" "$T/alerts.json" "$T/agent.log" | grep -c -F -f "$T/numbers.txt")" 0

echo "the same prints without CPR numbers:"
rm -f "$T/alerts.json" "$T/cups/spool/d"*
: > "$T/events.json"
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
flows text-plain
stop_agent
expect_eq "no alert at all" "$(wc -l < "$T/alerts.json")" 0
[ "$(wc -l < "$T/alerts.json")" = 0 ] || cat "$T/alerts.json"
finish
