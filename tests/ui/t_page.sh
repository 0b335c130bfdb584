#!/bin/bash
# t_page (make check-ui): headless Chromium (driven over its DevTools pipe by
# cdp.py) keeps GET / open while a load from two hosts runs: the badge turns
# green; two screenshots 3 s apart have the chart lines drawn (pixels in the
# charts' colours) and differ (the charts move); every chart has a legend
# (received solid, stored dashed) and a time axis ending in "now HH:MM:SS";
# the classes, recent alerts, alerts per rule and top hosts tables are
# filled; with the daemon SIGSTOPped the badge turns red with the reason
# (screenshot non-empty) and green again after SIGCONT; one /stats answered
# 503 (intercepted) turns it red with "HTTP 503", then green.  Part of
# `make check` (about 20 s); `make check-ui` runs it alone.
. "$(dirname "$0")/../integration/lib.sh"
command -v chromium >/dev/null || fail "chromium is not installed (apt-get install chromium)"
HPORT=$(free_port)
write_conf "
[class auth_failure]
message = Failed password
[class web_error]
message = status=500
[alert brute]
class = auth_failure
[http]
listen = 127.0.0.1:$HPORT"
start_daemon
python3 - "$PORT" <<'PY' & LOAD=$!; track $LOAD
import socket, sys, time, random
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(600):
    n = random.randint(200, 2000)
    s.sendall(b"".join(b"<13>Nov 23 20:14:14 %s sshd: %s seq=%d\n" % (
        b"web07" if j % 3 else b"db01",
        b"Failed password" if j % 20 == 0 else b"status=500" if j % 7 == 0 else b"ok",
        i * 10000 + j) for j in range(n)))
    time.sleep(0.05)
PY
out=$(python3 "$(dirname "$0")/cdp.py" "http://127.0.0.1:$HPORT/" "$DPID" "$T" 2>&1) ||
    fail "page checks: $(echo "$out" | tail -3)"
st=$(python3 "$(dirname "$0")/pngstat.py" "$T/a.png" "$T/b.png")
px=$(echo "$st" | sed 's/.*chart_pixels=\([0-9]*\).*/\1/')
df=$(echo "$st" | sed 's/.*differ=\([0-9]*\).*/\1/')
[ -n "${SHOT_DIR:-}" ] && cp "$T/a.png" "$T/b.png" "$T/down.png" "$SHOT_DIR/"
[ "$px" -gt 500 ] || fail "no chart lines in the screenshot ($st)"
[ "$df" -gt 500 ] || fail "the charts did not move ($st)"
[ "$(stat -c %s "$T/down.png")" -gt 1000 ] || fail "empty screenshot of the red badge"
echo "$out" | grep -E "^(badge|stopped|resumed|503)"
pass "legends, time axes, classes, recent alerts, alerts per rule, top hosts; badge red while stopped and on a 503, green after: $st"
