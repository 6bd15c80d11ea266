#!/usr/bin/env bash
# Per-process uprobes: an untracked xcb or Xlib program never runs the
# agent's clipboard programs (bpf run counts of the agent's own programs, so
# no other agent on the machine counts), a tracked one does; a tracked shell
# running programs that do not link a probed library gets no probes; status
# counts attaches and refusals.  Both link types: uprobe_multi and, forced,
# perf-event uprobes.  These run on the per-syscall tracepoints, where every
# X11 library probe is used; under the raw dispatcher (the default) X11
# requests are read on the wire instead, and the last part checks that a
# tracked xcb program then runs no xcb probe at all.
. "$(dirname "$0")/lib.sh"
need_bpf
[ -x "$HELPERS/x11_clip" ] || cannot_run "$HELPERS/x11_clip is not built (libx11-dev: make deps)"
setup_tmp
start_xvfb
CTL=$OUTPUT/cprwatchctl

mkdir -p "$T/bin"
cp "$HELPERS/x11_clip" "$T/bin/cprclient"
cp "$HELPERS/x11_clip" "$T/bin/plain"
echo "some text" > "$T/text"
write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[cpr_clients]
path = $T/bin/cprclient
[output]
stdout = no
CONF
# x11_clip starts as fast as a program can; a real client takes longer than
# the exec-to-probes window (README, known limits)
export X11_CLIP_STARTUP_MS=500

# runs PREFIX PROGRAM API: how often the agent's PREFIX* programs ran while
# PROGRAM owned the selection through API for a moment
runs() {
	"$HELPERS/prog_runs" "$AGENT_PID" "$1" "$T/bin/$2" "$3" own "$T/text" 0 |
		sed -n 's/^runs=\([0-9]*\) status=0$/\1/p'
}
uprobes() { "$CTL" status --json | jq -r ".uprobes.$1"; }

for link in uprobe_multi perf_event; do
	want=; [ $link = perf_event ] && want=perf
	echo "uprobes as $link:"
	CPRWATCH_SYSCALL_HOOKS=tracepoint CPRWATCH_UPROBE_LINK=$want start_agent "$T/cprwatch.conf"
	expect_eq "status names the link type" "$(uprobes link)" $link
	expect_eq "untracked xcb program: the xcb programs never ran" "$(runs xcb_ plain --xcb)" 0
	expect_eq "untracked Xlib program: the Xlib programs never ran" "$(runs xlib_ plain --xlib)" 0
	n=$(runs xcb_ cprclient --xcb)
	expect_eq "tracked xcb program: the xcb programs ran" "$([ "${n:-0}" -gt 0 ] && echo yes || echo "$n")" yes
	n=$(runs xlib_ cprclient --xlib)
	expect_eq "tracked Xlib program: the Xlib programs ran" "$([ "${n:-0}" -gt 0 ] && echo yes || echo "$n")" yes
	before=$(uprobes attached)
	"$T/bin/cprclient" run sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; sed q /dev/null; done'
	sleep 0.3
	after=$(uprobes attached)
	expect_eq "tracked shell running 20 non-X programs: only the client and its fork get probes" \
		"$([ $((after - before)) -le 2 ] && echo yes || echo "$before -> $after")" yes
	expect_eq "no attach refused or failed" "$(uprobes refused) $(uprobes link_errors)" "0 0"
	sleep 0.5
	expect_eq "every exited process was detached" "$(uprobes processes)" 0
	echo "  exec-to-probes delay: last $(uprobes delay_last_us) us, max $(uprobes delay_max_us) us;" \
		"one attach of $(uprobes probes) probes: $(uprobes attach_last_us) us"
	# A perf-event uprobe's destruction waits for two RCU tasks-trace grace
	# periods under global kernel mutexes (Linux 6.18 here; the fallback is
	# for kernels before 6.6): on a loaded machine 0.3-0.7 s a probe, one
	# after another.  uprobe_multi links are closed in
	# parallel and share them.
	stop=$SECONDS
	AGENT_STOP_TIMEOUT=$([ $link = perf_event ] && echo 120 || echo 20) stop_agent
	echo "  the agent stopped in $((SECONDS - stop)) s"
	expect_eq "agent exits 0 on SIGINT" "$AGENT_RC" 0
done

echo "raw dispatcher (X11 on the wire):"
start_agent "$T/cprwatch.conf"
expect_eq "tracked xcb program: no xcb probe ran (no trap per request)" \
	"$(runs xcb_ cprclient --xcb)" 0
expect_eq "status says the xcb entry point is left to the wire parser" \
	"$("$CTL" status --json | jq -r '[.clipboard_probes[] | select(.symbol=="xcb_send_request" and .ready==false) | .note] | unique | .[]')" \
	"the X11 requests are read on the wire (raw syscall dispatcher)"
stop_agent
finish
