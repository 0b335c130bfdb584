#!/bin/bash
# t_absence.sh: an [alert] with type = absence, for = 2s, group_by = host:
# while web01 and web02 send heartbeats nothing fires; when web01 stops,
# exactly one line "host web01 silent since <its last event>" appears, not
# before `for` has passed (by its own time stamp) and within a generous
# bound (4 x for: a busy machine runs the once-a-second check late; the
# figure is printed), and none for web02, which keeps sending.
. "$(dirname "$0")/lib.sh"

write_conf '
[class beat]
message = heartbeat

[alert host_silent]
class = beat
type = absence
for = 2s
group_by = host'
start_daemon

beat() { printf '<14>%s %s app: heartbeat\n' "$(date '+%b %e %H:%M:%S')" "$1" | nc -N 127.0.0.1 "$PORT"; }
for i in $(seq 8); do beat web01; beat web02; sleep 0.3; done
[ -s "$T/alerts.log" ] && fail "alert while sending: $(cat "$T/alerts.log")"
beat web01	# its last
# web02 goes on; web01 is silent from now.
# At least 20 beats (4 s: web02 is seen not to fire well past `for`),
# and on until web01's line is there (at most 20 s).
fired=""
for i in $(seq 100); do
	beat web02
	sleep 0.2
	if [ -z "$fired" ] && [ -s "$T/alerts.log" ]; then fired=$(date +%s.%N); fi
	[ -n "$fired" ] && [ "$i" -ge 20 ] && break
done
# What fired while web02 was still sending (it may fall silent from here).
cp "$T/alerts.log" "$T/snap" 2>/dev/null || :
[ -n "$fired" ] || fail "no absence alert"
# From web01's last event (received) to the alert line's own time stamp.
late=$(python3 -c '
import sys, datetime as d
f = lambda s: d.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
print("%.3f" % (f(sys.argv[2]) - f(sys.argv[1])))' \
    "$(jq -r 'select(.host == "web01") | .received' "$T/events.log" | tail -1)" \
    "$(cut -d' ' -f1 "$T/snap")")
python3 -c "import sys; sys.exit(not 2.0 <= $late <= 8.0)" ||
	fail "fired $late s after the last web01 event (for = 2s: not before 2 s, not after 8 s)"
[ "$(wc -l < "$T/snap")" = 1 ] || fail "want 1 line: $(cat "$T/snap")"
last=$(jq -r 'select(.host == "web01") | .received' "$T/events.log" | tail -1 | sed 's/\.[0-9]*Z$/Z/')
grep -Eq "^[0-9T:.-]+Z ALERT host_silent class=beat host=web01 count=0 window=2s first=\"$last\" msg=\"host web01 silent since $last\"\$" "$T/snap" ||
	fail "line: $(cat "$T/snap") (last web01 at $last)"
stop_daemon
pass "one absence line for web01 ${late} s after its last event (for = 2s), none while sending, none for web02"
