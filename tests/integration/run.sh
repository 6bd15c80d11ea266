#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh (root: they load the real probes) and
# prints one summary line.  Exit 77 from a test is a skip; CI=true turns a
# skip into a failure inside the test itself (lib.sh cannot_run).
set -u
cd "$(dirname "$0")"
pass=0 fail=0 skip=0
failed=()
# The syscall probes have two variants (bpf/README.md): the raw dispatcher,
# the default, and the per-syscall tracepoints; these tests run under both.
# CPRWATCH_SYSCALL_HOOKS=tracepoint bash run.sh runs every test on the fallback.
BOTH_HOOKS="test_probes.sh test_file_edges.sh test_lineage.sh test_iouring.sh test_clipboard.sh"
runs=(test_*.sh)
for t in $BOTH_HOOKS; do runs+=("hooks=tracepoint:$t"); done
for t in "${runs[@]}"; do
	echo "== $t"
	case $t in
	hooks=tracepoint:*) CPRWATCH_SYSCALL_HOOKS=tracepoint bash "${t#*:}" ;;
	*) bash "$t" ;;
	esac
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
