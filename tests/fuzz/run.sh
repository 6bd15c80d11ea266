#!/usr/bin/env bash
# make fuzz-run: every libFuzzer target for FUZZ_SECONDS (default 60) each,
# one after the other.  Seeds are the kept corpus tests/fuzz/corpus/TARGET
# (hand-written, synthetic numbers only) plus a few made here (scanner
# documents from the unit tests' generators, a small shared library); what a
# run finds goes into $OUTPUT/fuzz/corpus/TARGET, read again next time.  A
# crash, leak or timeout fails the target; its input is left in
# $OUTPUT/fuzz/crash-TARGET-*.  Prints executions per target.
set -u
OUTPUT=${OUTPUT:-build}
SECS=${FUZZ_SECONDS:-60}
cd "$(dirname "$0")/../.."
pass=0 fail=0
failed=()
seed_extra() {		# seed_extra TARGET DIR: seeds made at run time
	case $1 in
	fuzz_scan)
		(cd tests && SCAN_SEED_DIR="$2" "$OUTPUT/test_unit" scan > /dev/null 2>&1) ;;
	fuzz_elfsym)
		printf 'int cprw_seed_fn(void) { return 1; }\n' > "$2/seed.c"
		cc -shared -fPIC -o "$2/seed.so" "$2/seed.c" && rm -f "$2/seed.c" ;;
	esac
}
printf '%-18s %12s %8s %s\n' target executions exec/s result
for t in "$@"; do
	bin=$OUTPUT/fuzz/$t
	corpus=$OUTPUT/fuzz/corpus/$t
	extra=$OUTPUT/fuzz/seed/$t
	mkdir -p "$corpus" "$extra"
	seed_extra "$t" "$(cd "$extra" && pwd)"
	dirs=("$corpus" "$extra")
	[ -d "tests/fuzz/corpus/$t" ] && dirs+=("tests/fuzz/corpus/$t")
	log=$OUTPUT/fuzz/$t.log
	"$bin" -max_total_time="$SECS" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$OUTPUT/fuzz/crash-$t-" "${dirs[@]}" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(( ${execs:-0} / (SECS > 0 ? SECS : 1) ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); res=ok
	else
		fail=$((fail + 1)); failed+=("$t"); res="FAILED (rc $rc, see $log)"
	fi
	printf '%-18s %12s %8s %s\n' "$t" "${execs:-?}" "$rate" "$res"
done
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
