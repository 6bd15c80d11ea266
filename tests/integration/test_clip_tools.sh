#!/usr/bin/env bash
# Clipboard tools (xclip, xsel, wl-copy, wl-paste) are seen at exec with
# their argv and the processes at the other end of their pipes: who feeds
# the copy, who reads the paste.  A copy of cat at a [clipboard_tools] path
# stands in for the tool, so no X server is needed.
. "$(dirname "$0")/lib.sh"
need_bpf
setup_tmp

mkdir -p "$T/bin"
cp /bin/cat "$T/bin/faketool"
cp "$HELPERS/cprw_actions" "$T/bin/feeder"
write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[clipboard_tools]
path = $T/bin/faketool
CONF

start_agent "$T/cprwatch.conf"
# the feeder prints its pid and lingers, so the tool's exec finds it holding the pipe
( "$T/bin/feeder" spawn /bin/sleep 0.5 ) | "$T/bin/faketool" -u > "$T/tool.out"
sleep 0.3
stop_agent

feeder=$(sed -n 's/^pid=//p' "$T/tool.out")
expect_eq "the tool's exec is classed clipboard, with its argv" \
	"$(events ".event==\"exec\" and .exe==\"$T/bin/faketool\"" | jq -r '[(.classes|index("clipboard") != null), (.argv|join(" "))]|join(" ")')" \
	"true $T/bin/faketool -u"
expect_eq "stdin_from_pid names the process piping into it" \
	"$(events ".event==\"exec\" and .exe==\"$T/bin/faketool\"" | jq -r .stdin_from_pid)" "$feeder"
finish
