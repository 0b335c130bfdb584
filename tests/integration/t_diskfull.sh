#!/bin/bash
# t_diskfull: storage that cannot be written, for real, and recovers.
# 1. ENOSPC: storage on a 32 MB loop-mounted ext4 with a 24 MB ballast file;
#    a 60,000-line TCP flood fills it.  The daemon stays up, its CPU time
#    grows little over 3 s (no busy loop), it logs the failure once per 10 s
#    (rate-limited), the TCP sender is held, UDP datagrams are dropped and
#    counted (queue_full).  After the ballast is removed writing resumes by
#    itself and every TCP event is stored exactly once.
# 2. The storage directory removed: events are held, not written to the
#    unlinked file; once the directory is made again they all arrive.
# 3. EACCES (daemon run as nobody): the live file removed and its directory
#    made read-only: held; writable again: all arrive.
# Needs root and a loop device; says so and fails if there is none.
. "$(dirname "$0")/lib.sh"
SEQCHECK="python3 $(dirname "$0")/seqcheck.py"

cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

[ "$(id -u)" = 0 ] || fail "needs root (loop mount, setpriv)"
losetup -f > /dev/null 2>&1 || fail "no loop device available (losetup -f failed): cannot test ENOSPC"

# --- 1. ENOSPC on a loop filesystem ---
truncate -s 32M "$T/img"
mkfs.ext4 -q "$T/img" || fail "mkfs.ext4 failed"
mkdir "$T/mnt"
mount -o loop "$T/img" "$T/mnt" || fail "loop mount failed"
trap 'umount -l "$T/mnt" 2>/dev/null; cleanup' EXIT
avail=$(df -k --output=avail "$T/mnt" | tail -1)
dd if=/dev/zero of="$T/mnt/ballast" bs=1k count=$((avail - 5 * 1024)) status=none 2>/dev/null
CAPACITY=4096 write_conf
sed -i "s|^path = $T/events.log|path = $T/mnt/events.log\nrotate_size = 0\ncompress = none|" "$T/test.conf"
start_daemon
python3 "$GEN" 60000 > "$T/sent.log"
nc -N 127.0.0.1 $PORT < "$T/sent.log" & NC=$!; track $NC
wait_grep "$T/daemon.err" "No space left" 60
t_full=$(date +%s)
sleep 1
c1=$(cpu_ticks $DPID)
sleep 3
c2=$(cpu_ticks $DPID)
python3 - $PORT <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000000, 3003000):
    s.sendto(b"<13>Nov 23 20:14:14 u app: udp seq=%d" % i, ("127.0.0.1", int(sys.argv[1])))
    if i % 50 == 49:
        time.sleep(0.001)
PY
sleep 1
kill -0 $DPID || fail "daemon died on a full disk"
kill -0 $NC 2>/dev/null || fail "the TCP sender was not held while the disk was full"
[ $((c2 - c1)) -le 30 ] || fail "CPU grew $((c2 - c1)) ticks in 3 s while the disk was full (busy loop?)"
nmsg=$(grep -c "No space left" "$T/daemon.err")
# Once per 10 s (+1: the first may come with the write and the cut-back
# lines), counted against the time that really passed on this machine.
secs=$(( $(date +%s) - t_full + 1 ))
[ "$nmsg" -le $((2 + secs / 10)) ] || fail "$nmsg ENOSPC diagnostics in ${secs} s: not rate-limited"
rm "$T/mnt/ballast"
wait $NC || fail "sender failed after space came back"
wait_lines "$T/mnt/events.log" 60000 60
sleep 1
stop_daemon
python3 - "$T/mnt/events.log" "$T/tcp.stored" <<'PY'
import json, sys
with open(sys.argv[2], "w") as t:
    for line in open(sys.argv[1]):
        if json.loads(line)["transport"] == "tcp":
            t.write(line)
PY
$SEQCHECK --all "$T/tcp.stored" "$T/sent.log" || fail "TCP events lost or repeated around ENOSPC"
qf=$(summary_value queue_full)
[ "$qf" -gt 0 ] || fail "no UDP drop counted while the disk was full"
pass "ENOSPC: held, CPU +$((c2 - c1)) ticks in 3 s, $nmsg diagnostic line(s), $qf UDP drops counted (queue_full); all 60,000 TCP events after space came back"
umount "$T/mnt"

# --- 2. the directory removed ---
mkdir -p "$T/d"
write_conf
sed -i "s|^path = $T/events.log|path = $T/d/events.log|" "$T/test.conf"
start_daemon
python3 "$GEN" 2000 1 > "$T/a.log"
python3 -c 'for i in range(100000, 102000): print("<13>Nov 23 20:14:14 h app: b seq=%d" % i)' > "$T/b.log"
nc -N 127.0.0.1 $PORT < "$T/a.log"
wait_lines "$T/d/events.log" 2000
cp "$T/d/events.log" "$T/a.stored"
rm -rf "$T/d"
nc -N 127.0.0.1 $PORT < "$T/b.log"
wait_grep "$T/daemon.err" "live file was removed"
sleep 1
c1=$(cpu_ticks $DPID); sleep 2; c2=$(cpu_ticks $DPID)
[ -e "$T/d" ] && fail "the daemon made the removed directory again by itself"
[ $((c2 - c1)) -le 20 ] || fail "CPU grew $((c2 - c1)) ticks in 2 s while the directory was gone"
mkdir "$T/d"
wait_lines "$T/d/events.log" 2000 30
stop_daemon
cat "$T/a.stored" "$T/d/events.log" > "$T/ab.stored"
$SEQCHECK --all "$T/ab.stored" "$T/a.log" "$T/b.log" || fail "events lost or repeated around the removed directory"
pass "directory removed: held (CPU +$((c2 - c1)) ticks in 2 s), all 2,000 later events stored once the directory is back"

# --- 3. EACCES, the daemon running as nobody ---
chmod 755 "$T"
mkdir -p "$T/p"
chown nobody:nogroup "$T/p"
write_conf
sed -i "s|^path = $T/events.log|path = $T/p/events.log|; s|^path = $T/alerts.log|path = $T/p/alerts.log|" "$T/test.conf"
chmod 644 "$T/test.conf"
printf '#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups %s "$@"\n' "$BIN" > "$T/asnobody"
chmod 755 "$T/asnobody"
BIN_REAL=$BIN
BIN=$T/asnobody
start_daemon
BIN=$BIN_REAL
nc -N 127.0.0.1 $PORT < "$T/a.log"
wait_lines "$T/p/events.log" 2000
cp "$T/p/events.log" "$T/a.stored"
rm "$T/p/events.log"
chmod 0555 "$T/p"
nc -N 127.0.0.1 $PORT < "$T/b.log"
wait_grep "$T/daemon.err" "Permission denied"
[ -e "$T/p/events.log" ] && fail "events.log created in a read-only directory?"
chmod 0755 "$T/p"
wait_lines "$T/p/events.log" 2000 30
stop_daemon
cat "$T/a.stored" "$T/p/events.log" > "$T/ab.stored"
$SEQCHECK --all "$T/ab.stored" "$T/a.log" "$T/b.log" || fail "events lost or repeated around EACCES"
pass "EACCES: held with '$(grep -m1 -o 'storage .*Permission denied' "$T/daemon.err")', all 2,000 events once the directory is writable"
