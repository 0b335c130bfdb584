#!/bin/bash
# t_formats.sh: every input format arrives parsed, field by field (issue 3).
# Real senders: logger --rfc5424 with structured data (TCP, UDP, TCP
# octet-counted), logger --rfc3164 (TCP and UDP), nc with a JSON line, a
# logfmt line and a plain line, and a real rsyslogd relaying logger's and
# a device's message in RFC 5424 (LF and octet-counted framing) and in
# rsyslog's forwarding format.
# Each stored line is checked with jq: format, facility, severity, host,
# app, pid, msgid, message, sd, fields with their JSON types, time, class,
# and that nothing else is there.
. "$(dirname "$0")/lib.sh"

# The events carry fixed, old timestamps: max_delay = 0 keeps the stream
# stage from marking them "delayed" (t_streams.sh checks the marks).
write_conf "
[streams]
max_delay = 0

[class zoo]
msgid = ZOO

[class myapp_auth]
app = myapp
facility = auth

[class json_err]
format = json
severity = <= err

[class logfmt_root]
format = logfmt
field.user = root"
start_daemon

H=$(hostname)			# logger --rfc5424 sends gethostname()
H3164=${H%%.*}			# logger --rfc3164 cuts it at the first dot
ISO='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$'

# only SELECT ASSERT: exactly one stored event matches the jq filter SELECT,
# and the jq expression ASSERT is true on it.
only() {
	local got
	got=$(jq -c "select($1)" "$T/events.log") || fail "events.log is not JSON lines"
	[ "$(printf '%s' "$got" | grep -c .)" = 1 ] ||
		fail "want one event with ($1), got: ${got:-none}"
	printf '%s\n' "$got" | jq -e --arg h "$H" --arg h3 "$H3164" \
	    --arg iso "$ISO" "$2" >/dev/null ||
		fail "event ($1) is not ($2): $got"
}

# --- logger, RFC 5424 with structured data, over TCP and UDP ---
for tr in T d; do
	logger --rfc5424 --sd-id zoo@123 --sd-param tiger=\"hungry\" \
	    --sd-param food=\"meat\" -n 127.0.0.1 -P "$PORT" -$tr \
	    -t zooapp --id=4242 --msgid ZOO "zoo over $tr: tiger is hungry" ||
		fail "logger --rfc5424 -$tr failed"
done
# ... and with RFC 6587 octet counting.
logger --rfc5424 --octet-count -n 127.0.0.1 -P "$PORT" -T -t counted \
    "octet-counted by logger" || fail "logger --octet-count failed"
# --- logger, RFC 3164, over TCP (no pid) and UDP (with pid) ---
logger --rfc3164 -n 127.0.0.1 -P "$PORT" -T -t myapp -p auth.warning \
    "bsd over tcp: check me" || fail "logger --rfc3164 -T failed"
logger --rfc3164 -n 127.0.0.1 -P "$PORT" -d -t myapp --id=77 -p local3.err \
    "bsd over udp: with pid" || fail "logger --rfc3164 -d failed"
# --- nc: JSON, logfmt and plain lines ---
printf '%s\n' '{"host":"jhost","app":"japp","level":"error","msg":"json event","seq":7,"ts":"2025-06-01T12:00:00.250Z","ctx":{"user":"root","tries":[1,2]},"ok":true,"ratio":0.5,"none":null}' |
    nc -N 127.0.0.1 "$PORT" || fail "nc json"
printf '%s\n' 'host=lhost app=lapp level=warning msg="logfmt event" seq=7 user=root ok=true' |
    nc -N 127.0.0.1 "$PORT" || fail "nc logfmt"
printf '%s\n' 'just plain text, nothing = to parse here' |
    nc -N 127.0.0.1 "$PORT" || fail "nc plain"
wait_lines "$T/events.log" 8

for tr in T d; do
	[ $tr = T ] && want=tcp || want=udp
	only ".message == \"zoo over $tr: tiger is hungry\"" '
	    del(.received, .source, .time) == {
		transport: "'$want'", format: "rfc5424", facility: "user",
		severity: "notice", host: $h, app: "zooapp", pid: "4242",
		msgid: "ZOO", class: "zoo",
		message: "zoo over '$tr': tiger is hungry",
		sd: (.sd | {timeQuality} + {"zoo@123": {tiger: "hungry", food: "meat"}})
	    }
	    and (.sd | keys == ["timeQuality", "zoo@123"])
	    and (.time | test($iso))
	    and (.source | test("^127\\.0\\.0\\.1:[0-9]+$"))
	    and keys_unsorted == ["received", "time", "source", "transport",
		"format", "facility", "severity", "host", "app", "pid",
		"msgid", "class", "message", "sd"]'
done
only '.message == "octet-counted by logger"' '
    del(.received, .source, .time, .sd) == {
	transport: "tcp", format: "rfc5424", facility: "user",
	severity: "notice", host: $h, app: "counted", class: "other",
	message: "octet-counted by logger"
    }'
only '.message == "bsd over tcp: check me"' '
    del(.received, .source, .time) == {
	transport: "tcp", format: "rfc3164", facility: "auth",
	severity: "warning", host: $h3, app: "myapp", class: "myapp_auth",
	message: "bsd over tcp: check me"
    } and (.time | test($iso))'
only '.message == "bsd over udp: with pid"' '
    del(.received, .source, .time) == {
	transport: "udp", format: "rfc3164", facility: "local3",
	severity: "err", host: $h3, app: "myapp", pid: "77", class: "other",
	message: "bsd over udp: with pid"
    } and (.time | test($iso))'
# JSON keeps its types: seq a number, ok a bool, ctx an object, null a null.
only '.message == "json event"' '
    del(.received, .source) == {
	transport: "tcp", format: "json", severity: "err", host: "jhost",
	app: "japp", time: "2025-06-01T12:00:00.250Z", class: "json_err",
	message: "json event",
	fields: {seq: 7, ctx: {user: "root", tries: [1, 2]}, ok: true,
	    ratio: 0.5, none: null}
    }
    and (.fields.seq | type == "number") and (.fields.ok | type == "boolean")'
# logfmt has no types: every value is a string.
only '.message == "logfmt event"' '
    del(.received, .source) == {
	transport: "tcp", format: "logfmt", severity: "warning", host: "lhost",
	app: "lapp", class: "logfmt_root", message: "logfmt event",
	fields: {seq: "7", user: "root", ok: "true"}
    }
    and (.fields.seq | type == "string")'
only '.format == "plain"' '
    del(.received, .source) == {
	transport: "tcp", format: "plain", class: "other",
	message: "just plain text, nothing = to parse here"
    }'
[ "$(wc -l < "$T/events.log")" = 8 ] || fail "want 8 events, got $(wc -l < "$T/events.log")"

# --- a real rsyslogd relays to us: RFC 5424 over LF and octet-counted TCP,
# and rsyslog's forwarding format (RFC 3164 with an RFC 3339 timestamp). ---
P2=$(free_port)
cat > "$T/rsyslog.conf" <<RC
global(workDirectory="$T")
module(load="imuxsock" SysSock.Use="off")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$P2" ruleset="relay")
ruleset(name="relay") {
	action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp"
	    template="RSYSLOG_SyslogProtocol23Format")
	action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp"
	    TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
	action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp"
	    template="RSYSLOG_ForwardFormat")
}
RC
rsyslogd -N1 -f "$T/rsyslog.conf" >"$T/rsyslog.check" 2>&1 ||
	fail "rsyslog config: $(cat "$T/rsyslog.check")"
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" >"$T/rsyslog.out" 2>&1 &
RPID=$!
track $RPID
# Ready when its UDP port is taken.
for i in $(seq 600); do
	kill -0 $RPID 2>/dev/null || fail "rsyslogd died: $(cat "$T/rsyslog.out")"
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)' "$P2" && break
	sleep 0.05
done
[ "$i" -lt 600 ] || fail "rsyslogd did not bind udp $P2"

logger --rfc5424 -d -n 127.0.0.1 -P "$P2" -t rsapp --id=4242 --msgid RS1 \
    --sd-id zoo@123 --sd-param tiger=\"fed\" "relayed from logger" ||
	fail "logger to rsyslog"
# A device's RFC 3164 line with its own host name.
printf '<38>%s origin01 sshd[42]: relayed from a device' "$(date '+%b %e %H:%M:%S')" |
    nc -u -w1 127.0.0.1 "$P2" || fail "nc -u to rsyslog"
wait_lines "$T/events.log" 14
kill -TERM $RPID
wait $RPID 2>/dev/null

# The LF-framed and the octet-counted copy; both must carry the original
# host, app, pid, msgid and SD.  rsyslog's template ends in "\n", which sits
# inside the octet-counted frame; like rsyslog's receiver, logstreamd drops
# that one LF, so both copies carry the same message.
rs5424() {
	local got
	got=$(jq -c "select(.format == \"rfc5424\" and $1)" "$T/events.log")
	[ "$(printf '%s' "$got" | grep -c .)" = 2 ] ||
		fail "want 2 rfc5424 relays with ($1), got: ${got:-none}"
	printf '%s\n' "$got" | jq -e -s --arg h "$H" --arg iso "$ISO" "$2" >/dev/null ||
		fail "rsyslog relays ($1) are not ($2): $got"
}
rs5424 '.app == "rsapp"' '
    all(.[]; del(.received, .source, .time, .message) == {
	transport: "tcp", format: "rfc5424", facility: "user",
	severity: "notice", host: $h, app: "rsapp", pid: "4242", msgid: "RS1",
	class: "other",
	sd: (.sd | {timeQuality} + {"zoo@123": {tiger: "fed"}})
    } and (.time | test($iso))
      and .message == "relayed from logger")
    and (map(.source) | unique | length) == 2'
# rsyslog keeps the space after a 3164 tag in its msg property, and the
# RFC 5424 template writes it: MSG is " relayed from a device".
rs5424 '.host == "origin01"' '
    all(.[]; del(.received, .source, .time, .message) == {
	transport: "tcp", format: "rfc5424", facility: "auth",
	severity: "info", host: "origin01", app: "sshd", pid: "42",
	class: "other"
    } and (.time | test($iso))
      and (.message | rtrimstr("\n")) == " relayed from a device")
    and any(.[]; .message == " relayed from a device")'
only '.format == "rfc3164" and .app == "rsapp"' '
    del(.received, .source, .time) == {
	transport: "tcp", format: "rfc3164", facility: "user",
	severity: "notice", host: $h, app: "rsapp", pid: "4242",
	class: "other", message: "relayed from logger"
    } and (.time | test($iso))'
only '.format == "rfc3164" and .host == "origin01"' '
    del(.received, .source, .time) == {
	transport: "tcp", format: "rfc3164", facility: "auth",
	severity: "info", host: "origin01", app: "sshd", pid: "42",
	class: "other", message: "relayed from a device"
    } and (.time | test($iso))'

stop_daemon
[ "$(wc -l < "$T/events.log")" = 14 ] || fail "want 14 events, got $(wc -l < "$T/events.log")"
[ "$(summary_value received)" = 14 ] || fail "summary received=$(summary_value received), want 14"
[ "$(summary_value stored)" = 14 ] || fail "summary stored=$(summary_value stored), want 14"
pass "rfc5424 (tcp, udp, octet-counted, rsyslog lf and octet-counted), rfc3164 (tcp, udp, rsyslog), json, logfmt, plain"
