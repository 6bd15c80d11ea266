#!/usr/bin/env bash
# Issue 14 item 6: a user cannot crowd the real clipboard libraries out of the
# probes.  The agent attaches to at most 16 copies of each library; a user
# plants 16 copies of libX11 in Flatpak runtime paths of their own home.  A
# root-installed bundle (/opt/NAME/lib) must still get its probes, and only a
# few of the user's copies may count.
. "$(dirname "$0")/lib.sh"
need_bpf
REAL=/usr/lib/x86_64-linux-gnu/libX11.so.6
[ -r "$REAL" ] || cannot_run "libX11 is not installed (libx11-dev: make deps)"
setup_tmp
make_test_user
OPT=$(mktemp -d /opt/cprwt-clip.XXXXXX)
trap 'cleanup; userdel -r "$TUSER" 2>/dev/null; rm -rf "$OPT"' EXIT
mkdir -p "$OPT/lib"
cp "$REAL" "$OPT/lib/libX11.so.6"

for i in $(seq 1 16); do
	d=$THOME/.local/share/flatpak/runtime/org.evil.P$i/x86_64/1/active/files/lib/x86_64-linux-gnu
	as_user mkdir -p "$d"
	as_user cp "$REAL" "$d/libX11.so.6"
done

write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[output]
stdout = no
CONF
start_agent "$T/cprwatch.conf"
stop_agent

probe='clipboard probe libX11.so.6:XGetWindowProperty ready'
echo "library discovery with 16 planted copies in a user's home:"
expect_eq "the root-installed bundle's libX11 gets its probe" \
	"$(grep -c "$probe ($OPT/lib/libX11.so.6)" "$T/agent.log")" 1
expect_eq "the system libX11 gets its probe" \
	"$(grep -c "$probe ($REAL)" "$T/agent.log")" 1
expect_eq "at most 4 of the user's copies count" \
	"$(grep "$probe" "$T/agent.log" | grep -c "$THOME/")" 4
finish
