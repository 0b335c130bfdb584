#!/bin/bash
# t_systemd: logstreamd as a real systemd service, under a real systemd (PID
# 1 in a private namespace: tests/tools/systemd-ns).  `make install`; start
# is active only once READY (the port accepts the moment `systemctl start`
# returns); events sent with logger land in /var/log/logstreamd; reload with
# a changed config takes effect (`systemctl reload` exits 0), with a broken
# one the old stays, `systemctl reload` exits non-zero (ExecReload is
# `logstreamd reload`, which waits for the daemon's verdict) and the journal
# and `systemctl status` say why; stop drains and exits 0.  Socket activation:
# the first event starts the service and nothing sent before READY is lost,
# TCP and UDP.  Watchdog: a stuck event loop is killed and restarted, and
# what was stored stays.  Both units pass systemd-analyze verify, and the
# security exposure is at most 2.0.  make install made the user logstreamd
# and the store is 0640 logstreamd:adm.  Needs root (it installs into / and
# boots systemd); it backs up and restores an existing /etc/logstreamd.
. "$(dirname "$0")/lib.sh"
systemd_ns_ready
CONF=/etc/logstreamd/logstreamd.conf
STORE=/var/log/logstreamd
[ -e /etc/logstreamd ] && cp -a /etc/logstreamd "$T/etc-backup"
getent passwd logstreamd >/dev/null && had_user=1 || had_user=0
undo() {
	"$NS" stop >/dev/null 2>&1
	make -s -C "$TOP" uninstall >/dev/null 2>&1
	# make install made the system user; the machine gets it back without
	if [ $had_user = 0 ] && getent passwd logstreamd >/dev/null; then
		userdel logstreamd; getent group logstreamd >/dev/null && groupdel logstreamd
	fi
	rm -rf /etc/systemd/system/logstreamd.service.d /etc/systemd/system/logstreamd.socket.d
	rm -rf /etc/logstreamd /var/log/private/logstreamd /var/log/logstreamd \
		/var/lib/private/logstreamd /var/lib/logstreamd
	[ -e "$T/etc-backup" ] && cp -a "$T/etc-backup" /etc/logstreamd
	cleanup
}
trap undo EXIT INT TERM
rm -rf /var/log/private/logstreamd /var/log/logstreamd /etc/systemd/system/logstreamd.service.d \
	/etc/systemd/system/logstreamd.socket.d

make -s -C "$TOP" install >/dev/null || fail "make install"
PORT=$(free_port)
mkdir -p /etc/logstreamd
sed -e "s/^tcp = .*/tcp = 127.0.0.1:$PORT/" -e "s/^udp = .*/udp = 127.0.0.1:$PORT/" \
	"$TOP/conf/logstreamd.conf" | sed -e 's|\.\./var/|/var/log/logstreamd/|' > $CONF
systemd-analyze verify /lib/systemd/system/logstreamd.service /lib/systemd/system/logstreamd.socket ||
	fail "systemd-analyze verify"
exposure=$(systemd-analyze security --offline=true /lib/systemd/system/logstreamd.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for logstreamd.service: \([0-9.]*\).*/\1/p')
python3 -c "import sys; sys.exit(0 if float('$exposure') <= 2.0 else 1)" || fail "exposure $exposure > 2.0"

"$NS" start >/dev/null || fail "systemd-ns did not boot"
SINCE=$(date '+%Y-%m-%d %H:%M:%S')	# the journal on disk holds earlier runs too
mkdir -p /etc/systemd/system/logstreamd.service.d
printf '[Service]\nWatchdogSec=3s\nEnvironment=LOGSTREAMD_TEST_HANG_FILE=/run/logstreamd-hang\n' \
	> /etc/systemd/system/logstreamd.service.d/test.conf
ns systemctl daemon-reload
ns systemctl start logstreamd || fail "systemctl start: $(ns journalctl --since "$SINCE" -u logstreamd --no-pager | tail -5)"
nc -z 127.0.0.1 $PORT || fail "active before the port was bound (READY too early)"
[ "$(ns systemctl show -p ActiveState --value logstreamd)" = active ] || fail "not active"

logger -n 127.0.0.1 -P $PORT --tcp -t sshd "Failed password for root from 203.0.113.9 port 22 ssh2 seq=1"
logger -n 127.0.0.1 -P $PORT -d "over udp seq=2"
wait_lines $STORE/events.log 2
[ "$(stat -c '%a %U %G' $STORE/events.log)" = "640 logstreamd adm" ] ||
	fail "store mode $(stat -c '%a %U %G' $STORE/events.log)"

# reload: a changed config takes effect ...
printf '[class reloaded]\nmessage = after reload\n' >> $CONF
ns systemctl reload logstreamd || fail "systemctl reload of a good config exited $?"
for i in $(seq 300); do ns systemctl show -p StatusText --value logstreamd | grep -q '^reloaded' && break; sleep 0.1; done
echo "after reload seq=3" | nc -N 127.0.0.1 $PORT
wait_lines $STORE/events.log 3
[ "$(tail -1 $STORE/events.log | jq -r .class)" = reloaded ] || fail "reload not in force"
# ... a broken one keeps the old, and status says why.
echo "bogus_key = 1" >> $CONF
ns systemctl reload logstreamd 2>"$T/reload.err" && fail "systemctl reload of a broken config exited 0"
for i in $(seq 300); do
	ns journalctl --since "$SINCE" -u logstreamd --no-pager > "$T/jall"
	grep -q "reload of $CONF refused" "$T/jall" && break; sleep 0.1
done
grep -q "reload of $CONF refused" "$T/jall" || fail "journal lacks the reload command's verdict: $(tail -5 "$T/jall")"
for i in $(seq 300); do ns systemctl status logstreamd --no-pager | grep -q "reload failed" && break; sleep 0.1; done
ns systemctl status logstreamd --no-pager | grep -q "reload failed" || fail "status does not say the reload failed"
ns journalctl --since "$SINCE" -u logstreamd -p err --no-pager > "$T/jerr"; grep -q "unknown key .bogus_key." "$T/jerr" || fail "journal -p err lacks the cause: $(tail -5 "$T/jerr")"
echo "after bad reload seq=4" | nc -N 127.0.0.1 $PORT
wait_lines $STORE/events.log 4
[ "$(tail -1 $STORE/events.log | jq -r .class)" = other ] || fail "old config not in force"
sed -i '/^bogus_key/d' $CONF

# watchdog: a stuck loop is killed and restarted; stored events stay.
before=$(ns systemctl show -p NRestarts --value logstreamd)
ns touch /run/logstreamd-hang
for i in $(seq 600); do
	[ "$(ns systemctl show -p NRestarts --value logstreamd)" -gt "$before" ] && break; sleep 0.1
done
ns rm -f /run/logstreamd-hang
[ "$(ns systemctl show -p NRestarts --value logstreamd)" -gt "$before" ] || fail "watchdog did not restart it"
ns journalctl --since "$SINCE" -u logstreamd --no-pager | grep -qi "watchdog timeout" || fail "no watchdog timeout in the journal"
for i in $(seq 300); do [ "$(ns systemctl show -p ActiveState --value logstreamd)" = active ] && break; sleep 0.1; done
[ "$(wc -l < $STORE/events.log)" -ge 4 ] ||
	fail "stored events lost over the restart: $(ls -la $STORE/ 2>&1; cat $STORE/events.log 2>&1 | cut -c1-120; ns journalctl --since "$SINCE" -u logstreamd --no-pager | tail -15)"
echo "after restart seq=5" | nc -N 127.0.0.1 $PORT
wait_lines $STORE/events.log 5
python3 "$(dirname "$0")/seqcheck.py" --all $STORE/events.log <(printf 'seq=%d\n' 1 2 3 4 5) || fail "events lost or repeated"

# stop drains and exits 0
ns systemctl stop logstreamd
[ "$(ns systemctl show -p ExecMainStatus --value logstreamd)" = 0 ] || fail "exit status $(ns systemctl show -p ExecMainStatus --value logstreamd)"
ns journalctl --since "$SINCE" -u logstreamd --no-pager | grep -q "stopped: received=" || fail "no stop summary"

# socket activation: events sent before the service runs are all stored.
SPORT=$(free_port)
mkdir -p /etc/systemd/system/logstreamd.socket.d
printf '[Socket]\nListenStream=\nListenDatagram=\nListenStream=127.0.0.1:%s\nListenDatagram=127.0.0.1:%s\n' \
	$SPORT $SPORT > /etc/systemd/system/logstreamd.socket.d/test.conf
ns systemctl daemon-reload
rm -f $STORE/events.log
ns systemctl start logstreamd.socket || fail "socket unit"
[ "$(ns systemctl show -p ActiveState --value logstreamd.service)" = inactive ] || fail "service started before any event"
python3 "$GEN" 20000 > "$T/act.log"
python3 - $SPORT "$T/udp.log" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); out = open(sys.argv[2], "w")
for i in range(900000, 900200):
    line = "<13>Nov 23 20:14:14 h app: early udp seq=%d" % i
    s.sendto(line.encode(), ("127.0.0.1", int(sys.argv[1]))); out.write(line + "\n")
PY
nc -N 127.0.0.1 $SPORT < "$T/act.log" || fail "send to the activation socket"
wait_lines $STORE/events.log 20200 60
python3 "$(dirname "$0")/seqcheck.py" --all $STORE/events.log "$T/act.log" "$T/udp.log" || fail "lost events around socket activation"
ns journalctl --since "$SINCE" -u logstreamd --no-pager | grep -q "socket from systemd" || fail "did not use the systemd sockets"
ns systemctl stop logstreamd.socket logstreamd
pass "install, notify, reload ok/broken (systemctl reload exit 0/non-zero), watchdog restart, stop exit 0, socket activation 20,200 events, exposure $exposure"
