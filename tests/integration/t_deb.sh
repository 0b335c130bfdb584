#!/bin/bash
# t_deb: the Debian package under a real systemd (tests/tools/systemd-ns).
# make deb builds it (dpkg-buildpackage, lintian with no warning; reused
# while up to date) and a second build at a bumped version (mkdeb.sh
# --again).  dpkg -i keeps the admin's config (a conffile), creates the
# system user logstreamd (not in adm) and /var/log/logstreamd (2750
# logstreamd:adm), enables and starts logstreamd.service (every other unit
# stays off); events from logger over TCP land in the store, an alert in
# the alert file, both 0640 logstreamd:adm: a user in adm reads them,
# another cannot.  systemctl reload of a good config exits 0 (it moves tcp
# to a port below 1024: the unit's capability), of a broken one non-zero
# with the reason in the journal.  dpkg -i of the second build while a
# sender runs restarts it and loses nothing (seq oracle; the sender sends
# one event a connection and counts it once the daemon closed after
# reading it, else sends it again).  systemd-analyze security <= 2.0.
# dpkg --purge leaves no file, unit, symlink or process; the user stays
# (Debian practice).  Needs root; it backs up and restores /etc/logstreamd
# and units that make install left.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || fail "needs root (builds and installs a package, boots systemd)"
# Build first: that works in a chroot too.
"$TOP/tests/tools/mkdeb.sh" > "$T/mkdeb.out" 2>&1 || fail "make deb: $(tail -30 "$T/mkdeb.out")"
DEB=$(cat "$TOP/build/deb/ok")
V1=$(dpkg-deb -f "$DEB" Version)
if in_chroot || ! mountpoint -q /sys/fs/cgroup; then
	echo "SKIP t_deb: the package built lintian-clean ($DEB); installing it needs systemd as PID 1 of a namespace, which cannot boot here (a chroot, or no cgroup hierarchy)"
	exit 77
fi
# installed, unpacked or its conffiles left: dpkg knows it
pkg_known() { dpkg-query -W -f '${Status}' logstreamd 2>/dev/null | grep -qv ' not-installed$'; }
if pkg_known; then
	echo "SKIP t_deb: a logstreamd package is installed on this machine; the test would replace and purge it"
	exit 77
fi
V2=$V1+t1
DEB2=$("$TOP/tests/tools/mkdeb.sh" --again "$V2" 2> "$T/again.err") || fail "second build: $(tail -30 "$T/again.err")"
# It installs into / (t_systemd's lock: one at a time, across checkouts).
systemd_ns_lock
NS="$TOP/tests/tools/systemd-ns"
export SYSTEMD_NS_PIDFILE=$T/ns.pid DEBIAN_FRONTEND=noninteractive
ns() { "$NS" exec "$@"; }
CONF=/etc/logstreamd/logstreamd.conf
STORE=/var/log/logstreamd
UADM=tdebadm$$ UOTH=tdeboth$$
getent passwd logstreamd >/dev/null && had_user=1 || had_user=0
mkdir -p "$T/backup"
[ -e /etc/logstreamd ] && mv /etc/logstreamd "$T/backup/etc"
for u in /lib/systemd/system/logstreamd*; do [ -e "$u" ] && mv "$u" "$T/backup/"; done
undo() {
	[ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
	if pkg_known; then
		ns dpkg --purge logstreamd >/dev/null 2>&1 || dpkg --purge logstreamd >/dev/null 2>&1
	fi
	"$NS" stop >/dev/null 2>&1
	userdel "$UADM" 2>/dev/null; userdel "$UOTH" 2>/dev/null
	if [ $had_user = 0 ] && getent passwd logstreamd >/dev/null; then
		userdel logstreamd; getent group logstreamd >/dev/null && groupdel logstreamd
	fi
	rm -rf /etc/logstreamd "$STORE" /var/lib/logstreamd
	[ -e "$T/backup/etc" ] && mv "$T/backup/etc" /etc/logstreamd
	for u in "$T"/backup/logstreamd*; do [ -e "$u" ] && mv "$u" /lib/systemd/system/; done
	cleanup
}
trap undo EXIT INT TERM
# dpkg in the namespace (its systemctl talks to that systemd); another
# install on the machine may hold dpkg's lock for a while.
dpkg_ns() {
	local i
	for i in $(seq 120); do
		ns dpkg "$@" > "$T/dpkg.out" 2>&1 && return 0
		grep -q "lock" "$T/dpkg.out" || return 1
		sleep 0.5
	done
	return 1
}
journal() { ns journalctl --since "$SINCE" -u logstreamd --no-pager; }

# The admin's config, there before the package: free ports.
PORT=$(free_port) HPORT=$(free_port)
mkdir -p /etc/logstreamd
sed -e "s/^tcp = .*/tcp = 127.0.0.1:$PORT/" -e "s/^udp = .*/udp = 127.0.0.1:$PORT/" \
	-e "s/^listen = 127.0.0.1:9514/listen = 127.0.0.1:$HPORT/" \
	-e 's|\.\./var/|/var/log/logstreamd/|' "$TOP/conf/logstreamd.conf" > $CONF
cp $CONF "$T/admin.conf"

"$NS" start >/dev/null || fail "systemd-ns did not boot"
SINCE=$(date '+%Y-%m-%d %H:%M:%S')
dpkg_ns -i --force-confold "$DEB" || fail "dpkg -i $V1: $(tail -20 "$T/dpkg.out")"
cmp -s $CONF "$T/admin.conf" || fail "install replaced the admin's config"
dpkg-query --control-show logstreamd conffiles | grep -q "^$CONF$" || fail "$CONF is not a conffile"
[ "$(ns systemctl is-active logstreamd)" = active ] || fail "not started: $(journal | tail -5)"
[ "$(ns systemctl is-enabled logstreamd)" = enabled ] || fail "service not enabled"
for u in /lib/systemd/system/logstreamd*; do	# every other unit: off
	u=${u##*/}
	[ $u = logstreamd.service ] && continue
	[ "$(ns systemctl is-enabled $u)" = disabled ] || fail "$u is $(ns systemctl is-enabled $u)"
	ns systemctl -q is-active $u && fail "$u was started"
done
id -nG logstreamd | grep -qw adm && fail "user logstreamd is in adm"
[ "$(stat -c '%a %U %G' $STORE)" = "2750 logstreamd adm" ] || fail "$STORE is $(stat -c '%a %U %G' $STORE)"
pid=$(ns systemctl show -p MainPID --value logstreamd)
[ "$(ns ps -o user= -p "$pid")" = logstreamd ] || fail "runs as $(ns ps -o user= -p "$pid")"

logger -n 127.0.0.1 -P $PORT --tcp -t app "first over tcp seq=1"
logger -n 127.0.0.1 -P $PORT --tcp -t kernel "Out of memory: Killed process 4242 (java) seq=2"
wait_lines $STORE/events.log 2
wait_lines $STORE/alerts.log 1
for f in events.log alerts.log; do
	[ "$(stat -c '%a %U %G' $STORE/$f)" = "640 logstreamd adm" ] || fail "$f is $(stat -c '%a %U %G' $STORE/$f)"
done
useradd -M -G adm "$UADM" && useradd -M "$UOTH" || fail "useradd"
runuser -u "$UADM" -- grep -q "seq=1" $STORE/events.log || fail "a user in adm cannot read the store"
runuser -u "$UADM" -- grep -q "out_of_memory" $STORE/alerts.log || fail "a user in adm cannot read the alert file"
runuser -u "$UOTH" -- cat $STORE/events.log >/dev/null 2>&1 && fail "a user not in adm reads the store"
runuser -u "$UOTH" -- cat $STORE/alerts.log >/dev/null 2>&1 && fail "a user not in adm reads the alert file"

# reload: a good config (tcp on a port below 1024) exits 0 and binds it ...
LOW=$(python3 -c '
import socket
for p in range(700, 1000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()')
sed -i "s/^tcp = .*/tcp = 127.0.0.1:$LOW/" $CONF
ns systemctl reload logstreamd || fail "reload of a good config exited $?: $(journal | tail -5)"
logger -n 127.0.0.1 -P $LOW --tcp -t app "on a privileged port seq=3" || fail "port $LOW not bound after the reload"
wait_lines $STORE/events.log 3
# ... a broken one exits non-zero, and the journal says why.
cp $CONF "$T/good.conf"
echo "bogus_key = 1" >> $CONF
ns systemctl reload logstreamd 2>/dev/null && fail "reload of a broken config exited 0"
for i in $(seq 100); do journal | grep -q "unknown key 'bogus_key'" && break; sleep 0.1; done
journal | grep -q "unknown key 'bogus_key'" || fail "the journal lacks the reason: $(journal | tail -5)"
cp "$T/good.conf" $CONF

# upgrade in place while a sender runs: one event a connection, counted
# once the daemon closed the connection after reading it.
python3 - $LOW "$T/sent" "$T/stop" <<'PY' &
import os, socket, sys, time
port, out, stop = int(sys.argv[1]), open(sys.argv[2], "w", buffering=1), sys.argv[3]
seq = 1000
while not os.path.exists(stop):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"<13>Dec  3 12:00:00 h upg: during the upgrade seq=%d\n" % seq)
        s.shutdown(socket.SHUT_WR)
        while s.recv(256):
            pass
        s.close()
    except OSError:
        time.sleep(0.05)	# refused, or reset unread: send it again
        continue
    out.write("seq=%d\n" % seq)
    seq += 1
    time.sleep(0.005)
PY
SPID=$!; track $SPID
sent() { { wc -l < "$T/sent"; } 2>/dev/null || echo 0; }
for i in $(seq 300); do [ "$(sent)" -ge 50 ] && break; sleep 0.1; done
[ "$(sent)" -ge 50 ] || fail "the sender got nothing through"
dpkg_ns -i --force-confold "$DEB2" || fail "dpkg -i $V2: $(tail -20 "$T/dpkg.out")"
[ "$(dpkg-query -W -f '${Version}' logstreamd)" = "$V2" ] || fail "not upgraded"
[ "$(ns systemctl show -p MainPID --value logstreamd)" != "$pid" ] || fail "the upgrade did not restart it"
n=$(sent)
for i in $(seq 300); do [ "$(sent)" -ge $((n + 50)) ] && break; sleep 0.1; done
[ "$(sent)" -ge $((n + 50)) ] || fail "the sender got nothing through after the upgrade"
touch "$T/stop"; wait $SPID; SPID=
n=$(( $(sent) + 3 ))
wait_lines $STORE/events.log $n
printf 'seq=%d\n' 1 2 3 > "$T/logger.sent"
python3 "$(dirname "$0")/seqcheck.py" --all $STORE/events.log "$T/logger.sent" "$T/sent" ||
	fail "events lost or repeated across the upgrade"
journal | grep -q "stopped: received=" || fail "no drained stop in the journal"

exposure=$(ns systemd-analyze security logstreamd.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for logstreamd.service: \([0-9.]*\).*/\1/p')
python3 -c "import sys; sys.exit(0 if float('$exposure') <= 2.0 else 1)" || fail "exposure '$exposure' > 2.0"

# purge: nothing left but the user.
dpkg_ns --purge logstreamd || fail "dpkg --purge: $(tail -20 "$T/dpkg.out")"
pgrep -u logstreamd >/dev/null && fail "processes of logstreamd left: $(pgrep -a -u logstreamd)"
left=$(ls -d /etc/logstreamd $STORE /var/lib/logstreamd /usr/bin/logstreamd /lib/systemd/system/logstreamd* \
	/usr/lib/sysusers.d/logstreamd.conf /usr/lib/tmpfiles.d/logstreamd.conf /usr/share/doc/logstreamd \
	/usr/share/man/man*/logstreamd* /etc/systemd/system/*/logstreamd* \
	/var/lib/systemd/deb-systemd-helper-enabled/*logstreamd* \
	/var/lib/systemd/deb-systemd-helper-enabled/*/logstreamd* 2>/dev/null)
[ -z "$left" ] || fail "left after purge: $left"
ns systemctl list-unit-files 'logstreamd*' --no-legend | grep -q . && fail "units left: $(ns systemctl list-unit-files 'logstreamd*' --no-legend)"
getent passwd logstreamd >/dev/null || fail "purge removed the user (Debian keeps it)"
pass "$V1 installed, started as logstreamd, logger events stored 0640 logstreamd:adm (adm reads, others not), reload ok/broken (exit 0/non-zero), upgrade to $V2 with $(( n - 3 )) events sent across it: none lost, exposure $exposure, purge clean"
