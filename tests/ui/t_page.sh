#!/bin/bash
# t_page (make check-ui): headless Chromium loads GET / while a load runs,
# twice, 3 s apart: both screenshots have the chart lines drawn (pixels in
# the charts' colours) and they differ (the charts move).  Kept out of
# `make check`: it needs chromium and a few seconds of wall clock.
. "$(dirname "$0")/../integration/lib.sh"
command -v chromium >/dev/null || fail "chromium is not installed (apt-get install chromium)"
HPORT=$(free_port)
write_conf "
[class auth_failure]
message = Failed password
[alert brute]
class = auth_failure
[http]
listen = 127.0.0.1:$HPORT"
start_daemon
python3 - "$PORT" <<'PY' & LOAD=$!; track $LOAD
import socket, sys, time, random
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(400):
    n = random.randint(200, 2000)
    s.sendall(b"".join(b"<13>Nov 23 20:14:14 h sshd: %s seq=%d\n" % (b"Failed password" if j % 20 == 0 else b"ok", i * 10000 + j) for j in range(n)))
    time.sleep(0.05)
PY
shot() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
	    --user-data-dir="$T/chrome" --window-size=1400,1000 \
	    --virtual-time-budget=4000 --screenshot="$1" \
	    "http://127.0.0.1:$HPORT/" >/dev/null 2>&1
	[ -s "$1" ] || fail "no screenshot $1"
}
sleep 3
shot "$T/a.png"
sleep 3
shot "$T/b.png"
st=$(python3 "$(dirname "$0")/pngstat.py" "$T/a.png" "$T/b.png")
px=$(echo "$st" | sed 's/.*chart_pixels=\([0-9]*\).*/\1/')
df=$(echo "$st" | sed 's/.*differ=\([0-9]*\).*/\1/')
[ -n "${SHOT_DIR:-}" ] && cp "$T/a.png" "$T/b.png" "$SHOT_DIR/"
[ "$px" -gt 500 ] || fail "no chart lines in the screenshot ($st)"
[ "$df" -gt 500 ] || fail "the charts did not move ($st)"
pass "two screenshots of / under load: $st"
