#!/bin/bash
# t_alert_escape.sh: hostile bytes in an event (ANSI ESC[2J, an OSC title
# ESC]2;title BEL, U+202E and other bidi overrides, NUL, TAB, CR, DEL, a C1
# control, invalid UTF-8) reach the text alert file escaped (`\x1b`,
# `\u202e`), so `tail -F alerts.log` is terminal-safe: no raw byte 0x00-0x1f
# but LF, no 0x7f, no raw C1 or bidi character; while the stored events.log
# line decodes (python json) back to the exact original bytes.
# Senders: printf | nc (RFC 3164 and JSON lines).
. "$(dirname "$0")/lib.sh"

write_conf '
[class hostile]
message = ^evil

[alert hostile]
class = hostile'
start_daemon

# The raw RFC 3164 event, and the message part of it as sent.
MSG3164='evil \033[2J cls \033]2;title\007 bidi:\342\200\256: nul:\000: tab:\t: cr:\r: del:\177: c1:\302\233: ff:\377: end'
printf "<38>Nov 23 21:32:49 web01 app: $MSG3164\n" | nc -N 127.0.0.1 "$PORT" || fail "nc 3164"
# JSON carries its escapes as text; the daemon decodes them, then the
# alerter must escape them again.  The host holds an ESC too.
printf '%s\n' '{"host":"web\u001b[31m09","msg":"evil json \u001b[2J \u202e \u2066x\u2069 \u0000z"}' |
    nc -N 127.0.0.1 "$PORT" || fail "nc json"
wait_lines "$T/events.log" 2
wait_lines "$T/alerts.log" 2
stop_daemon
[ "$(wc -l < "$T/alerts.log")" = 2 ] || fail "want 2 alert lines: $(cat -A "$T/alerts.log")"

# Terminal-safe: no C0 but LF, no DEL (bytes), no C1 or bidi (characters).
LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]' "$T/alerts.log"
rc=$?
[ $rc = 1 ] || fail "raw control byte in alerts.log (grep $rc): $(cat -A "$T/alerts.log")"
python3 - "$T/alerts.log" <<'PY' || fail "raw C1 or bidi character in alerts.log: $(cat -A "$T/alerts.log")"
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
bad = re.findall("[\u0080-\u009f\u202a-\u202e\u2066-\u2069]", text)
sys.exit("found %r" % bad if bad else 0)
PY
grep -qF '\x1b[2J' "$T/alerts.log" || fail 'no literal \x1b[2J in alerts.log'
grep -qF '\x1b]2;title\x07' "$T/alerts.log" || fail 'no literal \x1b]2;title\x07 in alerts.log'

# Each whole line, exactly (a C1 control may be \x9b or \u009b; a host
# with escapes may be quoted).
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'
l1=$(sed -n 1p "$T/alerts.log")
re="^$ISO\.[0-9]{3}Z ALERT hostile class=hostile host=web01 count=1 window=1m first=\"${ISO}Z\" msg=\"evil \\\\x1b\[2J cls \\\\x1b\]2;title\\\\x07 bidi:\\\\u202e: nul:\\\\x00: tab:\\\\x09: cr:\\\\x0d: del:\\\\x7f: c1:\\\\[ux]0*9b: ff:\\\\xff: end\"\$"
printf '%s\n' "$l1" | grep -Eq "$re" || fail "alert 1: $l1 !~ $re"
l2=$(sed -n 2p "$T/alerts.log")
re="^$ISO\.[0-9]{3}Z ALERT hostile class=hostile host=(web\\\\x1b\[31m09|\"web\\\\x1b\[31m09\") count=1 window=1m first=\"${ISO}Z\" msg=\"evil json \\\\x1b\[2J \\\\u202e \\\\u2066x\\\\u2069 \\\\x00z\"\$"
printf '%s\n' "$l2" | grep -Eq "$re" || fail "alert 2: $l2 !~ $re"

# Stored: every original byte survives (invalid UTF-8 as a lone surrogate,
# which python's surrogateescape turns back into the byte).
printf "$MSG3164" > "$T/want1"
printf 'evil json \033[2J \342\200\256 \342\201\246x\342\201\251 \000z' > "$T/want2"
python3 - "$T" <<'PY' || fail "events.log does not hold the original bytes"
import json, sys
t = sys.argv[1]
lines = open(t + "/events.log", "rb").read().split(b"\n")
assert lines[-1] == b"" and len(lines) == 3, lines
for n, line in enumerate(lines[:2], 1):
    ev = json.loads(line)
    got = ev["message"].encode("utf-8", "surrogateescape")
    want = open("%s/want%d" % (t, n), "rb").read()
    if got != want:
        sys.exit("event %d: %r != %r" % (n, got, want))
    if any(b < 0x20 or b == 0x7f for b in line):
        sys.exit("event %d: raw control byte in the stored line" % n)
assert json.loads(lines[1])["host"] == "web\x1b[31m09"
PY
pass "ESC[2J, OSC title, bidi, NUL, TAB, CR, DEL, C1, invalid UTF-8: escaped in alerts.log, exact in events.log"
