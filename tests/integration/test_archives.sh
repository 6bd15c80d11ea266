#!/usr/bin/env bash
# Archives and compressed streams made here by the real tools (tar, xz,
# bzip2, zstd, lz4, 7z, cpio, xorriso, zip) hold a list of synthetic CPR
# numbers; scanned through the sandboxed helper each must yield exactly the
# planted distinct count, and an encrypted 7z or zip must be refused with
# reason "encrypted".  Then a non-root user packs a CPR export into an
# encrypted 7z in an export directory: the agent must raise encrypted_export.
# (rar: libarchive reads it, but Debian has no free rar writer to test with.)
. "$(dirname "$0")/lib.sh"
need_bpf
setup_tmp
for tool in 7z xz bzip2 zstd lz4 cpio xorriso zip tar setpriv; do
	command -v $tool >/dev/null || cannot_run "$tool is missing (make deps)"
done

C=$T/corpus
mkdir -p "$C/d" "$T/export"
chmod 1777 "$T/export"
chmod 0755 "$C"
"$HELPERS/cprw_gen" text "$C/d/list.txt" 30 2024 >/dev/null
"$HELPERS/cprw_gen" xlsx "$C/d/list.xlsx" 30 2024 >/dev/null
(
	cd "$C"
	tar cf a.tar d
	tar cJf a.tar.xz d
	tar cjf a.tar.bz2 d
	tar czf a.tar.gz d
	tar cf - d | zstd -q > a.tar.zst
	xz -c d/list.txt > a.xz
	bzip2 -c d/list.txt > a.bz2
	zstd -q -c d/list.txt > a.zst
	lz4 -q -c d/list.txt > a.lz4
	7z a -bd -y a.7z d >/dev/null
	7z a -bd -y -txz a.7z.xz d/list.txt >/dev/null
	(cd d && ls | cpio -o -H newc --quiet) > a.cpio
	(cd d && ls | cpio -o -H odc --quiet) > a-odc.cpio
	xorriso -as mkisofs -quiet -J -o a.iso d 2>/dev/null
	zip -q -r a.zip a.7z a.tar.xz	# archives inside a zip
	7z a -bd -y -pSecret-1 enc.7z d >/dev/null
	7z a -bd -y -pSecret-1 -mhe=on enc-headers.7z d >/dev/null
	zip -q -P Secret-1 enc.zip d/list.txt
	(head -c 1024 /dev/zero; cat d/list.txt) | xz > zeros-then-list.xz	# reads as an empty tar
	head -c 200M /dev/zero | zstd -q -1 > bomb.zst
	head -c 200M /dev/zero | xz -0 -T1 > bomb.xz
)
scan() { "$OUTPUT/cprwatchctl" scan --json "$C/$1" | jq -r '[.status, .reason, .cpr_distinct]|join(" ")'; }
echo "each archive yields the planted 30 (the xlsx holds the same 30)"
for f in a.tar a.tar.xz a.tar.bz2 a.tar.gz a.tar.zst a.xz a.bz2 a.zst a.lz4 a.7z a.7z.xz \
	a.cpio a-odc.cpio a.iso a.zip zeros-then-list.xz; do
	expect_eq "$f" "$(scan $f)" "ok none 30"
done
echo "encrypted archives are refused, never ok"
for f in enc.7z enc-headers.7z enc.zip; do
	expect_eq "$f" "$(scan $f)" "refused encrypted 0"
done

echo "bombs through libarchive hit the ratio cap"
for f in bomb.zst bomb.xz; do
	expect_eq "$f" "$(scan $f | cut -d' ' -f1-3)" "refused zip bomb"
done

echo "an encrypted 7z of a CPR export, made by a non-root user"
write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[export_paths]
local = $T/export
CONF
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
start_agent "$T/cprwatch.conf" --alert-log "$T/alerts.json" --record "$T/rec.json"
as_nobody cp "$C/d/list.txt" "$T/export/list.txt"
sleep 0.5	# the export is scanned (30 numbers) before the archiver reads it
(cd "$T/export" && as_nobody 7z a -bd -y -pHidden-1 -mhe=on secret.7z list.txt >/dev/null)
as_nobody 7z a -bd -y "$T/export/open.7z" "$C/d/list.txt" >/dev/null
sleep 1
stop_agent
recorded() { jq -r "select(.event==\"scan\" and .path==\"$T/export/$1\") | [.status, .reason, .cpr.distinct]|join(\" \")" "$T/rec.json" | tail -1; }
expect_eq "the encrypted archive is refused as encrypted" "$(recorded secret.7z)" "refused encrypted 0"
expect_eq "the open archive is read through the sandbox" "$(recorded open.7z)" "ok none 30"
expect_eq "encrypted_export, high, for the encrypted one only" \
	"$(jq -r 'select(.rule=="encrypted_export") | [.severity, .file.path]|join(" ")' "$T/alerts.json")" \
	"high $T/export/secret.7z"
expect_eq "and a bulk_export for the open one" \
	"$(jq -r "select(.rule==\"bulk_export\" and .file.path==\"$T/export/open.7z\") | .counts.cpr_distinct" "$T/alerts.json")" 30
finish
