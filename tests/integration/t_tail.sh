#!/bin/bash
# t_tail: [input] type = tail with the seq oracle.  A writer appends
# tests/gen.py lines to logs/app.log through: (1) a plain run, (2) a rename
# rotation mid-stream (the old file written on for 300 lines and a line
# without LF after the rename, then a new one: the old file is read to its
# end, that line stored when it is closed), (3) a SIGKILL of the daemon while the writer
# writes, then a restart, (4) a copy-truncate that takes a line without its
# LF (counted truncated_file, the next event marked "stream":"gap"), (5) a
# clean restart with a rotation while the daemon was stopped.  Every seq sent is stored; duplicates only from the
# SIGKILL, at most what the writer wrote in the 2.5 s before it (sync =
# 200ms plus the one-second position save, and slack: a position saved
# late or never, re-reading earlier lines, fails); the clean restart adds
# none.  Beside it: a Java stack trace joined
# into one event by multiline_start, logs/evil.log, a symlink to a file
# outside, not followed (said and counted), a corrupt state file
# reported at the restart, the input starting over, and 3000 files matched
# with max_open_files = 64: 64 open, the rest wait their turn, all read
# (each stored).
. "$(dirname "$0")/lib.sh"
RATE=10000
MARK="the first line after the truncation"
SYNC=200ms
mkdir -p "$T/logs" "$T/java" "$T/many"
python3 -c '
import sys
for i in range(3000):
    open("%s/many/f%04d.log" % (sys.argv[1], i), "w").write("many files seq=%d\n" % (900000 + i))
' "$T"
HPORT=$(free_port)
write_conf "
[storage]
rotate_size = 0

[http]
listen = 127.0.0.1:$HPORT

[input app]
type = tail
path = $T/logs/*.log
state = $T/app.state
start = beginning

[input java]
type = tail
path = $T/java/*.log
state = $T/java.state
multiline_start = ^\\d{4}-\\d\\d-\\d\\d 
multiline_timeout = 500ms

[input many]
type = tail
path = $T/many/*.log
state = $T/many.state
start = beginning
max_open_files = 64"
python3 "$GEN" 55000 > "$T/sent"
echo "TOP SECRET seq=999999" > "$T/secret"
ln -s "$T/secret" "$T/logs/evil.log"

cat > "$T/writer.py" <<'PY'
# writer.py SENT LOG FROM TO RATE [ROTATE_AT]: append lines FROM..TO-1 of
# SENT to LOG (O_APPEND) at RATE lines/s; at ROTATE_AT rename LOG to
# LOG.1, write 300 more lines and a line without LF to the old file, then
# go on in a new LOG.
import os, sys, time
lines = open(sys.argv[1], "rb").read().splitlines(True)
log, a, b, rate = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rot = int(sys.argv[6]) if len(sys.argv) > 6 else -1
fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
t0, i = time.time(), a
while i < b:
    if i == rot:
        os.rename(log, log + ".1")
        os.write(fd, b"".join(lines[i:i + 300])); i += 300
        os.write(fd, b"last words of the old file, no newline")
        os.close(fd)
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        continue
    j = min(b, i + 100, rot if rot > i else b)
    os.write(fd, b"".join(lines[i:j])); i = j
    delay = t0 + (i - a) / rate - time.time()
    if delay > 0:
        time.sleep(delay)
os.close(fd)
PY
write() { python3 "$T/writer.py" "$T/sent" "$T/logs/app.log" "$@"; }
# wait_seqs N: until every seq of the first N lines of sent is stored (one
# python reading the store as it grows); $T/check then says how many
# events of app.log were stored twice so far
wait_seqs() {
	head -n "$1" "$T/sent" > "$T/sent.part"
	python3 - "$T/events.log" "$T/sent.part" > "$T/check" <<'PY' || { cat "$T/check"; fail "not every seq of the first $1 lines stored"; }
import re, sys, time
SEQ = re.compile(rb"seq=(\d+)|\"seq\":\"?(\d+)")
want = set()
for l in open(sys.argv[2], "rb"):
    m = SEQ.search(l); want.add(int(m.group(1) or m.group(2)))
have, n, buf, fp = set(), 0, b"", None
deadline = time.time() + 60
while time.time() < deadline:
    if fp is None:
        try: fp = open(sys.argv[1], "rb")
        except OSError: time.sleep(0.1); continue
    buf += fp.read()
    *lines, buf = buf.split(b"\n")
    for l in lines:
        m = b"/many/f" not in l and SEQ.search(l)
        if m: have.add(int(m.group(1) or m.group(2))); n += 1
    if want <= have:
        print("duplicates %d" % (n - len(have))); sys.exit(0)
    time.sleep(0.05)
print("stored %d of %d (first missing %s)" % (len(want & have), len(want), sorted(want - have)[:5]))
sys.exit(1)
PY
}
dups() { sed -n 's/.*duplicates \([0-9]*\).*/\1/p' "$T/check"; }

start_daemon
wait_grep "$T/daemon.err" "evil.log is a symlink: not followed"
wait_grep "$T/daemon.err" "input many: 3000 files \(64 open, 2936 waiting\)"
# (1) plain, (2) a rename rotation at line 9000
write 0 5000 $RATE
write 5000 15000 $RATE 9000
wait_seqs 15000
[ -e "$T/logs/app.log.1" ] || fail "the writer did not rotate"
# the old file is closed 2 s after its last byte: its line without LF too
wait_grep "$T/events.log" '"message":"last words of the old file, no newline"'

# (3) SIGKILL while the writer writes (30,000 lines at $RATE/s: 3 s)
write 15000 45000 $RATE & W=$!; track $W
sleep 2.5
kill -9 $DPID; wait $DPID 2>/dev/null
start_daemon
wait $W || fail "writer failed"
wait_seqs 45000
killdups=$(dups)
bound=$((RATE * 5 / 2))
[ "$killdups" -le "$bound" ] || fail "$killdups repeats after the SIGKILL, more than $bound (2.5 s of writing)"

# (4) copy-truncate: a line without its LF at the end of app.log; once the
# daemon has seen it (/stats: 28 bytes pending), logrotate's copytruncate
python3 - "$T/sent" "$T/logs/app.log" <<'PY'
import os, sys
lines = open(sys.argv[1], "rb").read().splitlines(True)
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
os.write(fd, b"".join(lines[45000:46000]) + b"torn line, its LF never came")
PY
wait_seqs 46000
for i in $(seq 200); do
	curl -s "http://127.0.0.1:$HPORT/stats" | jq -e '.inputs | if type == "array" then .[] | select(.name == "app") else .app end | .pending_bytes == 28' >/dev/null && break
	[ $i = 200 ] && fail "/stats: app's pending_bytes is not the torn line's 28"
	sleep 0.05
done
cp "$T/logs/app.log" "$T/app.log.copy"
truncate -s 0 "$T/logs/app.log"
echo "$MARK" >> "$T/logs/app.log"
write 46000 50000 $RATE
wait_seqs 50000
# (the size it names is the file's when the daemon looked: under load the
# writer may have added lines by then; the 28 lost bytes are the same)
wait_grep "$T/daemon.err" "app.log was truncated to [0-9]+ bytes .*: 28 bytes not read are lost"
python3 - "$T/events.log" <<'PY' || fail "the first event after the truncation is not marked gap"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
# (streams marks gaps of gen.py's own seq numbers: this line has none)
first = [e for e in ev if e.get("message") == "the first line after the truncation"]  # $MARK
assert len(first) == 1 and first[0].get("stream") == "gap", first
assert not any("torn line" in e.get("message", "") for e in ev)
PY

# (5) a clean restart, with a rotation while stopped: lines written, the
# file renamed out of the glob and a new one written; the old one is found
# by its inode and read on from its position.  No repeats.
stop_daemon
grep -q "truncated_file=1 " "$T/daemon.err" || fail "stop summary: truncated_file is not 1"
mv "$T/daemon.err" "$T/daemon.err.1"
write 50000 51000 $RATE
mv "$T/logs/app.log" "$T/logs/app.log.2"
write 51000 52000 $RATE
echo "garbage" > "$T/java.state"
start_daemon
wait_grep "$T/daemon.err" "input java: state $T/java.state: corrupt: no header: starting over"
wait_grep "$T/daemon.err" "app.log was rotated to $T/logs/app.log.2 while stopped"
write 52000 55000 $RATE
wait_seqs 55000
[ "$(dups)" = "$killdups" ] || fail "the clean restart repeated $(( $(dups) - killdups )) events"
grep -v -e "$MARK" -e "/many/f" -e "last words" "$T/events.log" > "$T/store"
python3 "$TOP/tests/integration/seqcheck.py" --max-dups="$bound" --all \
    "$T/store" "$T/sent" || fail "oracle"

# multiline: a Java stack trace is one event
cat > "$T/java/app.log" <<'JAVA'
2024-01-01 12:00:00 ERROR [main] App - request failed
java.lang.IllegalStateException: boom
	at com.example.App.run(App.java:10)
	at com.example.App.main(App.java:5)
Caused by: java.io.IOException: disk gone
	... 2 more
2024-01-01 12:00:01 INFO [main] App - next
JAVA
wait_grep "$T/events.log" "App - next"
python3 - "$T/events.log" <<'PY' || fail "the stack trace is not one event"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if "/java/" in l]
assert len(ev) == 2, len(ev)
m = ev[0]["message"]
assert m.startswith("2024-01-01 12:00:00 ERROR") and m.count("\n") == 5, m
assert m.endswith("Caused by: java.io.IOException: disk gone\n\t... 2 more"), m
assert ev[0]["transport"] == "file" and ev[0]["source"].endswith("/java/app.log")
PY
grep -q "TOP SECRET" "$T/events.log" && fail "the symlink to a file outside was followed"
for i in $(seq 100); do
	curl -s "http://127.0.0.1:$HPORT/stats" | jq -e '.events.balanced' >/dev/null && break
	[ $i = 100 ] && fail "/stats: received, stored and dropped do not balance"
	sleep 0.05
done
curl -s "http://127.0.0.1:$HPORT/stats" | jq -e '.inputs | if type == "array" then .[] | select(.name == "app") else .app end | .symlinks_skipped == 1' >/dev/null ||
	fail "/stats: app's symlinks_skipped is not 1"
# The same figures in /metrics, per input, in a valid exposition.
curl -s "http://127.0.0.1:$HPORT/metrics" > "$T/prom"
python3 "$(dirname "$0")/promcheck.py" "$T/prom" || fail "/metrics is not valid"
grep -q '^logstreamd_input_tail_symlinks_skipped_total{input="app"} 1$' "$T/prom" ||
	fail "/metrics: no tail symlinks_skipped of 1 for app: $(grep input_tail "$T/prom" | head -5)"
ev=$(curl -s "http://127.0.0.1:$HPORT/stats" | jq '.inputs | if type == "array" then .[] | select(.name == "app") else .app end | .events')
pev=$(sed -n 's/^logstreamd_input_tail_events_total{input="app"} //p' "$T/prom")
[ -n "$pev" ] && [ "$pev" -gt 0 ] && [ "$pev" -le "$ev" ] ||
	fail "/metrics tail events $pev, /stats $ev (read after)"
n=$(grep -o 'many files seq=[0-9]*' "$T/events.log" | sort -u | wc -l)
[ "$n" = 3000 ] || fail "$n of the 3000 files of many/*.log stored, with 64 open at most"
stop_daemon
pass "55,000 lines over a rename rotation, a SIGKILL ($killdups repeats, bound $bound), a copy-truncate (counted, gap marked) and a clean restart with a rotation while stopped (no repeats): all stored; a Java trace joined; a symlink not followed"
