#!/bin/bash
# t_metrics: /metrics during and after a known load (tests/gen.py lines
# over TCP, paced, plus logfmt datagrams over UDP) agrees with what was
# sent: received per transport, stored, per format, per class, alerts (and
# the alert lines in the file), stream marks against the stored events; the
# text passes a strict exposition check (promcheck.py) every time; counts
# balance at rest (received + generated = stored + dropped + in flight);
# a reload carries class totals over; /stats says the same in JSON with the sender as top source; GET / is a
# self-contained page that polls /stats; sd_notify STATUS= (to a socket
# of our own in NOTIFY_SOCKET) carries the one-line summary every second.
. "$(dirname "$0")/lib.sh"
HPORT=$(free_port)
N=20000; U=500
write_conf "
[class auth_failure]
message = Failed password
[class db_deadlock]
message = deadlock detected
[class oom]
message = Out of memory
[alert brute]
class = auth_failure
[http]
listen = 127.0.0.1:$HPORT"
python3 - "$T/notify.sock" "$T/notify.log" <<'PY' & NS=$!; track $NS
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(4096).decode(errors="replace") + "\n"); out.flush()
PY
for i in $(seq 50); do [ -S "$T/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$T/notify.sock start_daemon
M="http://127.0.0.1:$HPORT"
python3 "$GEN" $N > "$T/mix.log"
# value NAME [LABELS]: a sample from the last scrape.
value() {
	local k=$1
	[ -n "${2:-}" ] && k="$1{$2}"
	awk -v k="$k" '$1 == k { print $2 }' "$T/m.txt"
}
scrape() {
	curl -sf "$M/metrics" > "$T/m.txt" || fail "GET /metrics failed"
	python3 "$(dirname "$0")/promcheck.py" "$T/m.txt" >/dev/null || fail "exposition format ($1)"
}
# During: a paced TCP sender, scraped as it goes.
python3 - "$PORT" "$T/mix.log" <<'PY' & SND=$!; track $SND
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
lines = open(sys.argv[2], "rb").readlines()
for i in range(0, len(lines), 500):
    s.sendall(b"".join(lines[i:i + 500])); time.sleep(0.05)
s.close()
PY
# Scraped until the sender is done (at least 8 times; a busy machine sends
# slower, and is scraped as long as it sends).
prev=0; during=0; scrapes=0
for i in $(seq 200); do
	sleep 0.25
	scrape "during load"; scrapes=$((scrapes + 1))
	r=$(value logstreamd_events_received_total 'transport="tcp"')
	[ "$r" -ge "$prev" ] || fail "received went back: $prev -> $r"
	[ "$r" -gt 0 ] && [ "$r" -lt $N ] && during=$((during + 1))
	prev=$r
	[ $i -ge 8 ] && ! kill -0 $SND 2>/dev/null && break
done
[ $during -gt 0 ] || fail "never scraped while the load was running"
wait $SND || fail "TCP sender failed"
python3 - "$PORT" "$T/udp.log" $U <<'PY'
import socket, sys, time
port, out, u = int(sys.argv[1]), open(sys.argv[2], "w"), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(u):
    line = "host=udphost app=probe msg=\"Failed password for root\" seq=%d" % (900000 + i)
    s.sendto(line.encode(), ("127.0.0.1", port)); out.write(line + "\n")
    if i % 50 == 49:
        time.sleep(0.002)
PY
wait_lines "$T/events.log" $((N + U)) 60
# What was sent, counted independently of the daemon.
auth=$(cat "$T/mix.log" "$T/udp.log" | grep -c "Failed password")
dl=$(grep -c "deadlock detected" "$T/mix.log")
oom=$(grep -c "Out of memory" "$T/mix.log")
# The class and alert figures are published on the stage thread's tick:
# until they have caught up with the store (not a fixed wait for a tick).
for i in $(seq 300); do
	scrape "after load"
	[ "$(awk '/^logstreamd_events_classified_total/ { s += $2 } END { print s }' "$T/m.txt")" = $((N + U)) ] &&
	    [ "$(value logstreamd_alerts_total 'alert="brute"')" = "$auth" ] &&
	    [ "$(wc -l < "$T/alerts.log")" = "$auth" ] && break
	sleep 0.1
done
scrapes=$((scrapes + i))
[ "$(value logstreamd_events_received_total 'transport="tcp"')" = $N ] || fail "received tcp $(value logstreamd_events_received_total 'transport="tcp"') != $N"
[ "$(value logstreamd_events_received_total 'transport="udp"')" = $U ] || fail "received udp != $U"
[ "$(value logstreamd_events_stored_total)" = $((N + U)) ] || fail "stored $(value logstreamd_events_stored_total) != $((N + U))"
# gen.py: line i is rfc3164 for i%10 < 5, rfc5424 < 8, json 8, plain 9.
[ "$(value logstreamd_parse_format_total 'format="rfc3164"')" = $((N / 2)) ] || fail "rfc3164 count"
[ "$(value logstreamd_parse_format_total 'format="rfc5424"')" = $((N * 3 / 10)) ] || fail "rfc5424 count"
[ "$(value logstreamd_parse_format_total 'format="json"')" = $((N / 10)) ] || fail "json count"
[ "$(value logstreamd_parse_format_total 'format="plain"')" = $((N / 10)) ] || fail "plain count"
[ "$(value logstreamd_parse_format_total 'format="logfmt"')" = $U ] || fail "logfmt count"
[ "$(value logstreamd_events_classified_total 'class="auth_failure"')" = "$auth" ] || fail "class auth_failure $(value logstreamd_events_classified_total 'class="auth_failure"') != $auth sent"
[ "$(value logstreamd_events_classified_total 'class="db_deadlock"')" = "$dl" ] || fail "class db_deadlock != $dl"
[ "$(value logstreamd_events_classified_total 'class="oom"')" = "$oom" ] || fail "class oom != $oom"
[ "$(value logstreamd_events_classified_total 'class="other"')" = $((N + U - auth - dl - oom)) ] || fail "class other"
[ "$(value logstreamd_alerts_total 'alert="brute"')" = "$auth" ] || fail "alerts brute $(value logstreamd_alerts_total 'alert="brute"') != $auth"
[ "$(wc -l < "$T/alerts.log")" = "$auth" ] || fail "alerts.log has $(wc -l < "$T/alerts.log") lines, want $auth"
for k in gap duplicate out_of_order delayed; do
	want=$(grep -c "\"stream\":\"$k\"" "$T/events.log")
	[ "$(value logstreamd_stream_events_total "kind=\"$k\"")" = "$want" ] || fail "stream $k: $(value logstreamd_stream_events_total "kind=\"$k\"") != $want stored"
done
[ "$(value logstreamd_store_latency_seconds_count)" = $((N + U)) ] || fail "store latency count != stored"
[ "$(value logstreamd_alert_latency_seconds_count)" = "$auth" ] || fail "alert latency count != alerts"
[ "$(value logstreamd_connections_accepted_total)" -ge 1 ] || fail "accepted"
[ "$(value process_open_fds)" -gt 0 ] && [ "$(value process_resident_memory_bytes)" -gt 0 ] || fail "process figures"
# The balance, at rest.
rx=$(awk '/^logstreamd_events_received_total/ { s += $2 } END { print s }' "$T/m.txt")
dr=$(awk '/^logstreamd_events_dropped_total/ { s += $2 } END { print s }' "$T/m.txt")
fl=$(awk '/^logstreamd_events_inflight/ { s += $2 } END { print s }' "$T/m.txt")
st=$(value logstreamd_events_stored_total); gn=$(value logstreamd_events_generated_total)
[ $((rx + gn)) = $((st + dr + fl)) ] || fail "unbalanced: received $rx + generated $gn != stored $st + dropped $dr + in flight $fl"
[ "$fl" = 0 ] || fail "$fl still in flight at rest"
# /stats: the same figures, top source, balanced.
curl -sf "$M/stats" > "$T/s.json" || fail "GET /stats"
jq -e ".events.received_total == $((N + U)) and .events.stored == $((N + U))
    and .events.balanced and .stages.alerts.brute.fired == $auth
    and .sources[0].source == \"127.0.0.1\" and .sources[0].events == $((N + U))
    and .misc.formats.logfmt == $U and .health.ok" "$T/s.json" >/dev/null || fail "/stats: $(head -c 600 "$T/s.json")"
# GET /: self-contained, polls /stats.
curl -sf -D "$T/h.txt" "$M/" > "$T/page.html" || fail "GET /"
grep -qi '^content-type: text/html' "$T/h.txt" || fail "page content type"
grep -q 'fetch("/stats"' "$T/page.html" || fail "page does not fetch /stats"
grep -q '<canvas' "$T/page.html" || fail "page has no charts"
! grep -Eqi '(https?:)?//[a-z0-9]|src=|href=|@import' "$T/page.html" || fail "page refers to something outside itself"
grep -qi "^content-security-policy: default-src 'none'" "$T/h.txt" || fail "page has no CSP"
# A reload swaps the stages: the class totals carry over by name.
kill -HUP $DPID
wait_grep "$T/daemon.err" "reloaded"
echo "<13>Nov 23 20:14:14 h sshd: Failed password for root seq=999999" | nc -N 127.0.0.1 $PORT
wait_lines "$T/events.log" $((N + U + 1)) 10
# Until the tick has published the new event's class and alert, and a
# STATUS= (every second) carries the new alert count.
for i in $(seq 300); do
	scrape "after reload"
	[ "$(value logstreamd_events_classified_total 'class="auth_failure"')" = $((auth + 1)) ] &&
	    [ "$(value logstreamd_alerts_total 'alert="brute"')" = $((auth + 1)) ] &&
	    grep -q "alerts $((auth + 1)), last alert" "$T/notify.log" && break
	sleep 0.1
done
scrapes=$((scrapes + i))
[ "$(value logstreamd_events_classified_total 'class="auth_failure"')" = $((auth + 1)) ] || fail "class total after reload: $(value logstreamd_events_classified_total 'class="auth_failure"'), want $((auth + 1))"
[ "$(value logstreamd_alerts_total 'alert="brute"')" = $((auth + 1)) ] || fail "alert total after reload"
grep -Eq "^STATUS=rx [0-9.]+k?/s, stored [0-9.]+k?/s, queue [0-9]+%, alerts $((auth + 1)), last alert brute [0-9:]{8}$" "$T/notify.log" || fail "no STATUS= summary: $(grep STATUS= "$T/notify.log" | tail -2)"
stop_daemon
[ "$(summary_value stored)" = $((N + U + 1)) ] || fail "summary stored"
pass "$N TCP (scraped $during times during) + $U UDP: received, stored, 5 formats, 4 classes, $auth alerts, stream marks, latency counts, balance, /stats, page, STATUS=; exposition strict-checked $scrapes times"
