#!/bin/bash
# t_lossless: 200,000 mixed lines from tests/gen.py over 4 parallel nc
# connections, plus 20,000 over UDP at most 250 ahead of the store; the
# stored seq set equals the sent set, with no duplicates, and the stop
# summary balances (received = stored, nothing dropped).
. "$(dirname "$0")/lib.sh"
write_conf "
# this test counts the lines of events.log: no size rotation under it
[storage]
rotate_size = 0"
start_daemon
python3 "$GEN" 200000 > "$T/mix.log"
split -n l/4 -d "$T/mix.log" "$T/part."
for f in "$T"/part.0*; do nc -N 127.0.0.1 $PORT < "$f" & track $!; done
wait_lines "$T/events.log" 200000 120
# UDP: datagrams of their own seq range, never more than 250 ahead of the
# store (a window, not a pace: a busy machine reads later, and a socket
# buffer overflowed by a fixed pace would drop what this test counts).
python3 - "$PORT" "$T/udp.log" "$T/events.log" <<'PY' || fail "UDP sender: the store stopped growing"
import socket, sys, time
port, out, store = int(sys.argv[1]), open(sys.argv[2], "w"), open(sys.argv[3], "rb")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
stored, sent, base = 0, 0, 200000
deadline = time.time() + 120
def count():
    global stored
    while True:
        b = store.read(1 << 20)
        if not b:
            return
        stored += b.count(b"\n")
count()
for i in range(1000000, 1020000):
    while sent - (stored - base) >= 250:
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.001)
        count()
    line = "<13>Nov 23 20:14:14 udphost app: udp event seq=%d" % i
    s.sendto(line.encode(), ("127.0.0.1", port)); out.write(line + "\n")
    sent += 1
PY
wait_lines "$T/events.log" 220000 60
stop_daemon
python3 "$(dirname "$0")/seqcheck.py" --all "$T/events.log" "$T/mix.log" "$T/udp.log" || fail "stored set differs from sent set"
[ "$(summary_value received)" = 220000 ] || fail "received $(summary_value received), want 220000"
[ "$(summary_value stored)" = 220000 ] || fail "stored $(summary_value stored)"
[ "$(summary_value dropped)" = 0 ] || fail "dropped $(summary_value dropped)"
pass "220,000 events (4 TCP connections + UDP) stored exactly once"
