#!/usr/bin/env bash
# File probes at their edges: a shell-style redirect (dup2 then close of the
# original fd), a file still open at exit, a tmpfs mounted as removable
# media (path across the mount point, untracked writers seen there),
# lineage from a CPR client's file to an untracked copier, a failed open,
# unlink, and --trace-all.
. "$(dirname "$0")/lib.sh"
need_bpf
setup_tmp

mkdir -p "$T/bin" "$T/export" "$T/plain" "$T/usb"
mount -t tmpfs -o size=16m cprwatch-test "$T/usb" || cannot_run "cannot mount tmpfs"
trap 'umount "$T/usb" 2>/dev/null; cleanup' EXIT
cp "$HELPERS/cprw_actions" "$T/bin/cprclient"
cp "$HELPERS/cprw_actions" "$T/bin/other"
write_config "$T/cprwatch.conf" <<CONF
[agent]
rescan_interval = 0
[cpr_clients]
path = $T/bin/cprclient
[export_paths]
local = $T/export
removable = $T/usb
CONF

pid_of() { sed -n 's/^pid=//p' | head -1; }

start_agent "$T/cprwatch.conf"
redir=$("$T/bin/cprclient" redirect "$T/export/r.bin" 300000 | pid_of)
hold=$("$T/bin/cprclient" hold "$T/export/h.bin" 5000 | pid_of)
usb_w=$("$T/bin/other" write "$T/usb/stick.bin" 4096 | pid_of)
exp=$("$T/bin/cprclient" write "$T/plain/export.csv" 2048 | pid_of)
copier=$("$T/bin/other" copy "$T/plain/export.csv" "$T/plain/copy.csv" | pid_of)
failed=$("$T/bin/cprclient" read "$T/plain/does-not-exist" 2>/dev/null | pid_of)
unl=$("$T/bin/cprclient" unlink "$T/plain/copy.csv" | pid_of)
sleep 0.5
stop_agent

echo "redirect: dup2 onto stdout, original fd closed first"
expect_eq "one close with all bytes, on fd 1" \
	"$(events ".event==\"close\" and .pid==$redir and .path==\"$T/export/r.bin\"" | jq -r '[.fd, .bytes_written, .path]|join(" ")')" \
	"1 300000 $T/export/r.bin"
echo "fd open at exit"
expect_eq "close at exit with the bytes" \
	"$(events ".event==\"close\" and .pid==$hold and .path==\"$T/export/h.bin\"" | jq -r '[.at_exit, .bytes_written, .path]|join(" ")')" \
	"true 5000 $T/export/h.bin"
echo "tmpfs as removable media, untracked writer"
expect_eq "open across the mount point" \
	"$(events ".event==\"open\" and .pid==$usb_w" | jq -r '[.path, .export]|join(" ")')" \
	"$T/usb/stick.bin removable"
expect_eq "its close with the bytes" \
	"$(events ".event==\"close\" and .pid==$usb_w" | jq -r .bytes_written)" 4096
echo "lineage"
origin=$(events ".event==\"open\" and .pid==$exp and .path==\"$T/plain/export.csv\"" | jq -r '"\(.dev) \(.ino)"')
expect_eq "untracked reader of the client's file sees it tainted" \
	"$(events ".event==\"open\" and .pid==$copier and .path==\"$T/plain/export.csv\"" | jq -r '[.tainted, "\(.taint_origin.dev) \(.taint_origin.ino)"]|join(" ")')" \
	"true $origin"
expect_eq "its copy is tainted with the same origin, and the copier is classed tainted" \
	"$(events ".event==\"open\" and .pid==$copier and .path==\"$T/plain/copy.csv\"" | jq -r '[.tainted, "\(.taint_origin.dev) \(.taint_origin.ino)", (.classes|index("tainted") != null)]|join(" ")')" \
	"true $origin true"
echo "failed open and unlink"
expect_eq "failed open reports -ENOENT and the name" \
	"$(events ".event==\"open\" and .pid==$failed and .ret < 0" | jq -r '[.ret, .path]|join(" ")')" \
	"-2 $T/plain/does-not-exist"
expect_eq "unlink path" \
	"$(events ".event==\"unlink\" and .pid==$unl" | jq -r '[.ret, .path]|join(" ")')" \
	"0 $T/plain/copy.csv"

echo "--trace-all"
: > "$T/events.json"
start_agent "$T/cprwatch.conf" --trace-all
plain=$("$T/bin/other" write "$T/plain/p.bin" 1000 | pid_of)
sleep 0.3
stop_agent
expect_eq "untracked write in an unwatched dir is seen" \
	"$(events ".event==\"close\" and .pid==$plain and (.path|startswith(\"$T\"))" | jq -r '[.bytes_written, .path]|join(" ")')" \
	"1000 $T/plain/p.bin"
finish
