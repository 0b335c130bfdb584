#!/bin/bash
# t_senders.sh: real senders as they are (issue 14, "real senders").
# Python's logging.handlers.SysLogHandler ends each event with a NUL and
# no LF over TCP, and each datagram with a NUL over UDP; its format,
# "<12>myapp: text", has no timestamp and no host.  Every event is stored
# on its own, without the NUL, with app myapp (rsyslog's reading of the
# TAG); "<12>myapp[123]: text" gives the pid too; a NUL inside an event
# (not followed by '<' or a line end) stays in it, escaped.
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
pass "Python SysLogHandler over TCP (NUL-framed) and UDP (trailing NUL): 6 events, app myapp; <12>myapp[123]: gives the pid; a NUL inside an event kept"
