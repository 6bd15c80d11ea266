#!/usr/bin/env bash
# The probes foundation end to end: a CPR client at a watched path execs a
# child, writes 1 MiB to an export directory in uneven chunks, renames the
# file and sends 100 KiB over loopback TCP; an untracked process doing the
# same in an unwatched directory produces no file or network event.
. "$(dirname "$0")/lib.sh"
need_bpf
setup_tmp

mkdir -p "$T/bin" "$T/export" "$T/plain"
cp "$HELPERS/cprw_actions" "$T/bin/cprclient"
cp "$HELPERS/cprw_actions" "$T/bin/other"
cp /bin/bash "$T/bin/early"
write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[cpr_clients]
path = $T/bin/cprclient
path = $T/bin/early
[export_paths]
local = $T/export
CONF

coproc SINK { "$HELPERS/tcp_sink" 2 20; }
read -r line <&"${SINK[0]}"; port=${line#port=}

# a CPR client already running when the agent starts: tracked from the
# process table the agent seeds, so its writes count like any client's
mkfifo "$T/go"
"$T/bin/early" -c "read -r _ < '$T/go'; echo five > '$T/plain/early.txt'" &
early=$!
start_agent "$T/cprwatch.conf"
# run.sh runs this test in both syscall hook modes (CPRWATCH_SYSCALL_HOOKS)
want_hooks=tp_btf
[ "${CPRWATCH_SYSCALL_HOOKS:-}" = tracepoint ] && want_hooks=tracepoint
echo "syscall hooks ($want_hooks):"
expect_eq "status names the syscall hook type" \
	"$("$OUTPUT/cprwatchctl" status --json | jq -r .syscall_hooks.type)" "$want_hooks"
expect_eq "its programs are attached, the other variant's are not loaded" \
	"$("$OUTPUT/cprwatchctl" status --json | jq -r '[.probes[] | select(.attached) | .hook |
		select(startswith("tp_btf/sys_") or startswith("tp/syscalls/")) | split("/")[0]] |
		unique | join(",")')" "$([ $want_hooks = tp_btf ] && echo tp_btf || echo tp)"
client=$("$T/bin/cprclient" all "$T/export" "$port" | sed -n 's/^pid=//p')
other=$("$T/bin/other" all "$T/plain" "$port" | sed -n 's/^pid=//p')
echo go > "$T/go"
wait "$early"
sleep 0.5
stop_agent
expect_eq "agent exits 0 on SIGINT" "$AGENT_RC" 0

echo "tracked CPR client (pid $client):"
expect_count "exec of the client, classed cpr_client" \
	".event==\"exec\" and .pid==$client and .exe==\"$T/bin/cprclient\" and (.classes|index(\"cpr_client\"))" 1
expect_count "its child /bin/true is tracked" \
	".event==\"exec\" and .ppid==$client and (.exe|endswith(\"/true\")) and (.classes|index(\"cpr_client\"))" 1
expect_eq "close of out.bin: bytes_written" \
	"$(events ".event==\"close\" and .pid==$client and .path==\"$T/export/out.bin\"" | jq -r .bytes_written)" 1048576
expect_eq "open of out.bin: absolute path, export dir, dev and inode" \
	"$(events ".event==\"open\" and .pid==$client and .path==\"$T/export/out.bin\"" | jq -r '[.export, .access, (.ino > 0), (.dev|test("^[0-9]+:[0-9]+$"))]|join(",")')" \
	"local,write,true,true"
expect_eq "rename: both paths" \
	"$(events ".event==\"rename\" and .pid==$client" | jq -r '[.old_path, .new_path, .ret]|join(" ")')" \
	"$T/export/out.bin $T/export/renamed.bin 0"
expect_eq "connect to the sink" \
	"$(events ".event==\"connect\" and .pid==$client" | jq -r '[.addr, .port, .ret]|join(" ")')" \
	"127.0.0.1 $port 0"
expect_eq "tcp_close: bytes_sent" \
	"$(events ".event==\"tcp_close\" and .pid==$client" | jq -r '[.daddr, .dport, .bytes_sent, .bytes_received]|join(" ")')" \
	"127.0.0.1 $port 102400 0"

echo "CPR client started before the agent (pid $early):"
expect_eq "open of its output, classed cpr_client" \
	"$(events ".event==\"open\" and .pid==$early and .path==\"$T/plain/early.txt\"" | jq -r '.classes|index("cpr_client") != null')" true
expect_eq "close of its output: bytes_written" \
	"$(events ".event==\"close\" and .pid==$early and .path==\"$T/plain/early.txt\"" | jq -r .bytes_written)" 5

echo "untracked process (pid $other):"
expect_count "its exec is seen" ".event==\"exec\" and .pid==$other" 1
expect_count "no file or network events" \
	"(.pid==$other or .ppid==$other) and (.event|IN(\"open\",\"close\",\"rename\",\"unlink\",\"connect\",\"accept\",\"tcp_close\"))" 0
expect_count "no ring buffer drops reported" "false" 0
grep -q "0 lost in the kernel" "$T/agent.log" || { echo "  FAIL: drops reported"; FAILS=$((FAILS+1)); }
finish
