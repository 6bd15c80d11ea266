#!/usr/bin/env bash
# cprwatchctl against the live agent's control socket: `status --json` has
# the schema of user/control/control.h and an exit status that follows "healthy";
# a user who is neither root nor in the admin group is refused (exit 4); a
# socket with no agent behind it says so (exit 3).
. "$(dirname "$0")/lib.sh"
need_bpf
setup_tmp
CTL=$OUTPUT/cprwatchctl

write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
ring_mib = 2
CONF
SOCK=$CPRWATCH_SOCKET	# write_config gives each test its own socket

start_agent "$T/cprwatch.conf"
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && break
	sleep 0.05
done

echo "status --json as root:"
out=$("$CTL" -s "$SOCK" status --json)
rc=$?
expect_eq "one JSON object" "$(jq -c type <<<"$out" 2>&1)" '"object"'
# every failed check by name: empty when the whole schema is there
missing=$(jq -r '
	def check($name; cond): if (try cond catch false) then empty else $name end;
	def str: type == "string";
	def int: type == "number" and . == floor and . >= 0;
	[ check("ok"; .ok == true),
	  check("healthy"; .healthy | type == "boolean"),
	  check("problems"; .problems | type == "array" and all(.[]; str)),
	  check("version"; .version | str),
	  check("build_id"; .build_id | str),
	  check("uptime_s"; .uptime_s | int),
	  check("config"; (.config.path | str) and (.config.sha256 | test("^[0-9a-f]{64}$"))),
	  check("probes"; (.probes | length > 0) and all(.probes[];
		(.name | str) and (.hook | str) and (.attached | type == "boolean"))),
	  check("events"; (.events.total | int) and (.events.per_second | type == "number")
		and (.events.kernel_drops | int) and (.events.ring_mib | int)
		and (.events.decode_errors | int)),
	  check("scan"; (.scan.queue | int) and (.scan.scanned | int) and (.scan.dropped | int)
		and (.scan.cache_hits | int)),
	  check("sinks"; .sinks | type == "array" and all(.[]; (.name | str) and (.transport | str)
		and (.state | str) and (.last_error | str or . == null) and (.spool_depth | int)
		and (.sent | int) and (.dropped | int))),
	  check("rules"; (.rules | length > 0) and all(.rules[];
		(.name | str) and (.alerts | int) and (.folded | int)))
	] | join(" ")' <<<"$out" 2>&1)
expect_eq "every field of the schema, typed" "$missing" ""
want_rc=1
[ "$(jq -r .healthy <<<"$out" 2>/dev/null)" = true ] && want_rc=0
expect_eq "exit status follows \"healthy\"" "$rc" "$want_rc"
"$CTL" -s "$SOCK" status > "$T/status.txt"
expect_eq "plain status: same exit status" "$?" "$want_rc"
expect_eq "plain status: names the agent" "$(head -c 10 "$T/status.txt")" "cprwatchd "
# [agent] ring_mib sizes the kernel's ring: the agent's ring buffer map
# (type 27), as the kernel reports it in the fd's fdinfo
ring=$(grep -l '^map_type:[[:space:]]*27$' /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null |
	xargs -r awk '/^max_entries:/ {print $2}' | sort -u | tr '\n' ' ')
ring=${ring% }
expect_eq "ring_mib = 2: the agent's ring buffer is 2 MiB, and status says so" \
	"$ring $(jq .events.ring_mib <<<"$out") $(grep -c '(2 MiB ring buffer full)' "$T/status.txt")" \
	"2097152 2 1"

echo "nobody:"
if command -v setpriv >/dev/null; then
	# a copy nobody can run: the build tree need not be reachable for it
	install -m 0755 "$CTL" "$T/cprwatchctl"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/cprwatchctl" -s "$SOCK" \
		status 2>&1)
	expect_eq "refused with exit 4" "$?" 4
	expect_eq "says permission denied" "$(grep -c 'permission denied' <<<"$out")" 1
else
	echo "  SKIP: setpriv (util-linux) is not installed"
fi

echo "no agent there:"
out=$("$CTL" -s /nonexistent status 2>&1)
expect_eq "exit 3" "$?" 3
expect_eq "says so, with the hint" "$out" \
	"cprwatchctl: cannot reach the agent at /nonexistent: No such file or directory (is cprwatchd running?)"

stop_agent
expect_eq "agent exits 0 on SIGINT" "$AGENT_RC" 0
finish
