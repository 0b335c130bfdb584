#!/bin/bash
# t_syslog_unit: logstreamd as the host's syslog service under a real
# systemd (tests/tools/systemd-ns).  `make install` ships
# logstreamd-syslog.service: it passes systemd-analyze verify, its exposure
# is at most 2.0 and its hardening is logstreamd.service's but for
# PrivateUsers.  In the namespace's own view of /etc (a copy bound over
# /etc/systemd/system, so the host's units stay as they are) the switch
# that logstreamd(8) documents is made: rsyslog disabled, the unit enabled
# (it becomes syslog.service).  journald forwards (ForwardToSyslog=yes, a
# drop-in in the namespace's private /run) a plain `logger "text"` (no -u,
# no -n) run as uid 4242 to syslog.socket, and logstreamd stores it with
# transport unix, source /run/systemd/journal/syslog and trusted.uid 4242,
# trusted.pid the logger's.  Switching back makes rsyslog syslog.service
# again and stops logstreamd cleanly (exit 0).  Needs root; skipped in a
# chroot, as t_systemd is.
. "$(dirname "$0")/lib.sh"
systemd_ns_ready
CONF=/etc/logstreamd/logstreamd.conf
STORE=/var/log/logstreamd
UNIT=/lib/systemd/system/logstreamd-syslog.service
[ -e /etc/logstreamd ] && cp -a /etc/logstreamd "$T/etc-backup"
FLAGDIR=$(mktemp -d /var/tmp/logstreamd-t_syslog_unit.XXXXXX)
chmod 755 "$FLAGDIR"
getent passwd logstreamd >/dev/null && had_user=1 || had_user=0
undo() {
	rm -rf "$FLAGDIR"
	"$NS" stop >/dev/null 2>&1
	make -s -C "$TOP" uninstall >/dev/null 2>&1
	# make install made the system user; the machine gets it back without
	if [ $had_user = 0 ] && getent passwd logstreamd >/dev/null; then
		userdel logstreamd; getent group logstreamd >/dev/null && groupdel logstreamd
	fi
	rm -rf /etc/logstreamd /var/log/private/logstreamd /var/log/logstreamd \
		/var/lib/private/logstreamd /var/lib/logstreamd
	[ -e "$T/etc-backup" ] && cp -a "$T/etc-backup" /etc/logstreamd
	cleanup
}
trap undo EXIT INT TERM
rm -rf /var/log/private/logstreamd /var/log/logstreamd
make -s -C "$TOP" install >/dev/null || fail "make install"
[ -f $UNIT ] || fail "make install did not install $UNIT"
systemd-analyze verify $UNIT 2>&1 | grep -v "man logstreamd" | grep . && fail "systemd-analyze verify $UNIT"
exposure=$(systemd-analyze security --offline=true $UNIT 2>/dev/null |
	sed -n 's/.*Overall exposure level for logstreamd-syslog.service: \([0-9.]*\).*/\1/p')
python3 -c "import sys; sys.exit(0 if float('$exposure') <= 2.0 else 1)" || fail "exposure $exposure > 2.0"
# the [Service] sections differ only where the unit says why
svc() { sed -n '/^\[Service\]/,/^\[Install\]/p' "$1" | grep -v -e '^#' -e '^PrivateUsers=' -e '^$'; }
diff <(svc /lib/systemd/system/logstreamd.service) <(svc $UNIT) >"$T/svc.diff" ||
	fail "hardening drifted from logstreamd.service: $(cat "$T/svc.diff")"
PORT=$(free_port)
mkdir -p /etc/logstreamd
sed -e "s/^tcp = .*/tcp = 127.0.0.1:$PORT/" -e "s/^udp = .*/udp = 127.0.0.1:$PORT/" \
	"$TOP/conf/logstreamd.conf" | sed -e 's|\.\./var/|/var/log/logstreamd/|' > $CONF

"$NS" start >/dev/null || fail "systemd-ns did not boot"
SINCE=$(date '+%Y-%m-%d %H:%M:%S')
# Only the namespace's view changes: its /run is its own, and /etc/systemd/system
# is a copy there (the host's rsyslog stays syslog.service).
ns sh -c 'mkdir -p /run/systemd/journald.conf.d /run/t-units &&
	printf "[Journal]\nForwardToSyslog=yes\n" > /run/systemd/journald.conf.d/t-forward.conf &&
	cp -a /etc/systemd/system/. /run/t-units/ && mount --bind /run/t-units /etc/systemd/system' ||
	fail "namespace setup"
ns systemctl restart systemd-journald || fail "journald restart"
# the switch, as logstreamd(8) says
ns systemctl disable --now rsyslog.service >/dev/null 2>&1
ns systemctl enable --now logstreamd-syslog.service 2>"$T/enable.err" ||
	fail "enable --now logstreamd-syslog: $(cat "$T/enable.err"; ns journalctl --since "$SINCE" -u logstreamd-syslog --no-pager | tail -5)"
[ "$(ns readlink /etc/systemd/system/syslog.service)" = $UNIT ] ||
	fail "syslog.service is not the alias: $(ns ls -la /etc/systemd/system/syslog.service)"
[ -e /etc/systemd/system/syslog.service ] && [ "$(readlink /etc/systemd/system/syslog.service)" != $UNIT ] ||
	[ ! -e /etc/systemd/system/syslog.service ] || fail "the host's syslog.service alias changed"
for i in $(seq 300); do ns journalctl --since "$SINCE" -u logstreamd-syslog --no-pager | grep -q "socket from systemd: unix" && break; sleep 0.1; done
ns journalctl --since "$SINCE" -u logstreamd-syslog --no-pager | grep -q "socket from systemd: unix" ||
	fail "syslog.socket not handed over: $(ns journalctl --since "$SINCE" -u logstreamd-syslog --no-pager | tail -8)"
# A plain logger (journald's /dev/log; -i: its pid in the header, which
# journald forwards as it came), kept alive until its event is stored (a
# flag in /var/tmp, which the namespace shares), so that the kernel vouches
# for its own pid: journald names itself for a sender already gone.
touch "$FLAGDIR/wait"
ns setpriv --reuid=4242 --regid=4242 --clear-groups sh -c \
	'(echo "via journald seq=1"; i=0; while [ -e "$1/wait" ] && [ $i -lt 300 ]; do
	    sleep 0.1; i=$((i + 1)); done) | logger -i -t tsyslog' sh "$FLAGDIR" &
LPID=$!
for i in $(seq 300); do grep -q "via journald seq=1" $STORE/events.log 2>/dev/null && break; sleep 0.1; done
rm -f "$FLAGDIR/wait"
wait $LPID	# before the namespace stops: an nsenter left behind would hold it
grep "via journald seq=1" $STORE/events.log > "$T/got" ||
	fail "logger did not reach logstreamd: $(tail -3 $STORE/events.log 2>&1)"
[ "$(jq -c '[.transport, .source, .app, .trusted.uid, .trusted.gid, .trusted.pid == (.pid | tonumber)]' "$T/got")" = \
	'["unix","/run/systemd/journal/syslog","tsyslog",4242,4242,true]' ] ||
	fail "stored as $(cat "$T/got")"
# and back to rsyslog
ns systemctl disable --now logstreamd-syslog.service >/dev/null 2>&1 || fail "disable --now logstreamd-syslog"
ns systemctl enable --now rsyslog.service >/dev/null 2>&1 || fail "enable --now rsyslog"
[ "$(ns readlink /etc/systemd/system/syslog.service)" = /lib/systemd/system/rsyslog.service ] ||
	fail "syslog.service is not rsyslog's again"
[ "$(ns systemctl show -p ExecMainStatus --value logstreamd-syslog)" = 0 ] ||
	fail "logstreamd-syslog exit status $(ns systemctl show -p ExecMainStatus --value logstreamd-syslog)"
pass "logstreamd-syslog.service: verify, exposure $exposure, enable makes syslog.service; logger -> journald -> syslog.socket stored as unix with trusted uid 4242 and the logger's pid; back to rsyslog"
