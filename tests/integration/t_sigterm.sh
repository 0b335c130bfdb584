#!/bin/bash
# t_sigterm: SIGTERM in the middle of a flood from 4 connections.  The
# daemon exits 0; every stored line is whole JSON; each connection's stored
# events are exactly the first k it sent (nothing read is lost, nothing is
# repeated); and the stop summary balances: received = stored, none dropped.
. "$(dirname "$0")/lib.sh"
write_conf "
# this test counts the lines of events.log: no size rotation under it
[storage]
rotate_size = 0"
start_daemon
# 500,000 lines: SIGTERM comes at 100,000 stored, far from the end.
python3 "$GEN" 500000 > "$T/mix.log"
split -n l/4 -d "$T/mix.log" "$T/part."
for f in "$T"/part.0*; do nc 127.0.0.1 $PORT < "$f" >/dev/null 2>&1 & track $!; done
for i in $(seq 600); do
	[ "$(wc -l < "$T/events.log" 2>/dev/null || echo 0)" -ge 100000 ] && break
	sleep 0.05
done
kill -TERM $DPID
wait $DPID
rc=$?
[ $rc = 0 ] || fail "exit code $rc after SIGTERM"
n=$(wc -l < "$T/events.log")
[ "$n" -lt 500000 ] || fail "flood finished before SIGTERM: test proves nothing"
python3 "$(dirname "$0")/seqcheck.py" --prefix "$T/events.log" "$T"/part.0* || fail "lost or repeated events"
[ "$(summary_value received)" = "$n" ] || fail "received $(summary_value received) but stored $n"
[ "$(summary_value stored)" = "$n" ] || fail "stored count $(summary_value stored) != $n lines"
[ "$(summary_value dropped)" = 0 ] || fail "dropped $(summary_value dropped)"
pass "SIGTERM mid-flood: exit 0, $n events stored = received, each connection a prefix"
