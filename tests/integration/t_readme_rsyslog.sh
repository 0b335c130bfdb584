#!/bin/bash
# t_readme_rsyslog: the README's rsyslog forwarding block (RFC 5424, octet
# counting), run as written by a real rsyslogd that takes a local program's
# message (logger over its own imuxsock socket): the event arrives as
# rfc5424 with app and message exactly as logged, no leading space.
. "$(dirname "$0")/lib.sh"
command -v rsyslogd >/dev/null || { echo "SKIP $NAME: no rsyslogd"; exit 77; }

write_conf
start_daemon
mkdir -p "$T/rs"
# the block after "or, RFC 5424 with octet counting" up to the fence
awk '/or, RFC 5424 with octet counting/ { on = 1; next } on && /^```/ { exit }
     on && !/^#/ && !/^\*\.\* @@/' "$TOP/README.md" |
	sed -e 's/target="loghost"/target="127.0.0.1"/' -e "s/port=\"514\"/port=\"$PORT\"/" > "$T/rs/block.conf"
grep -q 'type="omfwd"' "$T/rs/block.conf" || fail "no omfwd action found in the README block"
cat > "$T/rs/rsyslog.conf" <<CONF
global(workDirectory="$T/rs")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/rs/log.sock")
$(cat "$T/rs/block.conf")
CONF
rsyslogd -n -f "$T/rs/rsyslog.conf" -i "$T/rs/pid" 2>"$T/rs/err" &
track $!
for i in $(seq 100); do [ -S "$T/rs/log.sock" ] && break; sleep 0.05; done
[ -S "$T/rs/log.sock" ] || fail "rsyslogd did not start: $(cat "$T/rs/err")"
logger -u "$T/rs/log.sock" -t myapp "from a local program seq=1"
wait_lines "$T/events.log" 1 10
got=$(jq -c '[.format, .app, .message]' "$T/events.log")
[ "$got" = '["rfc5424","myapp","from a local program seq=1"]' ] || fail "stored $got"
pass "README's rsyslog RFC 5424 block: rfc5424, app and message as logged"
