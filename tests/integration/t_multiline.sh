#!/bin/bash
# t_multiline: [listen] multiline_start / multiline_timeout on TCP
# connections (nc): a Java stack trace sent as lines is stored as one
# event; a continuation that comes after multiline_timeout is an event of
# its own (the one before was handed on at the timeout, not held); a trace
# longer than max_message (256) is one event cut there and marked
# truncated, and the start line after it is whole again; lines of two
# connections never join each other; a peer that leaves hands on what it
# held; a unix stream connection's trace is joined too.
. "$(dirname "$0")/lib.sh"
PORT=$(free_port)
cat > "$T/test.conf" <<CONF
[listen]
tcp = 127.0.0.1:$PORT
unix_stream = $T/log.sock
max_message = 256
multiline_start = ^\\d{4}-\\d\\d-\\d\\d 
multiline_timeout = 300ms

[storage]
path = $T/events.log
sync = 200ms
rotate_size = 0

[alerts]
path = $T/alerts.log
CONF
start_daemon

# one connection: a trace, then a late continuation (after the timeout)
{
	printf '2024-01-01 12:00:00 ERROR [main] App - failed\n'
	printf 'java.lang.IllegalStateException: boom\n'
	printf '\tat com.example.App.run(App.java:10)\n'
	printf 'Caused by: java.io.IOException: disk\n\t... 2 more\n'
	printf '2024-01-01 12:00:01 INFO held until the timeout\n'
	sleep 1.2
	printf '\tlate continuation\n'
} | nc -N 127.0.0.1 "$PORT" &
track $!
# another connection at the same time: its lines never join the first's
{
	sleep 0.2
	printf '\tother peer, alone\n'
	printf '2024-01-01 12:00:02 WARN ' ; printf 'x%.0s' $(seq 60); printf '\n'
	for i in $(seq 20); do printf '\tat frame number %02d of a long trace\n' "$i"; done
	printf '2024-01-01 12:00:03 INFO whole again\n'
	printf '\tlast, held until the peer left'
} | nc -N 127.0.0.1 "$PORT" &
track $!
# a unix stream connection joins the same way
printf '2024-01-01 12:00:04 ERROR over unix\n\tat x.Y.z(Y.java:1)\n2024-01-01 12:00:05 INFO unix next\n' |
	nc -N -U "$T/log.sock" || fail "nc -U"
wait_lines "$T/events.log" 8 20
sleep 0.5
stop_daemon

python3 - "$T/events.log" <<'PY' || fail "events are not as joined"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
msgs = [e.get("message", "") for e in ev]
def one(prefix):
    m = [e for e in ev if e.get("message", "").startswith(prefix)]
    assert len(m) == 1, (prefix, msgs)
    return m[0]
t = one("2024-01-01 12:00:00 ERROR")["message"]
assert t.endswith("Caused by: java.io.IOException: disk\n\t... 2 more") and t.count("\n") == 4, t
assert one("2024-01-01 12:00:01 INFO")["message"] == "2024-01-01 12:00:01 INFO held until the timeout"
assert one("\tlate continuation")["message"] == "\tlate continuation"
assert one("\tother peer, alone")["message"] == "\tother peer, alone"
cut = one("2024-01-01 12:00:02 WARN")
assert cut.get("truncated") is True and len(cut["raw"] if "raw" in cut else cut["message"].encode()) <= 256, cut
assert one("2024-01-01 12:00:03 INFO")["message"] == "2024-01-01 12:00:03 INFO whole again\n\tlast, held until the peer left"
u = one("2024-01-01 12:00:04 ERROR over unix")
assert u["message"].endswith("\n\tat x.Y.z(Y.java:1)") and u["transport"] == "unix", u
assert one("2024-01-01 12:00:05 INFO unix")["transport"] == "unix"
assert len(ev) == 8, msgs
PY
pass "TCP and unix stream: a Java trace joined, a late continuation on its own, a long trace cut at max_message and marked, two peers kept apart, the last held event handed on at EOF"
