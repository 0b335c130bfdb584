#!/bin/bash
# t_faults_time.sh: clock faults, on the real daemon.
# 1. time = event: one event dated 2099, then a burst of 3 at the right
#    time from the same host still fires (the 2099 event once moved the
#    group's watermark to 2099 and made every later event "too late"), and
#    logstreamd_alert_future_events_total counts it.
# 2. The wall clock steps forward an hour: no absence alert fires early
#    (for = 2s; it fired at once), and it still fires 2 s after the event.
# 3. The wall clock steps back two hours while the stage thread waits: the
#    sync = 1s fsync, an absence alert and an exec_timeout kill still come
#    within seconds (each waited for the wall clock to catch up: two hours).
# The step is mocked, the only thing mocked: build/clockshift.so (an
# LD_PRELOAD shim, tests/tools/clockshift.c) adds the offset in $T/shift to
# CLOCK_REALTIME, gettimeofday and time, and holds pthread_cond_timedwait's
# wall-clock deadlines to it; CLOCK_MONOTONIC is untouched.  Cases report
# all at the end, so a run against an old binary shows every one failing.
. "$(dirname "$0")/lib.sh"

SHIM=$TOP/build/clockshift.so
[ -f "$SHIM" ] || fail "build $SHIM first (make build/clockshift.so)"
HPORT=$(free_port)
cat > "$T/hang.sh" <<S
#!/bin/sh
echo \$\$ > "$T/hang.pid.tmp"; mv "$T/hang.pid.tmp" "$T/hang.pid"
exec sleep 300
S
chmod +x "$T/hang.sh"
write_conf "
[class err]
message = ^error

[alert burst]
class = err
threshold = 3
window = 10s
time = event
allowed_lateness = 30s
group_by = host

[class beat]
message = ^heartbeat

[alert host_silent]
class = beat
type = absence
for = 2s
group_by = host

[class hang]
message = ^HANG

[alert hang]
class = hang
exec = $T/hang.sh
exec_timeout = 3s

[http]
listen = 127.0.0.1:$HPORT"
echo 0 > "$T/shift"
CLOCKSHIFT_FILE=$T/shift LD_PRELOAD=$SHIM start_daemon
errs=""
bad() { echo "  case $*" >&2; errs="$errs|$*"; }
metric() {
	curl -sf "http://127.0.0.1:$HPORT/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
# send HOST MSG [RFC 3339 time]: one RFC 5424 event over TCP.
send() {
	printf '<14>1 %s %s app - - - %s\n' "${3:-$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)}" \
	    "$1" "$2" | nc -N 127.0.0.1 "$PORT"
}
# until_ok SECONDS CMD...: poll CMD every 50 ms; 0 once it succeeds.
until_ok() {
	local i
	for i in $(seq $(( $1 * 20 ))); do
		"${@:2}" && return 0
		sleep 0.05
	done
	return 1
}
stored() { [ "$(wc -l < "$T/events.log")" -ge "$1" ]; }
alerted() { grep -q "$1" "$T/alerts.log" 2>/dev/null; }
synced_past() { [ "$(metric logstreamd_storage_syncs_total)" -gt "$1" ]; }
# gone PID: ended and reaped (a zombie still answers kill -0).
gone() { [ -n "$1" ] && ! kill -0 "$1" 2>/dev/null; }

# 1. The 2099 event, then a burst at the right time.
send web01 "error from a broken clock" 2099-01-01T00:00:00Z
send web01 "error 1"; send web01 "error 2"; send web01 "error 3"
wait_lines "$T/events.log" 4 10
until_ok 5 alerted "ALERT burst .*host=web01 count=3 " ||
	bad "1: no alert for a burst after an event dated 2099"
[ "$(metric logstreamd_alert_future_events_total)" = 1 ] ||
	bad "1: logstreamd_alert_future_events_total = '$(metric logstreamd_alert_future_events_total)', want 1"

# 2. Forward an hour right after web02's heartbeat: nothing fires at once.
send web02 "heartbeat"
wait_lines "$T/events.log" 5 10
echo 3600 > "$T/shift"
sleep 1		# for = 2s: any web02 absence line by now came early
alerted "host_silent .*host=web02" &&
	bad "2: absence fired early after a forward step: $(grep host_silent "$T/alerts.log")"
until_ok 10 alerted "host_silent .*host=web02" ||
	bad "2: no absence alert for web02 at all"

# 3. Back two hours while the stage thread waits on its timers: hang.sh
# runs (killed 3 s after it starts), web01's heartbeat is written and its
# fsync due in 1 s (the earlier writes' fsync done first, so this is the
# only one pending).
syncs=$(metric logstreamd_storage_syncs_total)
send web01 "HANG"
wait_lines "$T/events.log" 6 10
until_ok 10 test -s "$T/hang.pid" || bad "3: hang.sh did not start"
until_ok 5 synced_past "$syncs"
send web01 "heartbeat"
wait_lines "$T/events.log" 7 10
syncs=$(metric logstreamd_storage_syncs_total)
echo -3600 > "$T/shift"
until_ok 10 synced_past "$syncs" ||
	bad "3: no fsync in 10 s after the clock stepped back (sync = 1s)"
until_ok 10 alerted "host_silent .*host=web01" ||
	bad "3: no absence alert for web01 in 10 s after the clock stepped back (for = 2s)"
until_ok 10 gone "$(cat "$T/hang.pid" 2>/dev/null)" ||
	bad "3: hang.sh not killed in 10 s after the clock stepped back (exec_timeout = 3s)"
[ "$(metric logstreamd_alert_exec_timeouts_total)" = 1 ] ||
	bad "3: logstreamd_alert_exec_timeouts_total = '$(metric logstreamd_alert_exec_timeouts_total)', want 1"

[ -z "$errs" ] || fail "${errs#|}"
stop_daemon
pass "an event dated 2099 silences nothing; absence, fsync and exec_timeout keep time across wall-clock steps of +1 h and -2 h"
