#!/bin/bash
# t_limits: max_connections refuses the peer past the limit (and counts
# it) while the others keep working; idle_timeout closes a silent peer; the
# listener serves IPv6 ([::1]) for TCP and UDP beside IPv4; allow= refuses
# sources outside the list (counted) and keeps the rest.
. "$(dirname "$0")/lib.sh"
HPORT=$(free_port)
write_conf "[http]
listen = 127.0.0.1:$HPORT"
sed -i "s/^max_message = .*/&\nmax_connections = 2\nidle_timeout = 1s\ntcp = [::1]:$PORT\nudp = [::1]:$PORT/" "$T/test.conf"
start_daemon
python3 - "$PORT" <<'PY' || fail "connection limit / idle timeout"
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port))
b = socket.create_connection(("127.0.0.1", port))
time.sleep(0.3)
c = socket.create_connection(("127.0.0.1", port))
c.settimeout(2)
assert c.recv(1) == b"", "third connection was not closed"
a.sendall(b"from a seq=1\n"); b.sendall(b"from b seq=2\n")
# idle: a peer that sends nothing for 1s is closed; not before it, and
# within a generous 15 x idle_timeout (a busy machine runs timers late)
d0 = time.time()
a.settimeout(30)
assert a.recv(1) == b"", "idle peer not closed"
d = time.time() - d0
assert 0.5 < d < 15, "idle close after %.1f s (idle_timeout 1s)" % d
PY
echo "over ipv6 tcp seq=3" | nc -N ::1 $PORT || fail "IPv6 TCP"
logger -n ::1 -P $PORT -d "over ipv6 udp seq=4" || fail "IPv6 UDP logger"
wait_lines "$T/events.log" 4
jq -se 'map(select(.message | test("ipv6 tcp")))[0].source | startswith("[::1]:")' "$T/events.log" >/dev/null || fail "IPv6 source"
jq -se 'map(select(.message | test("ipv6 udp")))[0].transport == "udp"' "$T/events.log" >/dev/null || fail "IPv6 UDP"
stop_daemon
[ "$(summary_value refused)" -ge 1 ] || fail "refused connection not counted"

# allow: only ::1 may send; 127.0.0.1 is refused over TCP, dropped over UDP.
sed -i "s/^max_connections = 2/max_connections = 10\nallow = ::1/" "$T/test.conf"
start_daemon
echo "v4 refused seq=5" | nc -N 127.0.0.1 $PORT
logger -n 127.0.0.1 -P $PORT -d "v4 udp refused seq=6"
echo "v6 allowed seq=7" | nc -N ::1 $PORT
wait_lines "$T/events.log" 5
# The refused datagram was read (and dropped) too, before the stop.
for i in $(seq 200); do
	curl -s "127.0.0.1:$HPORT/metrics" | grep -qx 'logstreamd_events_dropped_total{reason="acl"} 1' && break
	sleep 0.05
done
stop_daemon
# After the stop: all that was read is stored by now, refused or not.
grep -q "refused" "$T/events.log" && fail "a refused source was stored"
[ "$(summary_value refused)" -ge 1 ] || fail "ACL refusal not counted"
[ "$(summary_value acl)" = 1 ] || fail "UDP ACL drop not counted: $(summary_value acl)"
pass "max_connections, idle_timeout, IPv6 TCP+UDP, allow ACL"
