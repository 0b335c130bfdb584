#!/bin/bash
# t_rules.sh: drop and rate-limit rules (issue 14, point 3).  [class debug]
# store = no: its events are dropped (reason rule) but an alert still sees
# them; [limit noisy] key = host, rate = 1000/s, burst = 2000 under a
# 20,000-event flood from one host: events over the rate are dropped
# (reason rate_limit) and each second with drops leaves one summary record
# ("rate limit noisy: N events from flood1 dropped", fields dropped/limit).
# Stored events + the summaries' dropped + rule drops == sent, exactly;
# /metrics (per limit too: passed, dropped, keys) and the stop summary agree.  A quiet host is not held back.
. "$(dirname "$0")/lib.sh"

HPORT=$(free_port)
write_conf "
[http]
listen = 127.0.0.1:$HPORT

[class debug]
severity = debug
store = no

[alert debug_seen]
class = debug
threshold = 100
window = 1m

[limit noisy]
key = host
rate = 1000/s
burst = 2000
max_keys = 100"
start_daemon

python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
with open(t + "/flood.log", "w") as f:
    for i in range(20000):
        f.write('{"host":"flood1","app":"a","seq":%d,"msg":"flood %d"}\n' % (i, i))
        if i % 100 == 0:
            f.write('{"host":"quiet1","app":"a","seq":%d,"msg":"quiet"}\n' % i)
    for i in range(100):   # host quiet2: debug, not stored, counted
        f.write('{"host":"quiet2","app":"a","level":"debug","msg":"debug %d"}\n' % i)
PY
SENT=$(wc -l < "$T/flood.log")
nc -N 127.0.0.1 "$PORT" < "$T/flood.log" || fail "nc"

# Stored flood events + summaries' dropped + 100 rule drops == sent.
balance() {
	jq -s '(map(select(.fields.limit == null)) | length) +
	    (map(select(.fields.limit == "noisy") | .fields.dropped) | add // 0) + 100' "$T/events.log"
}
for i in $(seq 200); do
	[ "$(balance)" = "$SENT" ] && break
	sleep 0.05
done
[ "$(balance)" = "$SENT" ] || fail "stored + summarized + rule = $(balance), sent $SENT"
curl -sf "http://127.0.0.1:$HPORT/metrics" > "$T/m.txt" || fail "GET /metrics"
metric() { sed -n "s/^$1 \([0-9]*\)\$/\1/p" "$T/m.txt"; }
summed=$(jq -s 'map(select(.fields.limit == "noisy") | .fields.dropped) | add' "$T/events.log")
nsum=$(jq -s 'map(select(.fields.limit == "noisy")) | length' "$T/events.log")
[ "$(metric 'logstreamd_events_dropped_total{reason="rate_limit"}')" = "$summed" ] ||
	fail "rate_limit metric $(metric 'logstreamd_events_dropped_total{reason="rate_limit"}') != summaries' $summed"
[ "$(metric 'logstreamd_events_dropped_total{reason="rule"}')" = 100 ] || fail "rule drops: $(grep rule "$T/m.txt")"
[ "$(metric logstreamd_events_stored_total)" = "$(wc -l < "$T/events.log")" ] || fail "stored metric"
[ "$(metric logstreamd_limit_summaries_total)" = "$nsum" ] || fail "summaries metric"
# Per limit (published by the stage thread within a few hundred ms).
for i in $(seq 100); do
	curl -sf "http://127.0.0.1:$HPORT/metrics" > "$T/m.txt" || fail "GET /metrics"
	[ "$(metric 'logstreamd_limit_dropped_total{limit="noisy"}')" = "$summed" ] && break
	sleep 0.05
done
[ "$(metric 'logstreamd_limit_dropped_total{limit="noisy"}')" = "$summed" ] || fail "per-limit dropped: $(grep limit_ "$T/m.txt")"
[ "$(metric 'logstreamd_limit_passed_total{limit="noisy"}')" = $((20200 - summed)) ] || fail "per-limit passed: $(grep limit_ "$T/m.txt")"
[ "$(metric 'logstreamd_limit_keys{limit="noisy"}')" = 2 ] || fail "keys tracked: $(grep limit_keys "$T/m.txt")"
[ "$summed" -ge 10000 ] || fail "only $summed dropped by a 1000/s limit"
# One summary per key and second, each a well-formed record.
[ "$(jq -r 'select(.fields.limit) | .time' "$T/events.log" | sort | uniq -d | wc -l)" = 0 ] ||
	fail "two summaries for one second"
jq -e 'select(.fields.limit) | select(.message | test("^rate limit noisy: [0-9]+ events from flood1 dropped$") | not)' \
    "$T/events.log" >/dev/null && fail "malformed summary: $(jq -c 'select(.fields.limit)' "$T/events.log" | head -2)"
[ "$(jq -s 'map(select(.host == "quiet1")) | length' "$T/events.log")" = 200 ] ||
	fail "quiet1 held back: $(jq -s 'map(select(.host == "quiet1")) | length' "$T/events.log") of 200 stored"
[ "$(jq -s 'map(select(.host == "quiet2")) | length' "$T/events.log")" = 0 ] || fail "store = no events stored"
wait_lines "$T/alerts.log" 1
grep -q "ALERT debug_seen class=debug" "$T/alerts.log" || fail "the alert did not see store = no events"
stop_daemon
[ "$(summary_value rate_limit)" = "$summed" ] || fail "stop summary rate_limit=$(summary_value rate_limit)"
[ "$(summary_value rule)" = 100 ] || fail "stop summary rule=$(summary_value rule)"
pass "sent $SENT: stored $(($(wc -l < "$T/events.log") - nsum)) + $summed in $nsum summaries + 100 store = no; metrics and stop summary agree; quiet host untouched; alert saw the dropped class"
