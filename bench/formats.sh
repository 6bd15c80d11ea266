#!/bin/bash
# Scanner throughput on office documents against a same-run baseline.
#
# The corpus of tests/integration/formats_corpus.sh with 300 numbers per
# document (LibreOffice, Ghostscript, cairo, qpdf: multi-page PDFs, Word 97
# .doc), each set read ROUNDS times:
#   PDF:  `cprwatchctl scan` (poppler in-process) beside
#         `pdftotext FILE - | grep -cE '[0-9]{6}-?[0-9]{4}'` per file (poppler-utils)
#   .doc .xls .ppt: `cprwatchctl scan` beside `grep -acE` on the raw bytes
#         (there is no pdftotext for them; raw grep is what reading them as
#         text costs, and misses most numbers, see the counts)
# CPU seconds (user + system, children included), best of 3; counts found
# (scanner: distinct per file summed; grep: matching lines summed).
#
#   OUTPUT=/abs/build bash bench/formats.sh   (FORMATS_DIR=DIR reuses a corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-$PWD/build}
CTL=$OUTPUT/cprwatchctl
ROUNDS=${ROUNDS:-10}
N=300

dir=${FORMATS_DIR:-}
if [ -z "$dir" ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/cprw-formatsbench.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
	echo "building the corpus (LibreOffice headless, $N numbers per document)..."
	OUTPUT=$OUTPUT bash tests/integration/formats_corpus.sh "$dir" $N > "$dir.log" 2>&1 ||
		{ cat "$dir.log"; exit 1; }
	rm -f "$dir.log"
fi
cd "$dir"
pdfs=$(awk '$1 ~ /\.pdf$/ && $2 == "ok" { print $1 }' expect)
docs=$(awk '$1 ~ /\.(doc|xls|ppt)$/ { print $1 }' expect)

# cpu SECONDS of a command, best of 3 (bash's time of the whole loop, children included)
cpu_best() {
	local best= c
	for _ in 1 2 3; do
		c=$({ TIMEFORMAT='%U %S'; time "$@" > /dev/null; } 2>&1 | awk '{ print $1 + $2 }')
		if [ -z "$best" ] || awk -v a="$c" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$c
		fi
	done
	echo "$best"
}

scanner_rounds() {
	local i
	for ((i = 0; i < ROUNDS; i++)); do
		"$CTL" scan --json "$@" || [ $? -le 2 ]
	done
}
pdftotext_rounds() {
	local i f
	for ((i = 0; i < ROUNDS; i++)); do
		for f in "$@"; do
			pdftotext "$f" - | LC_ALL=C grep -cE '[0-9]{6}-?[0-9]{4}' || true
		done
	done
}
rawgrep_rounds() {
	local i
	for ((i = 0; i < ROUNDS; i++)); do
		LC_ALL=C grep -acE '[0-9]{6}-?[0-9]{4}' "$@" || true
	done
}

report() {	# report NAME BASELINE_NAME BASELINE_FN FILES...
	local name=$1 bname=$2 bfn=$3
	shift 3
	local bytes sc bc sfound bfound
	bytes=$(cat "$@" | wc -c)
	sfound=$("$CTL" scan --json "$@" | jq -s 'map(.cpr_distinct) | add')
	bfound=$(ROUNDS=1 $bfn "$@" | awk -F: '{ s += $NF } END { print s }')
	sc=$(cpu_best scanner_rounds "$@")
	bc=$(cpu_best $bfn "$@")
	awk -v n=$# -v r="$ROUNDS" -v b="$bytes" -v sc="$sc" -v bc="$bc" -v name="$name" \
		-v bname="$bname" -v sf="$sfound" -v bf="$bfound" \
		-v planted="$(printf '%s\n' "$@" | awk 'NR == FNR { want[$1] = $3; next }
			{ s += want[$1] } END { print s }' expect -)" 'BEGIN {
		sc = sc > 0.001 ? sc : 0.001; bc = bc > 0.001 ? bc : 0.001
		printf "%s: %d files, %.1f MB, %d numbers planted\n", name, n, b / 1e6, planted
		printf "  scanner:   %6.3f s cpu for %d rounds = %6.1f MB/s, %5.2f ms/file, found %d\n",
		       sc, r, b * r / sc / 1e6, sc * 1000 / (n * r), sf
		printf "  %-10s %6.3f s cpu for %d rounds = %6.1f MB/s, %5.2f ms/file, found %d\n",
		       bname ":", bc, r, b * r / bc / 1e6, bc * 1000 / (n * r), bf
		printf "  scanner/baseline cpu: %.2fx faster\n", bc / sc }'
}

# shellcheck disable=SC2086
report "PDF corpus" "pdftotext|grep" pdftotext_rounds $pdfs
# shellcheck disable=SC2086
report "Office 97 corpus (.doc .xls .ppt)" "raw grep" rawgrep_rounds $docs
