#!/bin/bash
# Runs the packaged unit under a real systemd: boots this machine's own OS in
# systemd-nspawn (a copy-on-write overlay of /, discarded afterwards) with the
# .deb installed, and checks that the hardened cprwatchd.service starts, attaches
# its probes, scans and alerts (a root file in /tmp, another user's 0600 file,
# a file in a 0700 home under ProtectHome=read-only), reloads on SIGHUP, is
# restarted after SIGKILL and leaves no probe behind when stopped.
#
#   packaging/systemd-smoke.sh [DEB] [--as-shipped]
#
# Manual (root, needs systemd-container; not part of `make test`).  Until the
# agent calls sd_notify (packaging/README.md), a drop-in runs it as Type=simple
# without a watchdog; --as-shipped tests the unit exactly as packaged.
# EXTRA_DROPIN=file.conf adds a drop-in (e.g. to try a SystemCallFilter).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
deb=
as_shipped=
for a in "$@"; do
	case $a in
	--as-shipped) as_shipped=1 ;;
	*) deb=$a ;;
	esac
done
deb=${deb:-$(ls -t "$top"/build*/cprwatch_*.deb 2>/dev/null | head -1)}
[ -f "$deb" ] || { echo "no .deb: make deb first, or name one" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
command -v systemd-nspawn >/dev/null || { echo "apt-get install systemd-container" >&2; exit 2; }
[ -n "${SMOKE_NS:-}" ] || exec unshare -m --propagation private env SMOKE_NS=1 "$0" "$@"

T=$(mktemp -d /tmp/cprwatch-smoke.XXXXXX)
R=$T/root
cleanup() {
	umount -R "$R" 2>/dev/null
	umount "$T/ovl" 2>/dev/null
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
mkdir -p "$T/ovl" "$R" "$T/out"
mount -t tmpfs smoke "$T/ovl"
mkdir "$T/ovl/upper" "$T/ovl/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/ovl/upper,workdir=$T/ovl/work" "$R"
for m in proc sys dev; do mount --rbind "/$m" "$R/$m"; done
cp "$deb" "$R/tmp/cprwatch.deb"
rm -f "$R/var/lib/man-db/auto-update"
chroot "$R" dpkg --force-unsafe-io -i /tmp/cprwatch.deb > "$T/out/dpkg.log" 2>&1 ||
	{ cat "$T/out/dpkg.log"; exit 1; }
chroot "$R" useradd -u 4242 -s /bin/sh smokeuser
umount -R "$R/proc" "$R/sys" "$R/dev"
# 50 synthetic CPR-shaped numbers with a keyword column: enough for bulk_export.
{
	echo "navn;cpr-nr"
	for i in $(seq 10 59); do printf 'Borger %d;%02d%02d%02d-%04d\n' "$i" $((i % 28 + 1)) $((i % 12 + 1)) $((i + 30)) $((i * 37)); done
} > "$R/opt/cpr.txt"
chmod 0644 "$R/opt/cpr.txt"

dropins=$R/etc/systemd/system/cprwatchd.service.d
mkdir -p "$dropins"
printf '[Service]\nExecStart=\nExecStart=/usr/sbin/cprwatchd -v\n' > "$dropins/verbose.conf"
if [ -n "$as_shipped" ]; then
	# A short watchdog, to see the pings keep it alive and a hung agent restarted.
	printf '[Service]\nWatchdogSec=4\n' > "$dropins/short-watchdog.conf"
else
	printf '[Service]\nType=simple\nWatchdogSec=0\n' > "$dropins/no-sd-notify.conf"
fi
[ -z "${EXTRA_DROPIN:-}" ] || cp "$EXTRA_DROPIN" "$dropins/"

cat > "$R/usr/local/sbin/cprwatch-smoke" <<'PROBE'
#!/bin/sh
# Runs inside the container once multi-user is up; results in /out.
exec > /out/result.txt 2>&1
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; journalctl -b -u cprwatchd --no-pager -o short-monotonic | tail -15; }
pid() { systemctl show -p MainPID --value cprwatchd; }
for _ in $(seq 60); do systemctl is-active -q cprwatchd && break; sleep 0.5; done
systemctl is-active -q cprwatchd && ok "cprwatchd active" || bad "cprwatchd not active"
sleep 2
journalctl -b -u cprwatchd --no-pager | grep -q 'probes attached' && ok "probes attached" ||
	bad "probes not attached"
grep -E '^Cap(Eff|Bnd)|^NoNewPrivs|^Seccomp:' /proc/$(pid)/status
install -d -o smokeuser -m 0700 /home/smokeuser /home/smokeuser/Downloads
systemctl reload cprwatchd && sleep 2
cp /opt/cpr.txt /tmp/smoke-root.txt
setpriv --reuid 4242 --regid 4242 --clear-groups install -m 0600 /opt/cpr.txt /tmp/smoke-user0600.txt
setpriv --reuid 4242 --regid 4242 --clear-groups cp /opt/cpr.txt /home/smokeuser/Downloads/smoke-home.txt
sleep 4
for f in /tmp/smoke-root.txt /tmp/smoke-user0600.txt /home/smokeuser/Downloads/smoke-home.txt; do
	grep -q "written to $f" /var/log/cprwatch/alerts.json 2>/dev/null && ok "alert for $f" ||
		bad "no alert for $f"
done
stat -c '%a %U %n' /var/lib/cprwatch /var/lib/cprwatch/spool /var/log/cprwatch /run/cprwatch
old=$(pid)
ids=$(grep -hE '^prog_id:' /proc/$old/fdinfo/* | awk '{print $2}' | sort -u)
kill -KILL "$old"
for _ in $(seq 30); do
	new=$(pid)
	[ "$new" != 0 ] && [ "$new" != "$old" ] && systemctl is-active -q cprwatchd && break
	sleep 0.5
done
sleep 1
[ "$new" != 0 ] && [ "$new" != "$old" ] && systemctl is-active -q cprwatchd &&
	ok "restarted after SIGKILL ($old -> $new)" || bad "not restarted after SIGKILL"
ids2=$(grep -hE '^prog_id:' /proc/$new/fdinfo/* | awk '{print $2}' | sort -u)
if [ "$(systemctl show -p WatchdogUSec --value cprwatchd)" = 4s ]; then
	sleep 9
	[ "$(pid)" = "$new" ] && ok "WATCHDOG=1 pings keep it alive (WatchdogSec=4, 9 s)" ||
		bad "killed despite the pings?"
	kill -STOP "$new"
	for _ in $(seq 40); do
		p=$(pid)
		[ "$p" != 0 ] && [ "$p" != "$new" ] && systemctl is-active -q cprwatchd && break
		sleep 0.5
	done
	[ "$p" != "$new" ] && ok "watchdog restarted a hung agent ($new -> $p)" ||
		bad "hung agent not restarted"
	ids2="$ids2 $(grep -hE '^prog_id:' /proc/$p/fdinfo/* | awk '{print $2}' | sort -u)"
fi
systemctl stop cprwatchd
systemctl is-active -q cprwatchd && bad "still active after stop" || ok "stopped"
journalctl -b -u cprwatchd --no-pager -o cat | grep -E 'error|warn|events:' | tail -5
sleep 1
left=0
for id in $ids $ids2; do bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1)); done
[ "$left" = 0 ] && ok "no program of the agent left after SIGKILL and stop" || bad "$left programs left"
systemctl poweroff
PROBE
chmod 0755 "$R/usr/local/sbin/cprwatch-smoke"
cat > "$R/etc/systemd/system/cprwatch-smoke.service" <<'UNIT'
[Unit]
After=cprwatchd.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/cprwatch-smoke
[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/cprwatch-smoke.service "$R/etc/systemd/system/multi-user.target.wants/"
for u in getty@tty1 ssh cron rsyslog auditd systemd-timesyncd; do
	ln -sf /dev/null "$R/etc/systemd/system/$u.service"
done

# nspawn's own defaults keep neither CAP_BPF nor CAP_PERFMON nor bpf(2).
timeout 120 systemd-nspawn -q -D "$R" --boot --register=no --keep-unit \
	--capability=CAP_BPF,CAP_PERFMON,CAP_SYS_PTRACE,CAP_DAC_READ_SEARCH \
	--system-call-filter='bpf perf_event_open' \
	--bind-ro=/sys/kernel/tracing --tmpfs=/home --bind="$T/out:/out" > "$T/boot.log" 2>&1
cat "$T/out/result.txt" 2>/dev/null || { echo "no result; boot log:"; tail -40 "$T/boot.log"; exit 1; }
! grep -q '^FAIL' "$T/out/result.txt"
