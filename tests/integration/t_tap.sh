#!/bin/bash
# t_tap: GET /tap?where=EXPR streams the stored lines of matching events.
# 1. A curl client with where=host=web01, connected across [http] timeout
#    (a stream has no idle end) while 20,000 gen.py events are sent at
#    20,000/s, gets exactly the stored web01 events (as stored lines: the
#    same set, no duplicate).
# 2. A client that does not read (small receive buffer) while 50,000 more
#    pass at full speed loses lines: they are counted
#    (logstreamd_tap_dropped_total, /stats tap.dropped) and, once it
#    reads, reported in-band: the lines it got plus every
#    {"tap_dropped":N} are exactly the 50,000.  The store has all 70,000
#    events all the same (seq oracle).  A bad expression gets 400 with
# its position; a 17th client 503; closed clients are detached.
. "$(dirname "$0")/lib.sh"
HPORT=$(free_port)
M="http://127.0.0.1:$HPORT"
write_conf "
[http]
listen = 127.0.0.1:$HPORT
timeout = 1s"
start_daemon
N=50000
python3 "$GEN" $((20000 + N)) > "$T/mix.log"
head -n 20000 "$T/mix.log" > "$T/mix1.log"
tail -n +20001 "$T/mix.log" > "$T/mix2.log"
stat_tap() { curl -s --max-time 5 "$M/stats" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["tap"][sys.argv[1]])' "$1"; }
wait_clients() {
	local i
	for i in $(seq 300); do
		[ "$(stat_tap clients)" = "$1" ] && return 0
		sleep 0.05
	done
	fail "tap clients $(stat_tap clients), not $1"
}

# A bad expression: 400 naming the position.
curl -s -o "$T/bad.out" -w '%{http_code}' "$M/tap?where=host%7E(" > "$T/bad.code"
[ "$(cat "$T/bad.code")" = 400 ] || fail "bad expression: $(cat "$T/bad.code")"
grep -q 'at 7: bad regex' "$T/bad.out" || fail "no position: $(cat "$T/bad.out")"

curl -sN "$M/tap?where=host%3Dweb01" > "$T/tap.out" 2> "$T/tap.err" &
CURL=$!; track $CURL
wait_clients 1
sleep 1.5		# past [http] timeout: the stream stays
"$TOP/build/lsflood" -r 20000 127.0.0.1 $PORT "$T/mix1.log" > /dev/null ||
    fail "sender failed"
wait_lines "$T/events.log" 20000 60
# The web01 events as stored: the tap must bring exactly these lines.
python3 - "$T/events.log" "$T/tap.out" <<'PY' || fail "tap web01 differs"
import json, sys, time
want = [l for l in open(sys.argv[1]) if json.loads(l).get("host") == "web01"]
for i in range(300):
    got = open(sys.argv[2]).readlines()
    if len(got) >= len(want):
        break
    time.sleep(0.1)
assert len(want) > 2000, len(want)
assert sorted(got) == sorted(want), (len(got), len(want))
print("tap web01: %d lines, as stored" % len(got))
PY
# The slow one: GET /tap, then reads nothing until $T/read exists.
python3 - "$HPORT" "$T/slow.out" "$T/read" $N <<'PY' & SLOW=$!; track $SLOW
import json, os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /tap HTTP/1.0\r\n\r\n")
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
s.settimeout(60)
data = b""; got = dropped = 0
end = time.monotonic() + 60
while time.monotonic() < end:
    d = s.recv(1 << 20)
    if not d:
        break
    data += d
    body = data.split(b"\r\n\r\n", 1)[-1]
    lines = body.split(b"\n")[:-1]
    got = sum(1 for l in lines if not l.startswith(b'{"tap_dropped"'))
    dropped = sum(json.loads(l)["tap_dropped"] for l in lines
                  if l.startswith(b'{"tap_dropped"'))
    if got + dropped >= int(sys.argv[4]):
        break
open(sys.argv[2], "w").write("%d %d\n" % (got, dropped))
PY
wait_clients 2
nc -N 127.0.0.1 $PORT < "$T/mix2.log" || fail "sender failed"
wait_lines "$T/events.log" $((20000 + N)) 60
python3 "$TOP/tests/integration/seqcheck.py" --all "$T/events.log" "$T/mix.log" ||
    fail "store lost events"
kill -0 $DPID || fail "daemon died"
curl -s "$M/metrics" > "$T/metrics.txt"; drops=$(awk '$1 == "logstreamd_tap_dropped_total" { print $2 }' "$T/metrics.txt")
[ "${drops:-0}" -gt 0 ] || fail "slow client: no drops counted"
[ "$(stat_tap dropped)" -ge "$drops" ] || fail "/stats tap.dropped < $drops"
touch "$T/read"
wait $SLOW || fail "slow client reader failed"
read got dropped < "$T/slow.out"
[ "$dropped" -gt 0 ] || fail "no tap_dropped reported in-band ($got got)"
[ $((got + dropped)) = $N ] || fail "slow client: $got lines + $dropped dropped != $N"
# Every drop counted is reported to its client (the web01 one may have
# lost lines too in that burst).
for i in $(seq 200); do
	fast=$(grep -o '"tap_dropped":[0-9]*' "$T/tap.out" | awk -F: '{ n += $2 } END { print n + 0 }')
	[ $((dropped + fast)) = "$(stat_tap dropped)" ] && break
	sleep 0.05
done
[ $((dropped + fast)) = "$(stat_tap dropped)" ] ||
    fail "reported $dropped + $fast, counted $(stat_tap dropped)"
wait_clients 1
# 16 clients at most: the 17th gets 503.
for i in $(seq 15); do
	curl -sN "$M/tap?where=host%3Dnone" > /dev/null 2>&1 & track $!
done
wait_clients 16
c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$M/tap")
[ "$c" = 503 ] || fail "17th tap client got $c, not 503"
kill $CURL
wait_clients 15
stop_daemon
pass "web01 tap = stored web01 set; slow client $got lines + $dropped dropped (reported, counted) = $N; 400 with position; 503 at 16"
