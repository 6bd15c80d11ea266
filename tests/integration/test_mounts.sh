#!/usr/bin/env bash
# A machine without tracefs mounted (minimal images, containers, a fresh VM
# where `make test` used to fail every test with "tracefs is not mounted"):
# the agent, as root, mounts it and comes up with every syscall probe
# attached, in both syscall hook modes.  Runs in a private mount namespace
# (unshare -m), so the host's mounts are never touched.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v unshare >/dev/null || cannot_run "unshare (util-linux) is not installed"
if [ -z "${CPRW_MOUNT_NS:-}" ]; then
	CPRW_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
setup_tmp
TRACEFS=/sys/kernel/tracing

is_tracefs() { [ "$(stat -f -c %T "$TRACEFS" 2>/dev/null)" = tracefs ]; }

# debugfs/tracing is an automount of tracefs: take both away
unmount_tracing() {
	local m
	for m in /sys/kernel/debug/tracing /sys/kernel/debug $TRACEFS; do
		while grep -q " $m " /proc/self/mounts; do umount -l "$m" || break; done
	done
}

write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
CONF

for hooks in tp_btf tracepoint; do
	echo "tracefs unmounted, syscall hooks $hooks:"
	unmount_tracing
	if is_tracefs; then
		echo "  FAIL: could not unmount tracefs in the test's namespace"
		FAILS=$((FAILS + 1))
		continue
	fi
	want=; [ $hooks = tracepoint ] && want=tracepoint
	CPRWATCH_SYSCALL_HOOKS=$want start_agent "$T/cprwatch.conf"
	expect_eq "tracefs is mounted again" "$(is_tracefs && echo yes)" yes
	expect_eq "the agent says it mounted it" \
		"$(grep -c "tracefs was not mounted: mounted it on $TRACEFS" "$T/agent.log")" 1
	expect_eq "hook type in status" \
		"$("$OUTPUT/cprwatchctl" status --json | jq -r .syscall_hooks.type)" $hooks
	expect_eq "healthy: every probe attached" \
		"$("$OUTPUT/cprwatchctl" status --json | jq -r '.healthy')" true
	/bin/true &
	pid=$!
	wait $pid
	sleep 0.3
	stop_agent
	expect_eq "agent exits 0 on SIGINT" "$AGENT_RC" 0
	expect_count "events flow: an exec is seen" ".event==\"exec\" and .pid==$pid" 1
	rm -f "$T/events.json"
done
finish
