#!/bin/bash
# t_streams.sh: stream health over real TCP senders.  RFC 5424 events from
# logger (--sd-id meta --sd-param sequenceId=N, one connection each) and nc,
# JSON seq over nc, with a gap, a duplicate, a swap and an old timestamp:
# each offending event carries exactly its mark ("missing" for a gap) and
# no other event has one; a wrap-around (2147483647 -> 1) and a sender
# restart (a new connection back at 1) mark nothing; an alert on
# `stream = gap` fires once per gap; /stats lists the streams with their
# figures (events, marks by kind, missing, last seq), and at most 20.
. "$(dirname "$0")/lib.sh"

HPORT=$(free_port)
write_conf "
[http]
listen = 127.0.0.1:$HPORT

[streams]
max_delay = 30s

[class gap]
stream = gap

[alert gaps]
class = gap
group_by = host"
start_daemon
H=$(hostname)

lg() {	# lg SEQ: one RFC 5424 event from logger, its own TCP connection
	logger --rfc5424 --sd-id meta --sd-param "sequenceId=\"$1\"" -T \
	    -n 127.0.0.1 -P "$PORT" -t lgapp "logger event $1" || fail "logger"
}
# logger stream: 1 2 3 5(gap 1) 5(duplicate) 7(gap 1) 6(out of order) 8
for s in 1 2 3 5 5 7 6 8; do lg $s; done
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
	# nc RFC 5424 stream: an old timestamp (delayed), then a wrap-around
	printf '<14>1 2020-01-01T00:00:00Z %s ncapp - - [meta sequenceId="1"] old event\n' "$H"
	for s in 2147483646 2147483647 1 2; do
		printf '<14>1 %s %s wrapapp - - [meta sequenceId="%s"] wrap %s\n' "$now" "$H" $s $s
	done
	# JSON: 1 2 4(gap 1) 3(out of order) 3(duplicate) 10(gap 5) 11
	for s in 1 2 4 3 3 10 11; do
		printf '{"host":"j1","app":"japp","seq":%d,"msg":"json %d"}\n' $s $s
	done
	# JSON restart, first connection
	for s in 1 2 3 4 5; do
		printf '{"host":"j2","app":"japp","seq":%d,"msg":"before %d"}\n' $s $s
	done
} | nc -N 127.0.0.1 "$PORT" || fail "nc"
# ...and the sender restarts: a new connection back at 1.
for s in 1 2 3; do
	printf '{"host":"j2","app":"japp","seq":%d,"msg":"after %d"}\n' $s $s
done | nc -N 127.0.0.1 "$PORT" || fail "nc"
N=$((8 + 1 + 4 + 7 + 5 + 3))
wait_lines "$T/events.log" $N

marks=$(jq -c 'select(.stream) | [.message, .stream, .missing]' "$T/events.log" | sort)
want=$(sort <<'W'
["logger event 5","gap",1]
["logger event 5","duplicate",null]
["logger event 7","gap",1]
["logger event 6","out_of_order",null]
["old event","delayed",null]
["json 4","gap",1]
["json 3","out_of_order",null]
["json 3","duplicate",null]
["json 10","gap",5]
W
)
[ "$marks" = "$want" ] || fail "marks:
$marks
want:
$want"
[ "$(jq -c 'select(.stream)' "$T/events.log" | wc -l)" = 9 ] || fail "marked count"
[ "$(jq -r 'select(.message | test("^(wrap|before|after) ")) | .stream // "none"' "$T/events.log" | sort -u)" = none ] ||
	fail "wrap/restart marked: $(grep -E 'wrap|before|after' "$T/events.log" | grep stream)"

# One alert line per gap (group_by host: none suppressed).
wait_lines "$T/alerts.log" 4
[ "$(grep -c ' ALERT gaps class=gap ' "$T/alerts.log")" = 4 ] || fail "gap alerts: $(cat "$T/alerts.log")"

# /stats: the JSON stream j1/japp as the pipeline last published it.
want='{"source":"127.0.0.1","host":"j1","app":"japp","events":7,"marks":{"gap":2,"duplicate":1,"out_of_order":1,"delayed":0},"missing":6,"restarts":0,"last_seq":11}'
for i in $(seq 100); do
	got=$(curl -s "http://127.0.0.1:$HPORT/stats" | jq -c '.streams.recent[] | select(.host == "j1") | del(.last_us)')
	[ "$got" = "$want" ] && break
	sleep 0.1
done
[ "$got" = "$want" ] || fail "/stats stream j1: $got, want $want"
# 25 more streams: 20 listed (the newest first), all of them counted.
for s in $(seq 1 25); do
	printf '{"host":"many%d","app":"m","seq":1,"msg":"m"}\n' $s
done | nc -N 127.0.0.1 "$PORT" || fail "nc"
for i in $(seq 100); do
	st=$(curl -s "http://127.0.0.1:$HPORT/stats" | jq -c '[.streams.tracked, (.streams.recent | length), .streams.recent[0].host]')
	[ "$st" = '[30,20,"many25"]' ] && break
	sleep 0.1
done
[ "$st" = '[30,20,"many25"]' ] || fail "/stats streams [tracked, listed, newest]: $st"
stop_daemon
pass "/stats per-stream figures (j1: 7 events, 2 gaps, 6 missing; 20 of 30 listed); 9 marks exactly (4 gaps with missing, 2 duplicates, 2 out_of_order, 1 delayed; logger, nc, JSON); wrap and restart unmarked; 4 gap alerts"
