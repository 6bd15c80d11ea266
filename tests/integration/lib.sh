# Helpers for the root integration tests (sourced by tests/integration/test_*.sh).
# Each test runs the real agent with real probes, performs real actions and
# asserts on the JSON events the agent wrote.

set -u
OUTPUT=${OUTPUT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
AGENT=$OUTPUT/cprwatchd
HELPERS=$OUTPUT/tests
FAILS=0
AGENT_PID=

# A test that cannot run: a skip locally, a failure in CI (CI=true).
cannot_run() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: cannot run in CI: $*"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

need_bpf() {
	[ "$(id -u)" = 0 ] || cannot_run "needs root to load BPF"
	[ -r /sys/kernel/btf/vmlinux ] || cannot_run "kernel has no BTF"
	command -v jq >/dev/null || cannot_run "jq is not installed (make deps)"
}

# A private work dir, removed at exit along with any agent still running.
setup_tmp() {
	T=$(mktemp -d /tmp/cprwatch-test.XXXXXX)
	chmod 0755 "$T"
	trap cleanup EXIT
}

cleanup() {
	stop_agent
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}

# write_config FILE <<EOF ... EOF: a root-owned 0600 config, with a state dir and a control
# socket of the test's own so tests never meet another agent's.
write_config() {
	# the test's own state dir first (persons_viewed totals), so a test's own wins
	{ printf '[agent]\nstate_dir = %s/state\n\n' "$T"; cat; } > "$1"
	printf '\n[control]\nsocket = %s/control.sock\n' "$T" >> "$1"
	chmod 0600 "$1"
	export CPRWATCH_SOCKET=$T/control.sock
}

# start_agent CONFIG [extra args]: starts cprwatchd writing $T/events.json.
start_agent() {
	local conf=$1
	shift
	rm -f "$T/ready"
	"$AGENT" -c "$conf" --events="$T/events.json" --ready-file "$T/ready" -v "$@" \
		2> "$T/agent.log" &
	AGENT_PID=$!
	for _ in $(seq 1 200); do
		[ -e "$T/ready" ] && return 0
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL: agent did not become ready"; cat "$T/agent.log"
	exit 1
}

# SIGINT, as Ctrl-C would; an agent that has not exited 20 s later is a failure.
stop_agent() {
	[ -n "$AGENT_PID" ] || return 0
	kill -INT "$AGENT_PID" 2>/dev/null
	local t0=$SECONDS
	for _ in $(seq 1 $((${AGENT_STOP_TIMEOUT:-20} * 10))); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ $((SECONDS - t0)) -lt 3 ] || echo "  note: the agent took $((SECONDS - t0)) s to stop"
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		echo "  FAIL: agent ignored SIGINT for ${AGENT_STOP_TIMEOUT:-20} s; killing it; where its threads wait:"
		for t in /proc/"$AGENT_PID"/task/*; do
			echo "    thread ${t##*/} $(cat "$t/comm" 2>/dev/null) state $(awk '/^State/ {print $2}' "$t/status" 2>/dev/null):"
			sed 's/^/      /' "$t/stack" 2>/dev/null
		done
		FAILS=$((FAILS + 1))
		kill -KILL "$AGENT_PID"
	fi
	wait "$AGENT_PID" 2>/dev/null
	AGENT_RC=$?
	AGENT_PID=
}

# events JQ_FILTER: the events (one JSON per line) selected by a jq filter.
events() {
	jq -c "select($1)" "$T/events.json"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		echo "  ok: $1"
	else
		echo "  FAIL: $1: got '$2', want '$3'"
		FAILS=$((FAILS + 1))
	fi
}

expect_count() {	# expect_count WHAT JQ_FILTER N
	expect_eq "$1" "$(events "$2" | wc -l)" "$3"
}

finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "events kept in $T.events.json"; cp "$T/events.json" "$T.events.json" 2>/dev/null
		exit 1
	fi
	exit 0
}

# make_test_user: a fresh unprivileged user with a home (TUSER, THOME), removed
# with its home at exit; as_user CMD...: runs CMD as that user, in its home,
# logged in: its login uid is set (as pam_loginuid does, by writing
# /proc/self/loginuid as root) before the privileges are dropped.
make_test_user() {
	command -v useradd >/dev/null && command -v setpriv >/dev/null ||
		cannot_run "useradd/setpriv (passwd, util-linux) are not installed"
	TUSER=cprwt$$
	useradd -m -s /bin/sh "$TUSER" || cannot_run "cannot create a test user"
	THOME=$(getent passwd "$TUSER" | cut -d: -f6)
	trap 'cleanup; userdel -r "$TUSER" 2>/dev/null' EXIT
}

as_user() {
	(echo "$(id -u "$TUSER")" > /proc/self/loginuid && cd "$THOME" && exec setpriv --reuid="$TUSER" --regid="$TUSER" --init-groups \
		env HOME="$THOME" USER="$TUSER" "$@")
}

# start_xvfb: an X server of the test's own on a display nobody uses (Xvfb
# picks it, -displayfd), DISPLAY set to it, stopped at exit with the rest.
XVFB_PID=
stop_xvfb() {
	[ -n "$XVFB_PID" ] || return 0
	kill "$XVFB_PID" 2>/dev/null
	wait "$XVFB_PID" 2>/dev/null
	XVFB_PID=
}
start_xvfb() {
	command -v Xvfb >/dev/null || cannot_run "Xvfb is not installed (make deps)"
	trap 'stop_xvfb; cleanup' EXIT
	Xvfb -displayfd 3 -nolisten tcp -noreset 3> "$T/display" 2> "$T/xvfb.log" &
	XVFB_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$T/display" ] && break
		kill -0 "$XVFB_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$T/display" ] || { cat "$T/xvfb.log"; cannot_run "Xvfb did not start"; }
	export DISPLAY=:$(head -n1 "$T/display")
	unset WAYLAND_DISPLAY
}
