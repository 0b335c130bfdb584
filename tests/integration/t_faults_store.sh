#!/bin/bash
# t_faults_store.sh: storage faults seen on the real daemon (issue 19).
# 1. A flipped byte in the middle of a forward output's disk-buffer segment
#    (target down, 10,000 events buffered, daemon stopped): after a restart
#    with the target up, every event but the damaged one reaches the target
#    and the skip is logged with the segment and its offset and counted
#    (logstreamd_output_events_total{result="dropped"}).
# 2. A symlink planted at a disk-buffer segment, and a symlinked buffer
#    directory: refused at start with the path named; the target file is
#    untouched and nothing is written into the linked directory.
# 3. Rotated files named in the future (the clock was once ahead), their
#    mtimes too: new rotations are kept (not deleted by retention as
#    "older"), every sent seq is stored once across rotated + live files.
# 4. The same with a future name that used the last same-second suffix
#    (_999): rotation by rotate_size goes on, each new file is named after
#    every existing one, names sort in the order the lines were written,
#    and no file is over rotate_size.
# 5. fsync fails (EIO, from the test knob LOGSTREAMD_TEST_FSYNC_FAIL_FILE:
#    this machine has no device-mapper or FUSE to make a disk fail) under a
#    tail input: the position saved before stays where it was while lines
#    go on being stored, /health says why and the failures are counted; a
#    restart reads the lines since again: every seq stored, the ones after
#    the failure twice, none lost.
# ONLY=N runs case N alone (to show one failing against an old binary).
. "$(dirname "$0")/lib.sh"
want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

# lines FROM TO: plain events with seq=K.
lines() {
	python3 -c 'import sys
for i in range(int(sys.argv[1]), int(sys.argv[2])):
    print("store fault event seq=%d" % i)' "$1" "$2"
}

# seqs FILE...: the sorted distinct seqs in FILEs (gzipped ones too).
seqs() {
	local f
	for f in "$@"; do
		case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
	done | grep -ao 'seq=[0-9]*' | sort -u
}

# frame_seqs FILE: the sorted distinct seqs of RFC 6587 octet-counted frames.
frame_seqs() {
	python3 - "$1" <<'PY'
import re, sys
b, i, out = open(sys.argv[1], "rb").read(), 0, set()
while i < len(b):
    sp = b.find(b" ", i)
    if sp < 0:
        break
    n = int(b[i:sp])
    m = re.search(rb"seq=(\d+)$", b[sp + 1:sp + 1 + n])
    if m:
        out.add("seq=%d" % int(m.group(1)))
    i = sp + 1 + n
print("\n".join(sorted(out)))
PY
}

# --- 1. a flipped byte in a disk-buffer segment ---
RPORT=$(free_port)
HPORT=$(free_port)
write_conf "
[http]
listen = 127.0.0.1:$HPORT

[storage]
rotate_size = 0

[output r]
type = forward
target = 127.0.0.1:$RPORT
reconnect_max = 200ms
"
if want 1; then
start_daemon
lines 0 10000 > "$T/sent"
nc -N 127.0.0.1 "$PORT" < "$T/sent" || fail "send"
wait_lines "$T/events.log" 10000
stop_daemon
seg=$(ls -S "$T"/outbuf/r/*.seg | head -1)
size=$(stat -c %s "$seg")
[ "$size" -gt 100000 ] || fail "$seg: $size bytes, expected the 10000 events"
python3 - "$seg" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(0, 2)
    mid = f.tell() // 2
    f.seek(mid)
    b = f.read(1)
    f.seek(mid)
    f.write(bytes([b[0] ^ 0xff]))
PY
# The target: a TCP server that appends what it reads to a file.
python3 - "$RPORT" "$T/recv" <<'PY' &
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
out = open(sys.argv[2], "ab", buffering=0)
lock = threading.Lock()
def serve(c):
    while True:
        b = c.recv(65536)
        if not b:
            return
        with lock:
            out.write(b)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
track $!
: > "$T/daemon.err"
start_daemon
for i in $(seq 300); do
	[ "$(frame_seqs "$T/recv" 2>/dev/null | wc -l)" -ge 9999 ] && break
	sleep 0.1
done
sleep 0.3
curl -sf "http://127.0.0.1:$HPORT/metrics" > "$T/m.txt" || fail "GET /metrics"
dropped=$(awk '$1 == "logstreamd_output_events_total{output=\"r\",result=\"dropped\"}" { print $2 }' "$T/m.txt")
stop_daemon
seqs "$T/sent" > "$T/sent.set"
frame_seqs "$T/recv" > "$T/recv.set"
got=$(wc -l < "$T/recv.set")
missing=$(comm -23 "$T/sent.set" "$T/recv.set" | tr '\n' ' ')
[ -z "$(comm -13 "$T/sent.set" "$T/recv.set")" ] || fail "seqs received that were never sent"
[ "$got" -ge 9998 ] && [ "$got" -le 9999 ] ||
	fail "$got of 10000 delivered after one flipped byte (want all but the damaged record); missing: $(echo $missing | cut -c1-200)"
grep -q "$(basename "$seg"): a damaged record at offset [0-9]*: skipped" "$T/daemon.err" ||
	fail "the skip was not logged with the segment and offset"
[ "$dropped" = 1 ] || fail "the damaged record is not counted as dropped: '$dropped'"
pass "1. one flipped byte in a buffer segment: $got of 10000 delivered, missing $missing, counted (result=dropped $dropped); $(grep -o 'a damaged record at offset.*' "$T/daemon.err" | head -1)"
fi

# --- 2. symlinks at the disk buffer ---
# run_refused CONF: the daemon must exit non-zero by itself (it is killed
# after 10 s otherwise); its stderr in $T/refused.err.
run_refused() {
	"$BIN" -c "$1" >/dev/null 2>"$T/refused.err" &
	local pid=$! i
	track $pid
	for i in $(seq 200); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -9 $pid 2>/dev/null
	wait $pid
	RC=$?
}
if want 2; then
mkdir -p "$T/s/outbuf/r" "$T/s/elsewhere"
printf 'precious data\n' > "$T/s/target"
ln -s "$T/s/target" "$T/s/outbuf/r/0000000000000001.seg"
sed -e "s|$T/events.log|$T/s/events.log|" -e "s|$T/alerts.log|$T/s/alerts.log|" \
    "$T/test.conf" > "$T/s.conf"
run_refused "$T/s.conf"
[ "$(cat "$T/s/target")" = "precious data" ] ||
	fail "the symlinked segment's target was changed: $(stat -c %s "$T/s/target") bytes"
[ "$RC" != 0 ] && [ "$RC" != 137 ] || fail "a symlinked segment: exit $RC (want a refusal)"
grep -q "$T/s/outbuf/r/0000000000000001.seg: .*symlink: refused" "$T/refused.err" ||
	fail "the refusal does not name the path: $(cat "$T/refused.err")"
msg1=$(grep -m1 'symlink: refused' "$T/refused.err")
rm -rf "$T/s/outbuf/r"
ln -s "$T/s/elsewhere" "$T/s/outbuf/r"
run_refused "$T/s.conf"
[ -z "$(ls -A "$T/s/elsewhere")" ] || fail "wrote into a symlinked buffer directory: $(ls "$T/s/elsewhere")"
[ "$RC" != 0 ] && [ "$RC" != 137 ] || fail "a symlinked buffer directory: exit $RC"
grep -q "$T/s/outbuf/r: .*symlink: refused" "$T/refused.err" ||
	fail "the refusal does not name the directory: $(cat "$T/refused.err")"
pass "2. symlinks at a buffer segment and directory refused (exit $RC), target untouched: $msg1"
fi

# plant DIR SECOND SUFFIX EXT: a rotated file named (and mtime'd) at SECOND.
plant() {
	local f
	f="$1/events-$(date -u -d "@$2" +%Y%m%dT%H%M%SZ)$3.log"
	echo '{"planted":1}' > "$f"
	[ "$4" = .gz ] && gzip "$f"
	touch -d "@$2" "$f$4"
}

# store_conf DIR EXTRA: the daemon's config with its store in DIR.
store_conf() {
	mkdir -p "$1"
	write_conf "$2"
	sed -i "s|^path = $T/events.log|path = $1/events.log|" "$T/test.conf"
}

# stored_check DIR N: after the daemon stopped, the rotated (name order)
# and live files of DIR hold seq 0..N-1 once each, in the order sent, with
# the planted files first; prints "rotated-by-us largest-file first-name".
stored_check() {
	python3 - "$1" "$2" <<'PY'
import gzip, os, re, sys
d, n = sys.argv[1], int(sys.argv[2])
names = sorted(f for f in os.listdir(d)
               if re.match(r"events-\d{8}T\d{6}Z(_\d{3})?\.log(\.gz)?$", f))
seqs, ours, seen_ours, big, first = [], 0, False, 0, "-"
for f in names + ["events.log"]:
    p = os.path.join(d, f)
    data = gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()
    got = [int(x) for x in re.findall(rb"seq=(\d+)", data)]
    planted = b'"planted"' in data
    if planted and seen_ours:
        sys.exit("%s: a planted file sorts after a file rotated now" % f)
    if got and f != "events.log":
        if not seen_ours:
            first = f
        seen_ours, ours, big = True, ours + 1, max(big, len(data))
    seqs += got
if sorted(seqs) != list(range(n)):
    missing = sorted(set(range(n)) - set(seqs))
    sys.exit("stored %d seqs (%d distinct) of %d; %d missing, e.g. %s"
             % (len(seqs), len(set(seqs)), n, len(missing), missing[:5]))
if seqs != sorted(seqs):
    sys.exit("name order is not the order written")
print(ours, big, first)
PY
}

# wait_stored DIR N: until DIR's files hold N seqs (bounded).
wait_stored() {
	local i
	for i in $(seq 300); do
		[ "$(seqs "$1"/events*.log* 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
}

# --- 3. future-named rotated files and retention ---
if want 3; then
store_conf "$T/r3" "
[storage]
rotate_size = 64k
keep = 20
compress = none"
future=$(( $(date +%s) + 86400 ))
for i in $(seq 0 19); do plant "$T/r3" $((future + i)) "" ""; done
start_daemon
lines 0 3000 > "$T/sent3"
nc -N 127.0.0.1 "$PORT" < "$T/sent3" || fail "send 3"
wait_stored "$T/r3" 3000
# retention runs after each rotation: until it has cut back to keep
for i in $(seq 100); do
	[ "$(ls "$T/r3" | grep -cE '^events-.*Z(_[0-9]{3})?\.log')" -le 20 ] && break
	sleep 0.1
done
stop_daemon
out=$(stored_check "$T/r3" 3000 2>&1) ||
	fail "3. with 20 rotated files named a day ahead, keep = 20: $out"
set -- $out
[ "$1" -ge 5 ] && [ "$1" -le 20 ] || fail "3. $1 rotations (want 5..20 for ~600 KB at 64k)"
pass "3. 20 rotated files named a day ahead, keep = 20: all 3000 seqs kept across $1 new rotations; the planted files went first"
fi

# --- 4. a future name with the last same-second suffix; rotate_size ---
if want 4; then
store_conf "$T/r4" "
[storage]
rotate_size = 64k
keep = 1000
compress = none"
future=$(( $(date +%s) + 3600 ))
plant "$T/r4" $future "" ""
plant "$T/r4" $future _999 .gz
start_daemon
lines 0 3000 > "$T/sent4"
nc -N 127.0.0.1 "$PORT" < "$T/sent4" || fail "send 4"
wait_stored "$T/r4" 3000
stop_daemon
out=$(stored_check "$T/r4" 3000 2>&1) ||
	fail "4. names an hour ahead (last suffix _999 used): $out"
set -- $out
[ "$1" -ge 5 ] || fail "4. only $1 rotations at rotate_size = 64k"
[ "$2" -le 65536 ] || fail "4. a rotated file of $2 bytes, over rotate_size"
[ "$(stat -c %s "$T/r4/events.log")" -le 65536 ] || fail "4. the live file is over rotate_size"
pass "4. names an hour ahead with _999 used: $1 rotations at 64k (largest $2 bytes), named after the planted ones ($(cd "$T/r4" && LC_ALL=C ls | head -2 | tr '\n' ' ')), in the order written from $3"
fi

# --- 5. fsync fails: positions held, a restart reads again ---
if want 5; then
mkdir -p "$T/r5" "$T/logs5"
HP5=$(free_port)
SYNC=200ms write_conf "
[input app]
type = tail
path = $T/logs5/*.log
state = $T/r5.state
start = beginning

[http]
listen = 127.0.0.1:$HP5"
sed -i "s|^path = $T/events.log|path = $T/r5/events.log|" "$T/test.conf"
# pos: the offset saved for logs5/app.log (0 before any)
pos() { awk 'NR == 2 { print $3 }' "$T/r5.state" 2>/dev/null || echo 0; }
LOGSTREAMD_TEST_FSYNC_FAIL_FILE=$T/fail5 start_daemon
lines 0 1000 >> "$T/logs5/app.log"
size1=$(stat -c %s "$T/logs5/app.log")
wait_stored "$T/r5" 1000
for i in $(seq 200); do [ "$(pos)" = "$size1" ] && break; sleep 0.05; done
[ "$(pos)" = "$size1" ] || fail "5. position $(pos) saved, not the file's $size1 bytes, with syncs working"
touch "$T/fail5"
lines 1000 2000 >> "$T/logs5/app.log"
wait_stored "$T/r5" 2000
for i in $(seq 200); do
	curl -s "http://127.0.0.1:$HP5/health" > "$T/h5"
	grep -q "fsync calls failed" "$T/h5" && break
	sleep 0.05
done
grep -q "fsync calls failed" "$T/h5" || fail "5. /health does not say fsync failed: $(cat "$T/h5")"
errs=$(curl -s "http://127.0.0.1:$HP5/metrics" | sed -n 's/^logstreamd_storage_sync_errors_total //p')
[ "${errs:-0}" -gt 0 ] || fail "5. logstreamd_storage_sync_errors_total is ${errs:-absent}"
grep -q "fsync failed: what was written since the last good sync" "$T/daemon.err" ||
	fail "5. the held positions are not logged"
sleep 1	# five sync periods more: none may move the position
[ "$(pos)" = "$size1" ] || fail "5. position $(pos) saved after an fsync failed (held at $size1 wanted)"
rm -f "$T/fail5"
stop_daemon
[ "$(pos)" = "$size1" ] || fail "5. position $(pos) saved at the stop after an fsync failed (held at $size1 wanted)"
start_daemon
for i in $(seq 300); do
	[ "$(grep -c 'seq=' "$T/r5/events.log")" -ge 3000 ] && break
	sleep 0.05
done
stop_daemon
python3 - "$T/r5/events.log" <<'PY' || fail "5. after the restart: not every seq, or wrong repeats"
import collections, re, sys
c = collections.Counter(int(x) for x in re.findall(r"seq=(\d+)", open(sys.argv[1]).read()))
assert set(c) == set(range(2000)), "missing %s" % sorted(set(range(2000)) - set(c))[:5]
assert all(c[i] == 1 for i in range(1000)), "before the failure: repeated"
assert all(c[i] == 2 for i in range(1000, 2000)), "after it: %s" % collections.Counter(c[i] for i in range(1000, 2000))
PY
pass "5. fsync failing (EIO): the saved position held at $size1 bytes while 1000 more lines were stored, $errs failures counted, /health degraded; a restart read them again: seqs 0-999 once, 1000-1999 twice, none lost"
fi
