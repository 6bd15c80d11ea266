#!/usr/bin/env bash
# `make bench`: what the agent costs untracked processes next to its hook
# floors (bench/cost.sh), the agent's overhead next to no monitor and auditd
# (bench/overhead.sh), then the scanner's throughput (bench/scan.sh, when
# present) and on office documents (bench/formats.sh).  Root only.  bench/README.md explains the figures.
set -u
cd "$(dirname "$0")/.." || exit 1
export OUTPUT=${OUTPUT:-$PWD/build}

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
