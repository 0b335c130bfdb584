#!/bin/bash
# t_privport: a listen address this process could not bind.  `-t` run as a
# user without CAP_NET_BIND_SERVICE warns (exit 0) for a [listen] and an
# [http] port below net.ipv4.ip_unprivileged_port_start, naming file:line,
# the port and the capability; it stays quiet for a high port, for root and
# for the same user given the capability (ambient, as logstreamd.service
# grants it).  Started that way the daemon exits 2 and the bind error says
# how to get the port.  Needs root (setpriv to another user).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP t_privport: needs root to run -t as another user"; exit 77; }
start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
if [ "$start" -le 1 ]; then
	echo "SKIP t_privport: net.ipv4.ip_unprivileged_port_start is $start: every port is unprivileged here"
	exit 77
fi
LOW=$(( start > 514 ? 514 : start - 1 ))
PORT=$(free_port)
write_conf "
[http]
listen = 127.0.0.1:$(( LOW - 1 > 0 ? LOW - 1 : LOW ))"
sed -i "s/^tcp = .*/tcp = 127.0.0.1:$LOW/" "$T/test.conf"
chmod 755 "$T"
mkdir -p "$T/run" && chown nobody "$T/run"
touch "$T/events.log" "$T/alerts.log" && chown nobody "$T/events.log" "$T/alerts.log"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"; }

as_nobody "$BIN" -t -c "$T/test.conf" > "$T/t.out" 2> "$T/t.err" || fail "-t as nobody exited $?: $(cat "$T/t.err")"
grep -q ": ok$" "$T/t.out" || fail "-t did not say ok"
tl=$(grep -n '^tcp = ' "$T/test.conf" | cut -d: -f1)
hl=$(grep -n '^listen = ' "$T/test.conf" | cut -d: -f1)
grep -q "^logstreamd: $T/test.conf:$tl: \[listen\] tcp = 127.0.0.1:$LOW: port $LOW is below net.ipv4.ip_unprivileged_port_start ($start) and this process (uid $(id -u nobody)) lacks CAP_NET_BIND_SERVICE" "$T/t.err" ||
	fail "no warning for the tcp port: $(cat "$T/t.err")"
grep -q "^logstreamd: $T/test.conf:$hl: \[http\] listen = .*lacks CAP_NET_BIND_SERVICE.*logstreamd.socket" "$T/t.err" ||
	fail "no warning for the http port: $(cat "$T/t.err")"
[ "$(grep -c CAP_NET_BIND_SERVICE "$T/t.err")" = 2 ] || fail "udp $PORT warned too: $(cat "$T/t.err")"

"$BIN" -t -c "$T/test.conf" 2> "$T/root.err" >/dev/null || fail "-t as root"
grep -q CAP_NET_BIND_SERVICE "$T/root.err" && fail "root warned: $(cat "$T/root.err")"
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all,+net_bind_service \
	--ambient-caps=+net_bind_service "$BIN" -t -c "$T/test.conf" 2> "$T/cap.err" >/dev/null ||
	fail "-t with the capability"
grep -q CAP_NET_BIND_SERVICE "$T/cap.err" && fail "warned though the capability is there: $(cat "$T/cap.err")"

# Started that way: exit 2, and the bind error points to the fix.
as_nobody "$BIN" -c "$T/test.conf" > /dev/null 2> "$T/daemon.err" &
DPID=$!; track $DPID
wait $DPID; rc=$?
[ $rc = 2 ] || fail "start as nobody on port $LOW exited $rc"
grep -q "listen tcp 127.0.0.1:$LOW: Permission denied (a port below .*CAP_NET_BIND_SERVICE.*logstreamd.socket)" "$T/daemon.err" ||
	fail "the bind error gives no way out: $(cat "$T/daemon.err")"
pass "-t warns for tcp $LOW and http as uid nobody (exit 0), not for root or with the ambient capability; the start exits 2 with the hint"
