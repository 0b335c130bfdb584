#!/bin/bash
# t_reuseport.sh: [listen] reuse_port = yes lets two instances bind one
# TCP+UDP port (SO_REUSEPORT); 200 TCP connections of 50 events each are
# spread over both by the kernel, and together they store every event once.
# Without reuse_port the second instance must fail to start.
. "$(dirname "$0")/lib.sh"

write_conf "" && sed -i '/^\[listen\]/a reuse_port = yes' "$T/test.conf"
mkdir -p "$T/two"
sed -e "s|$T/events.log|$T/two/events.log|" -e "s|$T/alerts.log|$T/two/alerts.log|" \
    "$T/test.conf" > "$T/two.conf"
start_daemon
"$BIN" -c "$T/two.conf" 2>"$T/two.err" &
TWO=$!
track $TWO
# Its port is the first one's: ready when it says so.
for i in $(seq 600); do
	grep -q " ready" "$T/two.err" 2>/dev/null && break
	kill -0 $TWO 2>/dev/null || fail "second instance did not start: $(cat "$T/two.err")"
	sleep 0.05
done
grep -q " ready" "$T/two.err" || fail "second instance not ready: $(cat "$T/two.err")"

python3 - 127.0.0.1 "$PORT" > "$T/sent" <<'PY'
import socket, sys
for c in range(200):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    data = "".join("conn %d event seq=%d\n" % (c, c * 50 + k) for k in range(50))
    s.sendall(data.encode()); s.close()
    sys.stdout.write(data)
PY
# Until both stores together hold every event (a stop drops what is
# still in the kernel's accept queue).
for i in $(seq 600); do
	[ $(( $(wc -l < "$T/events.log") + $(cat "$T/two/events.log" 2>/dev/null | wc -l) )) -ge 10000 ] && break
	sleep 0.05
done
kill -TERM $TWO; wait $TWO || fail "second instance exited $?"
stop_daemon
one=$(wc -l < "$T/events.log"); two=$(wc -l < "$T/two/events.log")
[ "$one" -gt 0 ] && [ "$two" -gt 0 ] || fail "one instance got nothing: $one + $two"
cat "$T/events.log" "$T/two/events.log" > "$T/all.log"
python3 "$TOP/tests/integration/seqcheck.py" --all "$T/all.log" "$T/sent" ||
    fail "the two stores together are not the sent set"

# Without reuse_port a second bind of the port fails (exit 2).
sed -i '/^reuse_port/d' "$T/test.conf" "$T/two.conf"
start_daemon
"$BIN" -c "$T/two.conf" 2>"$T/two.err"
rc=$?
stop_daemon
[ $rc = 2 ] || fail "without reuse_port the second instance exited $rc, not 2"
pass "two instances on one port stored $one + $two = 10000 events, each once; without reuse_port the second exits 2"
