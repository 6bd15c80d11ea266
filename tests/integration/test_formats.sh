#!/usr/bin/env bash
# The documents municipalities really produce (issue 10), made at test time by
# the real producers (formats_corpus.sh: LibreOffice, Ghostscript, cairo,
# qpdf, Python's email package), each with 30 planted synthetic CPR numbers:
#
# 1. `cprwatchctl scan --json` on every file gives exactly the planted
#    distinct count and status (an encrypted PDF with a user password:
#    refused, reason encrypted; a PDF with an image-only page: partial, the
#    page counted), and never prints a planted number.
# 2. End to end with the real probes: a non-root user tries the obvious ways
#    round the export rule - the list saved as Word 97 .doc, as Excel 97 .xls,
#    printed to PDF, under black boxes, mailed as a base64 attachment, each
#    renamed to look like a photo - by copying them into a watched export
#    directory; every copy raises bulk_export with all 30 numbers.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v soffice >/dev/null || cannot_run "LibreOffice is not installed (make deps)"
setup_tmp
CTL=$OUTPUT/cprwatchctl
N=30
C=$T/corpus

echo "corpus (LibreOffice headless, ghostscript, cairo, qpdf, email):"
if ! OUTPUT=$OUTPUT bash "$(dirname "$0")/formats_corpus.sh" "$C" $N > "$T/corpus.log" 2>&1; then
	echo "  FAIL: corpus"; cat "$T/corpus.log"; exit 1
fi
expect_eq "corpus has every file" "$(wc -l < "$C/expect")" 31

echo "cprwatchctl scan on each file:"
while read -r f want a b; do
	out=$("$CTL" scan --json "$C/$f")
	case $want in
	ok) expect_eq "$f: ok, $a" "$(jq -r '[.status, .cpr_distinct] | join(" ")' <<<"$out")" \
		"ok $a" ;;
	refused) expect_eq "$f: refused ($a)" "$(jq -r '[.status, .reason] | join(" ")' <<<"$out")" \
		"refused $a" ;;
	partial) expect_eq "$f: partial, $a, $b pages without text" \
		"$(jq -r '[.status, .cpr_distinct, .pages_without_text] | join(" ")' <<<"$out")" \
		"partial $a $b" ;;
	esac
	echo "$out" >> "$T/scans.json"
done < "$C/expect"
hits=$(grep -cFf <(cat "$C/src/numbers"; tr -d - < "$C/src/numbers") "$T/scans.json")
expect_eq "no planted number in any scan output" "$hits" 0

echo "a non-root user copies the documents into an export directory:"
mkdir -p "$T/export"
chmod 1777 "$T/export"
chmod 0755 "$C"
chmod 0644 "$C"/*.*
write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[export_paths]
local = $T/export
[output]
stdout = no
CONF
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json"
copies="writer.doc calc.xls calc.pdf cairo-redacted.pdf mail-attachment.eml aes-256.pdf"
for f in $copies; do
	runuser -u nobody -- cp "$C/$f" "$T/export/holiday-${f%.*}.jpg"
done
for _ in $(seq 1 100); do
	[ "$(jq -s '[.[] | select(.rule == "bulk_export")] | length' "$T/alerts.json" 2>/dev/null)" \
		-ge 6 ] && break
	sleep 0.1
done
stop_agent
for f in $copies; do
	expect_eq "bulk_export for $f as a .jpg" \
		"$(jq -r "select(.rule == \"bulk_export\" and .counts.suppressed == null and
			.file.path == \"$T/export/holiday-${f%.*}.jpg\")
			| [.user, .counts.cpr_distinct] | join(\" \")" "$T/alerts.json")" "nobody $N"
done
hits=$(cat "$T/alerts.json" "$T/events.json" "$T/agent.log" |
	grep -cFf <(cat "$C/src/numbers"; tr -d - < "$C/src/numbers"))
expect_eq "no planted number in alerts, events or the log" "$hits" 0
finish
