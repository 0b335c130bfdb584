#!/bin/bash
# t_alerts.sh: an [alert] with threshold, window, group_by = host and
# suppress fires exactly when the threshold is reached, once per group, not
# on other classes, stays quiet while suppressed (counted in /metrics: 2
# suppressed firings for 10 events), and writes the alert line
# of the SPEC (text: checked by a regex; format = json: checked by jq).
# Senders: RFC 3164 sshd lines over nc.
. "$(dirname "$0")/lib.sh"

RULES='
[class auth_failure]
message = Failed password

[alert ssh_bruteforce]
class = auth_failure
threshold = 5
window = 60s
group_by = host
suppress = 10m'
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'

# sshd HOST FIRST LAST: "Failed password" lines FIRST..LAST from HOST, one
# connection; each message names its number so the alert's msg is known.
sshd() {
	local i ts
	ts=$(date '+%b %e %H:%M:%S')
	for i in $(seq "$2" "$3"); do
		printf '<38>%s %s sshd[%d]: Failed password for root from 203.0.113.9 port %d ssh2\n' \
		    "$ts" "$1" $((1000 + i)) $((40000 + i))
	done | nc -N 127.0.0.1 "$PORT" || fail "nc to $PORT"
}
alerts() { if [ -f "$T/alerts.log" ]; then wc -l < "$T/alerts.log"; else echo 0; fi; }
# first HOST: the received second of HOST's first stored event, as the
# alert's first="..." writes it.
first() {
	jq -r --arg h "$1" 'select(.host == $h) | .received' "$T/events.log" |
	    head -1 | sed 's/\.[0-9]*Z$/Z/'
}

HP=$(free_port)	# /metrics, for the suppressed count
write_conf "$RULES
[http]
listen = 127.0.0.1:$HP"
start_daemon

# 4 failures from web01 and one success: below the threshold, no alert.
sshd web01 1 4
printf '<38>%s web01 sshd[999]: Accepted password for alice from 192.0.2.1 port 50000 ssh2\n' \
    "$(date '+%b %e %H:%M:%S')" | nc -N 127.0.0.1 "$PORT"
wait_lines "$T/events.log" 5
[ "$(jq -sc 'map(.class) | sort' "$T/events.log")" = \
    '["auth_failure","auth_failure","auth_failure","auth_failure","other"]' ] ||
	fail "classes: $(jq -sc 'map(.class)' "$T/events.log")"
[ "$(alerts)" = 0 ] || fail "alert before the threshold: $(cat "$T/alerts.log")"

# The 5th: exactly one alert line.
sshd web01 5 5
wait_lines "$T/events.log" 6
wait_lines "$T/alerts.log" 1
[ "$(alerts)" = 1 ] || fail "want 1 alert line: $(cat "$T/alerts.log")"
re="^$ISO\.[0-9]{3}Z ALERT ssh_bruteforce class=auth_failure host=web01 count=5 window=60s first=\"$(first web01)\" msg=\"Failed password for root from 203\.0\.113\.9 port 40005 ssh2\"\$"
sed -n 1p "$T/alerts.log" | grep -Eq "$re" || fail "alert 1: $(sed -n 1p "$T/alerts.log") !~ $re"

# web02 is counted on its own: 4 give nothing, the 5th its own line.
sshd web02 1 4
wait_lines "$T/events.log" 10
[ "$(alerts)" = 1 ] || fail "web02 below threshold fired: $(cat "$T/alerts.log")"
sshd web02 5 5
wait_lines "$T/events.log" 11
wait_lines "$T/alerts.log" 2
[ "$(alerts)" = 2 ] || fail "want 2 alert lines: $(cat "$T/alerts.log")"
re="^$ISO\.[0-9]{3}Z ALERT ssh_bruteforce class=auth_failure host=web02 count=5 window=60s first=\"$(first web02)\" msg=\"Failed password for root from 203\.0\.113\.9 port 40005 ssh2\"\$"
sed -n 2p "$T/alerts.log" | grep -Eq "$re" || fail "alert 2: $(sed -n 2p "$T/alerts.log") !~ $re"

# 10 more from web01 within its 10m suppression: stored, but no new line.
sshd web01 6 15
wait_lines "$T/events.log" 21
[ "$(alerts)" = 2 ] || fail "suppressed group fired: $(cat "$T/alerts.log")"
[ "$(jq -s 'map(select(.host == "web01" and .class == "auth_failure")) | length' "$T/events.log")" = 15 ] ||
	fail "want 15 stored web01 failures"
# 10 events inside suppress at threshold 5: the threshold is reached twice,
# and each is counted as a suppressed alert (SEC semantics, README).
metric() {
	curl -s "http://127.0.0.1:$HP/metrics" | sed -n "s/^$1 \([0-9.e+]*\)\$/\1/p"
}
for i in $(seq 50); do
	[ "$(metric 'logstreamd_alerts_suppressed_total{alert="ssh_bruteforce"}')" = 2 ] && break
	sleep 0.1
done
[ "$(metric 'logstreamd_alerts_suppressed_total{alert="ssh_bruteforce"}')" = 2 ] ||
	fail "suppressed: $(curl -s "http://127.0.0.1:$HP/metrics" | grep alerts_)"
[ "$(metric 'logstreamd_alerts_total{alert="ssh_bruteforce"}')" = 2 ] ||
	fail "alerts_total: $(curl -s "http://127.0.0.1:$HP/metrics" | grep alerts_)"
stop_daemon
[ "$(summary_value received)" = 21 ] || fail "summary received=$(summary_value received)"
[ "$(summary_value stored)" = 21 ] || fail "summary stored=$(summary_value stored)"
[ "$(alerts)" = 2 ] || fail "alert at stop: $(cat "$T/alerts.log")"

# The same rule with [alerts] format = json: one object, typed fields.
rm -f "$T/events.log" "$T/alerts.log"
unset PORT
write_conf "format = json
$RULES"
start_daemon
sshd web03 1 5
wait_lines "$T/events.log" 5
wait_lines "$T/alerts.log" 1
[ "$(alerts)" = 1 ] || fail "json: want 1 alert line: $(cat "$T/alerts.log")"
jq -e --arg first "$(first web03)" --arg iso "^$ISO\\.[0-9]{3}Z\$" '
    del(.time) == {alert: "ssh_bruteforce", class: "auth_failure",
	host: "web03", count: 5, window: "60s", first: $first,
	msg: "Failed password for root from 203.0.113.9 port 40005 ssh2"}
    and (.time | test($iso))' "$T/alerts.log" >/dev/null ||
	fail "json alert: $(cat "$T/alerts.log")"
stop_daemon
pass "threshold 5 per host (web01, web02), other classes not counted, suppression, text and json lines"
