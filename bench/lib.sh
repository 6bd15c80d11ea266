# bench/lib.sh: what the bench scripts share (sourced, not run).  Set
# BENCH_NAME (the prefix of error messages) before sourcing it.
#
#   die MSG...                   print "BENCH_NAME: MSG" and exit 1
#   need_root WHY                die unless root
#   need_tools TOOL...           die naming the first tool not installed
#   need_count NAME VALUE        die unless VALUE is a positive whole number
#   wait_gone PID SECS           wait for a child to exit; false on timeout
#   stop_pid PID [WHAT] [SECS]   SIGTERM, SIGKILL (said) after SECS (15) s; quiet when PID is empty
#   wait_ready PID FILE          wait until FILE exists (--ready-file); false if PID died or 20 s passed
#   bench_traps FN               run FN on exit; ^C, TERM and HUP exit with 130, 143, 129
#   field NAME LINE              the number after NAME= in LINE (bench/workload's output)

die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

need_root() {
	[ "$(id -u)" = 0 ] || die "must run as root ($1)"
}

need_tools() {
	local t
	for t; do
		command -v "$t" >/dev/null || die "$t is not installed (make deps)"
	done
}

need_count() {
	case $2 in '' | *[!0-9]* | 0) die "$1 must be a positive number" ;; esac
}

wait_gone() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.05
	done
	return 1
}

stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	if ! wait_gone "$1" "${3:-15}"; then
		echo "$BENCH_NAME: ${2:-process} $1 ignored SIGTERM; killing it" >&2
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
	return 0
}

wait_ready() {
	local i
	for ((i = 0; i < 400; i++)); do
		[ -e "$2" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

bench_traps() {
	trap "$1" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
