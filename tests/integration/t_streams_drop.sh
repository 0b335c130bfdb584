#!/bin/bash
# t_streams_drop.sh: [streams] drop_duplicates = yes stores a duplicate
# once and counts the drop (duplicate=N in the stop summary); with
# collapse_repeats = 2s identical messages of one stream are stored once,
# then one "last message repeated N times" record ("repeated":N) before the
# next different event, or when the window ends; counted as repeat=N.
. "$(dirname "$0")/lib.sh"

write_conf '
[streams]
drop_duplicates = yes
collapse_repeats = 2s'
start_daemon

{
	for s in 1 2 2 3 1 4; do
		printf '{"host":"d1","app":"a","seq":%d,"msg":"event %d"}\n' $s $s
	done
	for i in 1 2 3 4 5; do
		printf '{"host":"r1","app":"a","msg":"disk full"}\n'
	done
	printf '{"host":"r1","app":"a","msg":"disk ok"}\n'
	for i in 1 2 3; do
		printf '{"host":"r2","app":"a","msg":"fan failure"}\n'
	done
} | nc -N 127.0.0.1 "$PORT" || fail "nc"
# d1: 1 2 3 4 stored (a 2 and a 1 dropped); r1: disk full, summary, disk
# ok; r2: fan failure now, its summary when the 2 s window ends.
wait_lines "$T/events.log" 9
got=$(jq -c '[.host, .message, .fields.repeated, .stream]' "$T/events.log")
want='["d1","event 1",null,null]
["d1","event 2",null,null]
["d1","event 3",null,null]
["d1","event 4",null,null]
["r1","disk full",null,null]
["r1","last message repeated 4 times",4,null]
["r1","disk ok",null,null]
["r2","fan failure",null,null]
["r2","last message repeated 2 times",2,null]'
[ "$got" = "$want" ] || fail "stored:
$got
want:
$want"
stop_daemon
[ "$(summary_value duplicate)" = 2 ] || fail "duplicate=$(summary_value duplicate)"
[ "$(summary_value repeat)" = 6 ] || fail "repeat=$(summary_value repeat)"
pass "2 duplicates dropped and counted; 4+2 repeats collapsed into 2 summary records, in place and at window end"
