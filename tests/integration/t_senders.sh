#!/bin/bash
# t_senders.sh: real senders as they are (issue 14, "real senders").
# Python's logging.handlers.SysLogHandler ends each event with a NUL and
# no LF over TCP, and each datagram with a NUL over UDP; its format,
# "<12>myapp: text", has no timestamp and no host.  Every event is stored
# on its own, without the NUL, with app myapp (rsyslog's reading of the
# TAG); "<12>myapp[123]: text" gives the pid too; a NUL inside an event
# (not followed by '<' or a line end) stays in it, escaped.
# Then the same RFC 3164 lines (logger, busybox, Juniper, Docker's syslog
# driver, Python, sshd) go to a real rsyslogd and to logstreamd over UDP:
# host, app, pid and message agree, but where rsyslog makes up a host for
# a line that has none (the sender's name: logstreamd keeps it absent; the
# source is stored) and on Cisco lines, where rsyslog takes the sequence
# number or the %MNEMONIC for the program and logstreamd the mnemonic for
# msgid.
. "$(dirname "$0")/lib.sh"

write_conf
start_daemon
python3 - "$PORT" <<'PY' || fail "python sender"
import logging, logging.handlers, socket, sys
port = int(sys.argv[1])
for name, st in (("tcp", socket.SOCK_STREAM), ("udp", socket.SOCK_DGRAM)):
    h = logging.handlers.SysLogHandler(address=("127.0.0.1", port), socktype=st)
    h.setFormatter(logging.Formatter("myapp: %(message)s"))
    log = logging.getLogger(name)
    log.addHandler(h)
    log.setLevel(logging.INFO)
    for i in range(3):
        log.warning("%s seq=%d", name, i)
    h.close()
PY
printf '<12>myapp[123]: with pid\n<13>keep: a\0b inside\n' | nc -N 127.0.0.1 "$PORT" || fail "nc"
wait_lines "$T/events.log" 8
stop_daemon

got=$(jq -c '[.transport, .app // "-", .pid // "-", .message]' "$T/events.log" | LC_ALL=C sort)
want=$(LC_ALL=C sort <<'EOF'
["tcp","keep","-","a\u0000b inside"]
["tcp","myapp","-","tcp seq=0"]
["tcp","myapp","-","tcp seq=1"]
["tcp","myapp","-","tcp seq=2"]
["tcp","myapp","123","with pid"]
["udp","myapp","-","udp seq=0"]
["udp","myapp","-","udp seq=1"]
["udp","myapp","-","udp seq=2"]
EOF
)
[ "$got" = "$want" ] || fail "stored [transport, app, pid, message]:
$got
want:
$want"
! grep -q '\\u0000"' "$T/events.log" || fail "a trailing NUL was stored"
# --- the same lines through rsyslog and through logstreamd ---
cat > "$T/lines.txt" <<'EOF'
<13>Dec  3 10:00:00 host1 app[99]: logger style
<13>Dec  3 10:00:00 root: busybox without a host
<28>Dec  3 10:00:00 fw01 mgd[1234]: UI_COMMIT: User 'admin' requested 'commit' operation
<30>Dec  3 10:00:00 dockerhost 4f3c2b1a9d8e[1234]: container log line
<12>myapp: python no time
<12>myapp[123]: python with pid
<14>Dec  3 10:00:00 host2 sshd[7]: Failed password for root from 203.0.113.9 port 22 ssh2
<189>45: Dec  3 10:00:00.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up
<166>Dec 03 2026 10:00:00: %ASA-6-302013: Built outbound TCP connection
EOF
P2=$(free_port)
cat > "$T/rsyslog.conf" <<RC
global(workDirectory="$T")
module(load="imuxsock" SysSock.Use="off")
module(load="imudp")
template(name="cmp" type="string" string="%hostname%|%programname%|%procid%|%msg%\\n")
input(type="imudp" address="127.0.0.1" port="$P2" ruleset="cmp")
ruleset(name="cmp") { action(type="omfile" file="$T/rsyslog.txt" template="cmp") }
RC
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" >"$T/rsyslog.out" 2>&1 &
RPID=$!
track $RPID
for i in $(seq 600); do	# ready when its UDP port is taken
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
rm -f "$T/events.log"
start_daemon
python3 - "$T/lines.txt" "$P2" "$PORT" <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for line in open(sys.argv[1], "rb"):
    for port in sys.argv[2:]:
        u.sendto(line.rstrip(b"\n"), ("127.0.0.1", int(port)))
PY
n=$(wc -l < "$T/lines.txt")
wait_lines "$T/events.log" "$n"
wait_lines "$T/rsyslog.txt" "$n"
stop_daemon
# rsyslog keeps the space after the TAG in %msg%: compare without it.  For
# a line without a host rsyslog fills in the sender (localhost, or
# 127.0.0.1 where no /etc/hosts names it); logstreamd leaves it empty.
rs=$(sed 's/^\([^|]*|[^|]*|[^|]*|\) /\1/; s/^\(localhost\|127\.0\.0\.1\)|/-|/' "$T/rsyslog.txt" | head -7)
ls=$(jq -r '[.host // "-", .app // "-", .pid // "-", .message] | join("|")' "$T/events.log" | head -7)
[ "$rs" = "$ls" ] || fail "rsyslog and logstreamd differ:
$(diff <(printf '%s\n' "$rs") <(printf '%s\n' "$ls"))"
[ "$(jq -r 'select(.msgid) | [.app // "-", .msgid] | join(" ")' "$T/events.log")" = "- LINK-3-UPDOWN
- ASA-6-302013" ] || fail "Cisco lines: $(jq -c 'select(.facility == "local7" or .facility == "local4")' "$T/events.log")"
pass "Python SysLogHandler over TCP (NUL-framed) and UDP (trailing NUL): 6 events, app myapp; <12>myapp[123]: gives the pid; a NUL inside an event kept; 7 RFC 3164 variants read as rsyslog reads them (host, app, pid, message), Cisco mnemonics as msgid"
