#!/bin/bash
# t_health: /health answers 200 "ok" while the pipeline moves; with storage
# stalled (LOGSTREAMD_TEST_STALL_FILE) and the queue full it answers 503
# naming the stuck stage and the queue not draining, and the counts balance at that
# quiet moment too (UDP datagrams dropped for the full queue included:
# received = stored + dropped + in flight); when storage moves again it is
# back to 200 and everything balances with nothing in flight.  Then with
# [slo] store_p99 = 300ms, a 1.5 s stall makes /health report the broken
# SLO, until the window has passed.
. "$(dirname "$0")/lib.sh"
HPORT=$(free_port)
M="http://127.0.0.1:$HPORT"
CAPACITY=1024 write_conf "
[http]
listen = 127.0.0.1:$HPORT
[slo]
stuck_after = 2s"
touch "$T/stall"
LOGSTREAMD_TEST_STALL_FILE=$T/stall start_daemon
code() { curl -s -o "$T/h.txt" -w '%{http_code}' "$M/health"; }
sums() {
	curl -sf "$M/metrics" > "$T/m.txt" || fail "GET /metrics"
	awk '/^logstreamd_events_received_total/ { rx += $2 }
	    /^logstreamd_events_dropped_total/ { dr += $2 }
	    /^logstreamd_events_inflight/ { fl += $2 }
	    /^logstreamd_events_stored_total / { st = $2 }
	    /^logstreamd_events_generated_total / { gn = $2 }
	    END { print rx + 0, gn + 0, st + 0, dr + 0, fl + 0 }' "$T/m.txt"
}
[ "$(code)" = 200 ] && grep -qx ok "$T/h.txt" || fail "not healthy at start: $(cat "$T/h.txt")"
python3 "$GEN" 5000 > "$T/mix.log"
nc -N 127.0.0.1 $PORT < "$T/mix.log" & NC=$!; track $NC
python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(b"<13>Nov 23 20:14:14 udphost app: udp event seq=%d" % (3000000 + i), ("127.0.0.1", int(sys.argv[1])))
    if i % 100 == 99:
        time.sleep(0.01)
PY
for i in $(seq 300); do [ "$(code)" = 503 ] && break; sleep 0.1; done
[ "$(code)" = 503 ] || fail "still $(code) with storage stalled: $(cat "$T/h.txt")"
grep -q "pipeline stuck: stage writer failing" "$T/h.txt" || fail "503 without the stuck stage: $(cat "$T/h.txt")"
for i in $(seq 300); do grep -q "queue not draining" "$T/h.txt" && break; sleep 0.1; code >/dev/null; done
grep -Eq "queue not draining: [0-9]+ of 1024 queued, none stored for [0-9]+s" "$T/h.txt" || fail "503 without the stuck queue: $(cat "$T/h.txt")"
why=$(cat "$T/h.txt")
curl -sf "$M/metrics" | grep -qx "logstreamd_healthy 0" || fail "logstreamd_healthy not 0"
# A quiet moment: two scrapes alike.
prev=""; for i in $(seq 150); do cur=$(sums); [ "$cur" = "$prev" ] && break; prev=$cur; sleep 0.2; done
[ "$cur" = "$prev" ] || fail "never quiet while stalled"
read -r rx gn st dr fl <<< "$cur"
qf=$(awk -F' ' '$1 == "logstreamd_events_dropped_total{reason=\"queue_full\"}" { print $2 }' "$T/m.txt")
[ "$st" = 0 ] || fail "$st stored while stalled"
[ "$qf" -gt 0 ] || fail "no UDP dropped for the full queue"
[ "$fl" -gt 0 ] || fail "nothing in flight while stalled"
[ $((rx + gn)) = $((st + dr + fl)) ] || fail "stalled: received $rx + generated $gn != stored $st + dropped $dr + in flight $fl"
stalled="received $rx = stored $st + dropped $dr (queue_full $qf) + in flight $fl"
rm "$T/stall"
wait $NC || fail "TCP sender failed"
for i in $(seq 300); do [ "$(code)" = 200 ] && break; sleep 0.1; done
[ "$(code)" = 200 ] || fail "not back to 200: $(cat "$T/h.txt")"
prev=""; for i in $(seq 150); do cur=$(sums); [ "$cur" = "$prev" ] && [ "${cur##* }" = 0 ] && break; prev=$cur; sleep 0.2; done
read -r rx gn st dr fl <<< "$cur"
[ "$fl" = 0 ] || fail "$fl still in flight after recovery"
[ $((rx + gn)) = $((st + dr)) ] || fail "recovered: received $rx + generated $gn != stored $st + dropped $dr"
[ "$(grep -c '"transport":"tcp"' "$T/events.log")" = 5000 ] || fail "TCP events lost"
stop_daemon
[ "$(summary_value received)" = "$rx" ] || fail "summary received $(summary_value received) != $rx"

# The SLO.
CAPACITY=1024 write_conf "
[http]
listen = 127.0.0.1:$HPORT
[slo]
store_p99 = 300ms
window = 3s
stuck_after = 30s"
touch "$T/stall"
LOGSTREAMD_TEST_STALL_FILE=$T/stall start_daemon
[ "$(code)" = 200 ] || fail "SLO run: not healthy at start"
python3 "$GEN" 50 | nc -N 127.0.0.1 $PORT
sleep 1.5
rm "$T/stall"
# (the 503 lasts one window: test the answer polled, not a second one)
for i in $(seq 100); do c=$(code); [ "$c" = 503 ] && break; sleep 0.1; done
[ "$c" = 503 ] || fail "store latency over 1 s did not break store_p99 = 300ms"
grep -Eq "^slo: store latency p99 [0-9.]+s > store_p99 300.0ms over the last 3s$" "$T/h.txt" || fail "SLO reason: $(cat "$T/h.txt")"
slo=$(cat "$T/h.txt")
for i in $(seq 300); do [ "$(code)" = 200 ] && break; sleep 0.1; done
[ "$(code)" = 200 ] || fail "SLO still broken after the window: $(cat "$T/h.txt")"
stop_daemon
pass "stalled: 503 ($why); $stalled; 200 and balanced after; SLO: 503 ($slo), 200 once the window passed"
