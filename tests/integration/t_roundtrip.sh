#!/bin/bash
# t_roundtrip.sh: the escaping contract byte by byte (roundtrip.py).  Every
# byte value 0x00..0xff in many positions, UTF-8 edge cases and random byte
# strings, sent as RFC 5424 MSGs over TCP octet-counted, TCP LF-framed and
# UDP: each stored `message` decodes (json + surrogateescape) to exactly the
# bytes sent, one line per event; an alert fires on each event and
# alerts.log (text, then JSON) holds no raw C0 byte but LF, no DEL, no raw
# C1 or bidi control, and its msgs unescape to the stored messages.
. "$(dirname "$0")/lib.sh"

for fmt in text json; do
	write_conf "
[class rt]
app = rtapp

[alert rt]
class = rt"
	# Lines are counted: one file, no rotation.
	sed -i "s|^\[storage\]\$|[storage]\nrotate_size = 0|;
	    s|^\[alerts\]\$|[alerts]\nformat = $fmt|" "$T/test.conf"
	rm -f "$T/events.log" "$T/alerts.log"
	start_daemon
	n=$(python3 "$TOP/tests/integration/roundtrip.py" send "$PORT") ||
		fail "send"
	wait_lines "$T/events.log" "$n" 60
	wait_lines "$T/alerts.log" "$n" 60
	stop_daemon
	out=$(python3 "$TOP/tests/integration/roundtrip.py" check "$PORT" "$T" \
	    "$fmt" 2>&1) || fail "$fmt alerts: $out"
	pass "$out"
done
