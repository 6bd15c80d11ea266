#!/usr/bin/env bash
# `make bench`: what the agent costs untracked processes next to its hook
# floors (bench/cost.sh), the agent's overhead next to no monitor and auditd
# (bench/overhead.sh), then the scanner's throughput (bench/scan.sh, when
# present) and on office documents (bench/formats.sh).  Root only.  bench/README.md explains the figures.
set -u
cd "$(dirname "$0")/.." || exit 1
export OUTPUT=${OUTPUT:-$PWD/build}
# BENCH_QUICK=1 (make bench-quick): one repetition of smaller loops, a smoke
# run of a few minutes whose figures only show that every part works; any
# variable set explicitly wins.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	export COST_REPS=${COST_REPS:-1} COST_FILE_N=${COST_FILE_N:-5000} COST_EXEC_N=${COST_EXEC_N:-100}
	export COST_NET_N=${COST_NET_N:-500} COST_X11_N=${COST_X11_N:-100000}
	export COST_IOURING_N=${COST_IOURING_N:-50000} COST_IDLE_S=${COST_IDLE_S:-10}
	export COST_RATE_STEPS=${COST_RATE_STEPS:-50000} COST_RATE_STEP_S=${COST_RATE_STEP_S:-3}
	export COST_RATE_S=${COST_RATE_S:-5}
	export BENCH_REPS=${BENCH_REPS:-1} BENCH_AUDITD=${BENCH_AUDITD:-0} BENCH_BUDGET_S=${BENCH_BUDGET_S:-60}
	export SCAN_BENCH_MB=${SCAN_BENCH_MB:-20} ROUNDS=${ROUNDS:-2}
	export BENCH_RUNS=${BENCH_RUNS:-1} BENCH_SSL_LOOPS=${BENCH_SSL_LOOPS:-20000}
	export BENCH_TLS_REQUESTS=${BENCH_TLS_REQUESTS:-50}
fi

start=$(date +%s)
rc=0
echo "== bench/cost.sh"
bash bench/cost.sh || rc=$?
[ $rc -eq 0 ] || echo "bench: cost.sh failed (exit $rc)" >&2
echo
echo "== bench/overhead.sh"
bash bench/overhead.sh || { r=$?; echo "bench: overhead.sh failed (exit $r)" >&2; [ $rc -ne 0 ] || rc=$r; }
echo
echo "== bench/iouring.sh"
bash bench/iouring.sh || { r=$?; echo "bench: iouring.sh failed (exit $r)" >&2; [ $rc -ne 0 ] || rc=$r; }
if [ -f bench/scan.sh ]; then
	echo
	echo "== bench/scan.sh"
	bash bench/scan.sh || { r=$?; echo "bench: scan.sh failed (exit $r)" >&2; [ $rc -ne 0 ] || rc=$r; }
fi
if [ -f bench/tls.sh ]; then
	echo
	echo "== bench/tls.sh"
	bash bench/tls.sh || { r=$?; echo "bench: tls.sh failed (exit $r)" >&2; [ $rc -ne 0 ] || rc=$r; }
fi
if [ -f bench/formats.sh ]; then
	echo
	echo "== bench/formats.sh"
	bash bench/formats.sh || { r=$?; echo "bench: formats.sh failed (exit $r)" >&2; [ $rc -ne 0 ] || rc=$r; }
fi
echo
echo "bench: done in $(($(date +%s) - start))s"
exit $rc
