#!/bin/bash
# t_faults_store.sh: storage faults seen on the real daemon (issue 19).
# 1. A flipped byte in the middle of a forward output's disk-buffer segment
#    (target down, 10,000 events buffered, daemon stopped): after a restart
#    with the target up, every event but the damaged one reaches the target
#    and the skip is logged with the segment and its offset.
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
write_conf "
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
pass "1. one flipped byte in a buffer segment: $got of 10000 delivered, missing $missing; $(grep -o 'a damaged record at offset.*' "$T/daemon.err" | head -1)"
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
