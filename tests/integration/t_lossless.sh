#!/bin/bash
# t_lossless: 200,000 mixed lines from tests/gen.py over 4 parallel nc
# connections, plus 20,000 over UDP at a pace the socket buffer holds; the
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
# UDP: datagrams of their own seq range, paced in bursts of 100.
python3 - "$PORT" "$T/udp.log" <<'PY'
import socket, sys, time
port, out = int(sys.argv[1]), open(sys.argv[2], "w")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(1000000, 1020000):
    line = "<13>Nov 23 20:14:14 udphost app: udp event seq=%d" % i
    s.sendto(line.encode(), ("127.0.0.1", port)); out.write(line + "\n")
    if i % 100 == 99:
        time.sleep(0.002)
PY
wait_lines "$T/events.log" 220000 60
stop_daemon
python3 "$(dirname "$0")/seqcheck.py" --all "$T/events.log" "$T/mix.log" "$T/udp.log" || fail "stored set differs from sent set"
[ "$(summary_value received)" = 220000 ] || fail "received $(summary_value received), want 220000"
[ "$(summary_value stored)" = 220000 ] || fail "stored $(summary_value stored)"
[ "$(summary_value dropped)" = 0 ] || fail "dropped $(summary_value dropped)"
pass "220,000 events (4 TCP connections + UDP) stored exactly once"
