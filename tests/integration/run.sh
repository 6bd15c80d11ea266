#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh (root: they load the real probes) and
# prints one summary line.  Exit 77 from a test is a skip; CI=true turns a
# skip into a failure inside the test itself (lib.sh cannot_run).
set -u
cd "$(dirname "$0")"
pass=0 fail=0 skip=0
failed=()
for t in test_*.sh; do
	echo "== $t"
	bash "$t"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); failed+=("$t") ;;
	esac
done
echo
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
