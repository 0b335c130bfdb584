#!/bin/bash
# t_http_limits: the HTTP endpoint is no way in and never holds up the
# pipeline: unknown paths 404 (traversal too), other methods 405 with
# Allow, 16 KiB of headers and a 1 MiB body refused, garbage answered 400;
# a slow client that never finishes its request is cut at [http] timeout;
# 1,000 connections held open cost at most max_clients descriptors while a
# 20,000-event load is stored in full, and /health answers as soon as they
# go.  The daemon is alive and exits 0 after all of it.
. "$(dirname "$0")/lib.sh"
ulimit -n 4096 2>/dev/null
HPORT=$(free_port)
M="http://127.0.0.1:$HPORT"
write_conf "
[http]
listen = 127.0.0.1:$HPORT
max_clients = 16
timeout = 1s"
start_daemon
st() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
[ "$(st "$M/nope")" = 404 ] || fail "unknown path not 404"
[ "$(st --path-as-is "$M/metrics/../../etc/passwd")" = 404 ] || fail "traversal not 404"
[ "$(st "$M/metrics?x=1")" = 200 ] || fail "query string refused"
for m in POST PUT DELETE OPTIONS PATCH; do
	[ "$(st -X $m "$M/metrics")" = 405 ] || fail "$m /metrics not 405"
done
curl -s -D - -o /dev/null -X POST "$M/health" | grep -qi '^allow: GET, HEAD' || fail "405 without Allow"
big=$(head -c 16384 /dev/zero | tr '\0' a)
c=$(st -H "X-Big: $big" "$M/metrics")
[ "$c" != 200 ] || fail "16 KiB of headers served"
c=$(head -c 1048576 /dev/zero | st -X POST --data-binary @- "$M/metrics")
[ "$c" != 200 ] || fail "1 MiB body accepted"
python3 - "$HPORT" <<'PY' || fail "garbage request"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x00\xff\xfe GARBAGE \x1b[31m\r\n\r\n")
r = s.recv(100)
assert r == b"" or r.startswith(b"HTTP/1.1 400"), r
PY
# A slow client: half a request line, then nothing.  Cut at timeout: not
# before it, and within a generous 15 x timeout (the figure is printed).
python3 - "$HPORT" "$T/slow" <<'PY' || fail "slow client not cut"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
t = time.monotonic()
s.sendall(b"GET /metr")
r = s.recv(100)		# a timeout here (30 s) fails the test
d = time.monotonic() - t
assert r == b"" or r.startswith(b"HTTP/1.1 4"), r
assert 0.5 < d < 15, d
print("slow client cut after %.1f s" % d, file=open(sys.argv[2], "w"))
PY
kill -0 $DPID || fail "daemon died"
# 1,000 connections held open, while a load goes through.
fds0=$(ls /proc/$DPID/fd | wc -l)
# Held until the load is stored and counted ($T/release), not for a time.
python3 - "$HPORT" "$T/held" "$T/release" <<'PY' & HOLD=$!; track $HOLD
import os, socket, sys, time
socks = []
for i in range(1000):
    s = socket.socket(); s.setblocking(False)
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError:
        pass
    socks.append(s)
open(sys.argv[2], "w").write("%d\n" % len(socks))
for i in range(1200):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
PY
for i in $(seq 600); do [ -f "$T/held" ] && break; sleep 0.05; done
[ -f "$T/held" ] || fail "1,000 connections not opened"
sleep 0.5
python3 "$GEN" 20000 > "$T/mix.log"
nc -N 127.0.0.1 $PORT < "$T/mix.log" || fail "sender failed"
wait_lines "$T/events.log" 20000 30
fds1=$(ls /proc/$DPID/fd | wc -l)
kill -0 $HOLD 2>/dev/null || fail "the 1,000 connections went before the load was stored"
[ $((fds1 - fds0)) -le 18 ] || fail "1,000 HTTP connections took $((fds1 - fds0)) descriptors (max_clients 16)"
touch "$T/release"
wait $HOLD
for i in $(seq 300); do [ "$(st "$M/health")" = 200 ] && break; sleep 0.1; done
[ "$(st "$M/health")" = 200 ] || fail "/health not answering after the connections went"
python3 "$(dirname "$0")/seqcheck.py" --all "$T/events.log" "$T/mix.log" || fail "events lost while HTTP was flooded"
stop_daemon
pass "404, 405+Allow, big headers $c, big body refused, garbage 400, $(cat "$T/slow"), 1,000 connections held: +$((fds1 - fds0)) fds, 20,000 events stored meanwhile"
