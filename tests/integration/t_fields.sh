#!/bin/bash
# t_fields.sh: fields from text (issue 14, point 1), on the shipped config.
# sshd lines from five reporting hosts (logger --rfc3164 from this host, JSON
# over nc from four more) with one attacker address raise exactly one
# ssh_bruteforce alert, naming that address (ip=...); four tries from
# another address raise none; every stored sshd event carries fields.ip and
# fields.user from the class's named groups, and a field the JSON parser
# found keeps its value.  -t names a group_by capture no regex defines.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
HPORT=$(free_port)
sed -e "s/^\(tcp\|udp\) = 127\.0\.0\.1:5514 /\1 = 127.0.0.1:$PORT /" \
    -e "s|^path = \.\./var/\([a-z]*\.log\) |path = $T/\1 |" \
    -e "s/^listen = 127\.0\.0\.1:9514$/listen = 127.0.0.1:$HPORT/" \
    "$TOP/conf/logstreamd.conf" > "$T/test.conf"
grep -q "^group_by = field.ip" "$T/test.conf" || fail "shipped config does not count per address"

# -t: a capture no regex of the class defines, with file:line.
sed 's/^group_by = field\.ip$/group_by = field.addr/' "$T/test.conf" > "$T/typo.conf"
line=$(grep -n '^group_by = field.addr' "$T/typo.conf" | cut -d: -f1)
out=$("$BIN" -t -c "$T/typo.conf" 2>&1) && fail "-t accepted group_by = field.addr"
printf '%s\n' "$out" | grep -q "typo.conf:$line: \[alert ssh_bruteforce\] group_by = field.addr: no regex" ||
	fail "-t did not name typo.conf:$line: $out"

start_daemon
A=203.0.113.9		# the attacker: two tries on each of five hosts
B=198.51.100.4		# four tries in all: under the threshold
for round in 1 2; do
	logger --rfc3164 -n 127.0.0.1 -P "$PORT" -T -t sshd --id=$((4000 + round)) -p auth.info \
	    "Failed password for invalid user admin$round from $A port 4242 ssh2" || fail "logger failed"
	for h in 2 3 4 5; do
		printf '{"host":"srv%d","app":"sshd","message":"Failed password for root from %s port %d ssh2"}\n' \
		    "$h" "$A" "$((5000 + round * 10 + h))"
	done | nc -N 127.0.0.1 "$PORT" || fail "nc to $PORT"
done
{
	printf '{"host":"srv2","app":"sshd","user":"parsed","message":"Invalid user guest from %s port 1"}\n' "$B"
	for h in 3 4 5; do
		printf '{"host":"srv%d","app":"sshd","message":"Failed password for guest from %s port 2 ssh2"}\n' "$h" "$B"
	done
} | nc -N 127.0.0.1 "$PORT" || fail "nc to $PORT"
wait_lines "$T/events.log" 14
wait_lines "$T/alerts.log" 1
stop_daemon

[ "$(wc -l < "$T/alerts.log")" = 1 ] || fail "want exactly one alert: $(cat "$T/alerts.log")"
grep -q " ALERT ssh_bruteforce class=ssh_auth_failure host=[^ ]* ip=$A count=5 window=10m " "$T/alerts.log" ||
	fail "alert does not name $A: $(cat "$T/alerts.log")"
diff -u - <(jq -r '[.class, .fields.ip // "-", .fields.user // "-"] | join(" ")' "$T/events.log" | LC_ALL=C sort | uniq -c) <<EOF ||
      3 ssh_auth_failure $B guest
      1 ssh_auth_failure $B parsed
      1 ssh_auth_failure $A admin1
      1 ssh_auth_failure $A admin2
      8 ssh_auth_failure $A root
EOF
	fail "stored fields differ (- want, + got)"
[ "$(jq -r 'select(.format == "rfc3164") | .host' "$T/events.log" | sort -u | wc -l)" = 1 ] ||
	fail "logger's events: $(jq -c 'select(.format == "rfc3164")' "$T/events.log")"
[ "$(jq -r .host "$T/events.log" | sort -u | wc -l)" = 5 ] || fail "want five reporting hosts"
pass "one alert for $A over five hosts (ip=$A), none for $B (4 tries); fields.ip/user stored, a parsed field kept; -t names a bad group_by capture"
