#!/bin/bash
# t_backpressure: with storage stalled (LOGSTREAMD_TEST_STALL_FILE, the
# test-only knob that makes the writer act as if the disk hung), a TCP sender
# of 200,000 lines (~22 MB, twice what socket buffers hold) is throttled: it
# cannot finish, the queue never passes its capacity and the daemon's memory
# stays flat.  UDP datagrams that find the queue full are dropped and counted.
# Once storage moves again every TCP event arrives, exactly once, and
# UDP stored + dropped = sent.
. "$(dirname "$0")/lib.sh"
HPORT=$(free_port)
CAPACITY=1024 write_conf "
# this test counts the lines of events.log: no size rotation under it
[storage]
rotate_size = 0
[http]
listen = 127.0.0.1:$HPORT"
metric() {
	curl -s "127.0.0.1:$HPORT/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
touch "$T/stall"
export LOGSTREAMD_TEST_STALL_FILE=$T/stall
start_daemon
unset LOGSTREAMD_TEST_STALL_FILE
python3 "$GEN" 200000 > "$T/mix.log"
nc -N 127.0.0.1 $PORT < "$T/mix.log" & NC=$!; track $NC
# Until the sender is held: the queue over half full and no longer
# growing (not a fixed wait: a busy machine fills it later).
prev=-1
for i in $(seq 300); do
	d=$(metric logstreamd_queue_depth)
	[ "${d:-0}" -gt 512 ] && [ "$d" = "$prev" ] && break
	prev=${d:-0}
	sleep 0.2
done
[ "${d:-0}" -gt 512 ] || fail "the queue never filled while storage was stalled (depth ${d:-none})"
rss1=$(awk '/VmRSS/{print $2}' /proc/$DPID/status)
python3 - "$PORT" "$T/udp.log" <<'PY'
import socket, sys, time
port, out = int(sys.argv[1]), open(sys.argv[2], "w")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000000, 2002000):
    line = "<13>Nov 23 20:14:14 udphost app: udp event seq=%d" % i
    s.sendto(line.encode(), ("127.0.0.1", port)); out.write(line + "\n")
    if i % 50 == 49:
        time.sleep(0.001)
PY
# Until the daemon has seen every datagram (read, or dropped by the kernel).
for i in $(seq 200); do
	[ $(( $(metric 'logstreamd_events_received_total{transport="udp"}') + \
	    $(metric 'logstreamd_events_dropped_total{reason="kernel"}') )) -ge 2000 ] && break
	sleep 0.05
done
rss2=$(awk '/VmRSS/{print $2}' /proc/$DPID/status)
kill -0 $NC 2>/dev/null || fail "sender finished while storage was stalled: no backpressure"
[ "$(wc -l < "$T/events.log")" = 0 ] || fail "events stored while stalled"
[ "$rss2" -lt 65536 ] || fail "RSS ${rss2} kB while stalled"
[ $((rss2 - rss1)) -lt 8192 ] || fail "RSS grew from $rss1 to $rss2 kB while stalled"
rm "$T/stall"
wait $NC || fail "sender failed"
wait_lines "$T/events.log" 200000 120
stop_daemon
python3 - "$T/events.log" "$T/tcp.stored" "$T/udp.stored" <<'PY'
import json, sys
with open(sys.argv[2], "w") as t, open(sys.argv[3], "w") as u:
    for line in open(sys.argv[1], "rb"):
        (u if json.loads(line)["transport"] == "udp" else t).write(line.decode())
PY
python3 "$(dirname "$0")/seqcheck.py" --all "$T/tcp.stored" "$T/mix.log" || fail "TCP events lost or repeated"
udp_stored=$(wc -l < "$T/udp.stored")
qf=$(summary_value queue_full); kd=$(summary_value kernel)
[ "$qf" -gt 0 ] || fail "no UDP drop counted while the queue was full"
[ $((udp_stored + qf + kd)) = 2000 ] || fail "UDP: stored $udp_stored + dropped $qf + kernel $kd != 2000 sent"
peak=$(summary_value queue_peak); cap=$(summary_value capacity)
[ "$peak" -le "$cap" ] || fail "queue peak $peak above capacity $cap"
[ "$peak" -gt $((cap / 2)) ] || fail "queue peak $peak: queue never filled"
pass "sender held while stalled (RSS $rss1 -> $rss2 kB), 200,000 TCP events after, UDP $udp_stored stored + $qf dropped (queue full) + $kd (kernel), queue peak $peak/$cap"
