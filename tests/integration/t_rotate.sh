#!/bin/bash
# t_rotate: rotation under load, on real files with the real daemon.
# 1. rotate_size = 256k, 100,000 gen.py lines (~32 MB, ~120 rotations) over
#    TCP as fast as nc sends:
#    every seq is stored exactly once across the live file and the gzipped
#    rotated files, no file is over 256k, rotated names sort by time
#    (same-second rotations get _NNN suffixes: as many as there are
#    rotations beyond one in a second, however fast), zcat | jq reads each rotated
#    file, no temporary file is left, files are 0640.  Alerts rotate (64k)
#    with every alert line kept once.
# 1b. `tail -F -n +1` on events.log and alerts.log during a 60,000-line
#    flood (rotate_size 512k: ~37 rotations): each tail sees every line
#    once.  (A follower by name can only miss a file that lives shorter
#    than its reaction time: the sender waits, every 500 lines, until both
#    tails have caught up, so no file comes and goes unseen however slow
#    the machine is.)  Rotations, not bytes, are what these parts need:
#    the gzip worker runs niced, and on a busy machine it is the bytes it
#    compresses that take the time.
# 2. keep = 3 is honoured; max_total bounds the rotated bytes; max_age
#    deletes rotated files older than it (against the newest rotation's
#    own time stamp, so a late check cannot fail it).
# 3. rotate_interval rotates by time, also a file that stays quiet.
. "$(dirname "$0")/lib.sh"
SEQCHECK="python3 $(dirname "$0")/seqcheck.py"

# all_events DIR BASE: the rotated files (in name order) and the live one.
all_events() {
	local f
	for f in $(cd "$1" && LC_ALL=C ls | grep -E "^$2-[0-9]{8}T[0-9]{6}Z(_[0-9]{3})?\.log(\.gz)?$"); do
		case $f in *.gz) zcat "$1/$f" ;; *) cat "$1/$f" ;; esac
	done
	cat "$1/$2.log"
}

# --- 1. under load, with tail -F on both files ---
HPORT=$(free_port)
# stored N: until the daemon has stored N events (its own count).
stored() {
	local i
	for i in $(seq 1200); do
		[ "$(curl -s "127.0.0.1:$HPORT/metrics" |
		    awk '$1 == "logstreamd_events_stored_total" { print $2 }')" = "$1" ] && return 0
		sleep 0.1
	done
	fail "not $1 events stored in 120 s"
}
write_conf "format = json
rotate_size = 64k
keep = 1000
[storage]
rotate_size = 256k
keep = 1000
[class fail]
message = Failed password
[alert fail]
class = fail
[http]
listen = 127.0.0.1:$HPORT"
cp "$T/test.conf" "$T/test1.conf"
start_daemon
python3 "$GEN" 100000 > "$T/sent.log"
nc -N 127.0.0.1 $PORT < "$T/sent.log" || fail "sender failed"
stored 100000
# Until the worker has gzipped the last rotated ones (it does so by itself).
for i in $(seq 600); do
	ls "$T" | grep -qE '^(events|alerts)-.*\.log$' || break
	sleep 0.1
done
stop_daemon
all_events "$T" events 2>/dev/null > "$T/stored.all"
$SEQCHECK --all "$T/stored.all" "$T/sent.log" || fail "stored seq set differs from sent"
nrot=$(ls "$T" | grep -cE '^events-.*\.log\.gz$')
[ "$nrot" -ge 100 ] || fail "only $nrot rotated gz files for ~32 MB"
ls "$T" | grep -qE '^events-.*\.log$' && fail "rotated files left uncompressed"
ls -a "$T" | grep -q '\.tmp$' && fail "temporary files left"
# every name carries _NNN: those past _000 are the second and later of a second
nsfx=$(ls "$T" | grep -cE '^events-.*Z_([1-9][0-9]{2}|0[1-9][0-9]|00[1-9])\.log\.gz$')
nsec=$(ls "$T" | sed -nE 's/^events-([0-9]{8}T[0-9]{6}Z)(_[0-9]{3})?\.log\.gz$/\1/p' | sort -u | wc -l)
[ "$nsfx" = $((nrot - nsec)) ] ||
	fail "$nrot rotations in $nsec distinct seconds, but $nsfx suffixes past _000"
python3 - "$T" <<'PY' || fail "size, order or permission check failed"
import gzip, json, os, re, stat, sys
d = sys.argv[1]
names = sorted(n for n in os.listdir(d) if re.match(r"events-\d{8}T\d{6}Z(_\d{3})?\.log\.gz$", n))
prev = ""
for n in names + ["events.log"]:
    p = os.path.join(d, n)
    mode = stat.S_IMODE(os.lstat(p).st_mode)
    if mode != 0o640:
        sys.exit("%s: mode %o" % (n, mode))
    data = gzip.open(p).read() if n.endswith(".gz") else open(p, "rb").read()
    if len(data) > 256 << 10:
        sys.exit("%s: %d bytes, over rotate_size" % (n, len(data)))
    lines = data.split(b"\n")
    if lines[-1] != b"":
        sys.exit("%s: ends inside a line" % n)
    first = json.loads(lines[0])["received"]
    if first < prev:
        sys.exit("%s: name order is not time order" % n)
    prev = json.loads(lines[-2])["received"]
print("%d rotated files, each <= 256 KiB, name order = time order, mode 0640" % len(names))
PY
for f in $(ls "$T" | grep -E '^events-.*\.gz$' | head -5); do
	zcat "$T/$f" | jq -c . > /dev/null || fail "jq cannot read $f"
done
# Alerts: the rotated and live alert files hold each alert once; tail too.
for f in $(cd "$T" && LC_ALL=C ls | grep -E '^alerts-.*\.log\.gz$'); do zcat "$T/$f"; done > "$T/alerts.all"
cat "$T/alerts.log" >> "$T/alerts.all"
arot=$(ls "$T" | grep -cE '^alerts-.*\.log\.gz$')
[ "$arot" -ge 3 ] || fail "alerts.log rotated only $arot times"
cat > "$T/alertcheck.py" <<'PY'
import json, re, sys
# Alert msg is the event's message: seq=K in it, except for JSON events
# (their seq is a field), which are counted.
def seqs(p):
    out, noseq = [], 0
    for line in open(p, "rb"):
        m = re.search(r"seq=(\d+)", json.loads(line)["msg"])
        if m:
            out.append(int(m.group(1)))
        else:
            noseq += 1
    return out, noseq
want, want_noseq = set(), 0
for l in open(sys.argv[-1]):
    if "Failed password" in l:
        m = re.search(r"seq=(\d+)", l)
        if m:
            want.add(int(m.group(1)))
        else:
            want_noseq += 1
for p in sys.argv[1:-1]:
    s, noseq = seqs(p)
    if len(s) != len(set(s)) or set(s) != want or noseq != want_noseq:
        sys.exit("%s: %d alerts, %d distinct, %d without seq; want %d + %d" %
                 (p, len(s), len(set(s)), noseq, len(want), want_noseq))
print("alerts: %d, each once" % (len(want) + want_noseq))
PY
python3 "$T/alertcheck.py" "$T/alerts.all" "$T/sent.log" || fail "alert lines lost or repeated"
pass "100,000 events in $nrot gz files + live, none over 256k ($nsfx same-second suffixes in $nsec seconds), $arot alert rotations"

# --- 1b. tail -F across rotations ---
rm -f "$T"/events* "$T"/alerts*
sed 's/^rotate_size = 256k$/rotate_size = 512k/' "$T/test1.conf" > "$T/test.conf"
start_daemon
tail -F -n +1 "$T/events.log" > "$T/tail.events" 2>/dev/null & TE=$!; track $TE
tail -F -n +1 "$T/alerts.log" > "$T/tail.alerts" 2>/dev/null & TA=$!; track $TA
python3 "$GEN" 60000 9 > "$T/sent2.log"
# 1500 lines at a time, each once both tails have every line and alert
# sent before it: at most 1500 lines (~45 alerts, about 380k of JSON)
# unread, less than one file of either, so tail -F never has a file
# rotated past it unseen.  (Not smaller steps: where tail -F polls, once a
# second, as it did in a minimal Debian root, 120 steps took 178-300 s.)
python3 - $PORT "$T/sent2.log" "$T/tail.events" "$T/tail.alerts" <<'PY' || fail "tail -F fell behind for good"
import socket, sys, time
lines = open(sys.argv[2], "rb").readlines()
class Lines:
    def __init__(self, path):
        self.path, self.f, self.n = path, None, 0
    def count(self):
        if self.f is None:
            try:
                self.f = open(self.path, "rb")
            except OSError:
                return 0
        while True:
            b = self.f.read(1 << 20)
            if not b:
                return self.n
            self.n += b.count(b"\n")
ev, al = Lines(sys.argv[3]), Lines(sys.argv[4])
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
alerts = 0
for i in range(0, len(lines), 1500):
    chunk = lines[i:i + 1500]
    s.sendall(b"".join(chunk))
    alerts += sum(1 for l in chunk if b"Failed password" in l)
    deadline = time.time() + 60
    while ev.count() < i + len(chunk) or al.count() < alerts:
        if time.time() > deadline:
            sys.exit("tails at %d lines, %d alerts; sent %d, %d" % (ev.n, al.n, i + len(chunk), alerts))
        time.sleep(0.002)
s.close()
PY
wait_lines "$T/tail.events" 60000 60
stop_daemon
kill $TE $TA 2>/dev/null
nrot=$(ls "$T" | grep -cE '^events-.*\.log(\.gz)?$')
arot=$(ls "$T" | grep -cE '^alerts-.*\.log(\.gz)?$')
[ "$nrot" -ge 20 ] && [ "$arot" -ge 2 ] || fail "too few rotations: $nrot events, $arot alerts"
$SEQCHECK --all "$T/tail.events" "$T/sent2.log" || fail "tail -F of events.log missed or repeated lines"
python3 "$T/alertcheck.py" "$T/tail.alerts" "$T/sent2.log" || fail "tail -F of alerts.log missed or repeated lines"
pass "tail -F saw each of 60,000 events once over $nrot rotations, each alert once over $arot alert rotations"

# --- 2. retention: keep, max_total, max_age ---
# retention_run KEYS LINES BURSTS PAUSE: the storage KEYS, BURSTS bursts of
# LINES lines, each stored before the PAUSE before the next.
retention_run() {
	rm -f "$T"/events*
	write_conf "[http]
listen = 127.0.0.1:$HPORT"
	python3 - "$T/test.conf" "$1" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("[alerts]\n", sys.argv[2].replace("\\n", "\n") + "\n[alerts]\n", 1)
open(p, "w").write(s)
PY
	start_daemon
	local i
	for i in $(seq $3); do
		[ $i = 1 ] || sleep $4
		python3 "$GEN" $2 $i | nc -N 127.0.0.1 $PORT
		stored $(($2 * i))
	done
}
# settled CHECK: until the rotation worker has done its part (deleting,
# gzip) and CHECK (a shell condition) holds, 30 s at most.
settled() {
	local i
	for i in $(seq 300); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}
gzipped() { ! ls "$T" | grep -qE '^events-.*\.log$'; }
nrot() { ls "$T" | grep -cE '^events-.*\.log(\.gz)?$'; }
retention_run 'rotate_size = 256k\nkeep = 3' 20000 1 0
settled 'gzipped && [ "$(nrot)" -le 3 ]' || :
stop_daemon
n=$(nrot)
[ "$n" = 3 ] || fail "keep = 3: $n rotated files"
retention_run 'rotate_size = 64k\nkeep = 1000\ncompress = none\nmax_total = 256k' 10000 1 0
bytes() { ls -l "$T" | awk '$9 ~ /^events-.*\.log$/ {s += $5; n++} END {print s+0, n+0}'; }
settled 'set -- $(bytes); [ "$1" -le 262144 ]' || :
stop_daemon
set -- $(bytes)
[ "$1" -le 262144 ] && [ "$2" -ge 3 ] || fail "max_total = 256k: $2 files, $1 bytes"
tot="$2 files of $1 bytes"
# Two bursts 3.5 s apart: at the second one's rotations the first one's
# files (>= 2.5 s older by the second in their names) are past max_age.
# Checked against the newest rotated file's own second (when the last
# deletion pass ran, at or after it): every file left is at most max_age
# older than it, and the first burst's are gone.
retention_run 'rotate_size = 64k\nkeep = 1000\nmax_age = 2s' 2000 2 3.5
settled gzipped || :
made=$(curl -s "127.0.0.1:$HPORT/metrics" | awk '$1 == "logstreamd_rotations_total" { print $2 }')
stop_daemon
python3 - "$T" "$made" <<'PY' || fail "max_age = 2s not honoured"
import calendar, os, re, sys, time
secs = [calendar.timegm(time.strptime(m.group(1), "%Y%m%dT%H%M%SZ"))
        for m in (re.match(r"events-(\d{8}T\d{6}Z)", n) for n in os.listdir(sys.argv[1])) if m]
made = int(sys.argv[2])
if not secs or max(secs) - min(secs) > 2 or len(secs) >= made:
    sys.exit("%d rotations, left: %s" % (made, sorted(max(secs) - s for s in secs)))
print("max_age: %d of %d rotated files left, the oldest %d s older than the newest" %
      (len(secs), made, max(secs) - min(secs)))
PY
pass "keep = 3 leaves 3 files; max_total = 256k leaves $tot; max_age = 2s deletes older ones"

# --- 3. rotate_interval, also for a quiet file ---
# Each tick is rotated out by time (the live file found empty, one more
# rotated file), the last one with nothing written after it.
rm -f "$T"/events*
write_conf
sed -i 's/^\[alerts\]/rotate_interval = 1s\n[alerts]/' "$T/test.conf"
start_daemon
for i in 1 2 3; do
	echo "<13>Nov 23 20:14:14 h app: tick seq=$i" | nc -N 127.0.0.1 $PORT
	for j in $(seq 300); do
		[ "$(nrot)" -ge $i ] && [ -e "$T/events.log" ] && [ ! -s "$T/events.log" ] && break
		sleep 0.05
	done
	[ "$(nrot)" -ge $i ] && [ ! -s "$T/events.log" ] ||
		fail "rotate_interval = 1s: tick $i not rotated out in 15 s ($(nrot) rotated files)"
done
n=$(nrot)
stop_daemon
pass "rotate_interval = 1s: $n rotated files, the quiet live file rotated too"
