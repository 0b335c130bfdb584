#!/bin/bash
# t_ingest: real senders arrive whole.  nc "hello"; logger over TCP (LF
# framing), TCP with --octet-count, and UDP; a last line without LF; a 1 MiB
# line cut at max_message and marked truncated with the next line intact;
# NUL, ESC and invalid UTF-8 bytes decode back from the store byte for byte.
. "$(dirname "$0")/lib.sh"
MAX_MESSAGE=4k write_conf
start_daemon
ev() { jq -c "select(.message != null and (.message | contains(\"$1\")))" "$T/events.log"; }

echo hello | nc -N 127.0.0.1 $PORT
logger -n 127.0.0.1 -P $PORT -T "logger tcp lf-framed"
logger -n 127.0.0.1 -P $PORT -T --octet-count "logger tcp octet-counted"
logger -n 127.0.0.1 -P $PORT -d "logger udp datagram"
printf 'first line\nlast line without newline' | nc -N 127.0.0.1 $PORT
python3 -c "import sys; sys.stdout.write('L' * (1 << 20) + '\nafter the long line\n')" |
	nc -N 127.0.0.1 $PORT
printf 'bytes: nul[\000] esc[\033[31m] bell[\007] bad[\377\300] end\n' | nc -N 127.0.0.1 $PORT
wait_lines "$T/events.log" 9

[ "$(jq -r 'select(.message == "hello") | .transport' "$T/events.log")" = tcp ] ||
	fail "no stored hello"
for m in "logger tcp lf-framed" "logger tcp octet-counted"; do
	[ "$(ev "$m" | jq -r '.format + " " + .transport')" = "rfc5424 tcp" ] ||
		fail "$m: $(ev "$m")"
done
[ "$(ev "logger udp datagram" | jq -r .transport)" = udp ] || fail "udp logger"
[ "$(ev "last line without newline" | jq -r .message)" = "last line without newline" ] ||
	fail "last line without LF"
long=$(jq -c 'select(.message != null and (.message | startswith("LLLL")))' "$T/events.log")
[ "$(echo "$long" | jq -r '.message | length')" = 4096 ] || fail "long line not cut at 4096"
[ "$(echo "$long" | jq -r .truncated)" = true ] || fail "long line not marked truncated"
[ "$(ev "after the long line" | jq -r .message)" = "after the long line" ] ||
	fail "line after the long one not intact"
[ "$(ev "after the long line" | jq -r .truncated)" = null ] || fail "next line marked truncated"
python3 - "$T/events.log" <<'PY' || fail "control bytes did not round-trip"
import json, sys
want = b"bytes: nul[\x00] esc[\x1b[31m] bell[\x07] bad[\xff\xc0] end"
for line in open(sys.argv[1], "rb"):
    assert b"\x1b" not in line and b"\x00" not in line, "raw control byte in store"
    m = json.loads(line).get("message", "")
    if m.startswith("bytes:"):
        got = m.encode("utf-8", "surrogateescape")
        assert got == want, (got, want)
        break
else:
    raise SystemExit("event not stored")
PY
stop_daemon
[ "$(summary_value truncated)" = 1 ] || fail "truncated count $(summary_value truncated)"
pass "nc, logger tcp/octet/udp, no-LF last line, 1 MiB cut, bytes round-trip"
