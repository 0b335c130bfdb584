#!/bin/bash
# t_rotate: rotation under load, on real files with the real daemon.
# 1. rotate_size = 1M, 500,000 gen.py lines over TCP as fast as nc sends:
#    every seq is stored exactly once across the live file and the gzipped
#    rotated files, no file is over 1M, rotated names sort by time
#    (same-second rotations get _NNN suffixes), zcat | jq reads each rotated
#    file, no temporary file is left, files are 0640.  Alerts rotate (64k)
#    with every alert line kept once.
# 1b. `tail -F -n +1` on events.log and alerts.log during a 200,000-line
#    flood (~30,000 lines/s, ~60 rotations): each tail sees every line once.
#    (A follower by name can only miss a file that lives shorter than its
#    reaction time; at full nc speed on two cores files live ~30 ms.)
# 2. keep = 3 is honoured; max_total bounds the rotated bytes; max_age
#    deletes rotated files older than it.
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
write_conf "format = json
rotate_size = 64k
keep = 1000
[storage]
rotate_size = 1M
keep = 1000
[class fail]
message = Failed password
[alert fail]
class = fail"
cp "$T/test.conf" "$T/test1.conf"
start_daemon
python3 "$GEN" 500000 > "$T/sent.log"
nc -N 127.0.0.1 $PORT < "$T/sent.log" || fail "sender failed"
wait_lines "$T/events.log" 1 60
for i in $(seq 600); do
	n=$(all_events "$T" events 2>/dev/null | wc -l)
	[ "$n" -ge 500000 ] && break
	sleep 0.1
done
sleep 2		# let tail catch up and the worker gzip the last ones
stop_daemon
for i in $(seq 100); do
	ls "$T" | grep -qE '^events-.*\.log$' || break
	sleep 0.1
done
all_events "$T" events 2>/dev/null > "$T/stored.all"
$SEQCHECK --all "$T/stored.all" "$T/sent.log" || fail "stored seq set differs from sent"
nrot=$(ls "$T" | grep -cE '^events-.*\.log\.gz$')
[ "$nrot" -ge 100 ] || fail "only $nrot rotated gz files for ~150 MB"
ls "$T" | grep -qE '^events-.*\.log$' && fail "rotated files left uncompressed"
ls -a "$T" | grep -q '\.tmp$' && fail "temporary files left"
nsfx=$(ls "$T" | grep -cE '^events-.*Z_([1-9][0-9]{2}|0[1-9][0-9]|00[1-9])\.log\.gz$')
[ "$nsfx" -gt 0 ] || fail "no same-second rotation happened (expected at this rate)"
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
    if len(data) > 1 << 20:
        sys.exit("%s: %d bytes, over rotate_size" % (n, len(data)))
    lines = data.split(b"\n")
    if lines[-1] != b"":
        sys.exit("%s: ends inside a line" % n)
    first = json.loads(lines[0])["received"]
    if first < prev:
        sys.exit("%s: name order is not time order" % n)
    prev = json.loads(lines[-2])["received"]
print("%d rotated files, each <= 1 MiB, name order = time order, mode 0640" % len(names))
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
pass "500,000 events in $nrot gz files + live, none over 1M ($nsfx same-second suffixes), $arot alert rotations"

# --- 1b. tail -F across rotations ---
rm -f "$T"/events* "$T"/alerts*
cp "$T/test1.conf" "$T/test.conf"
start_daemon
tail -F -n +1 "$T/events.log" > "$T/tail.events" 2>/dev/null & TE=$!; track $TE
tail -F -n +1 "$T/alerts.log" > "$T/tail.alerts" 2>/dev/null & TA=$!; track $TA
sleep 0.3
python3 "$GEN" 200000 9 > "$T/sent2.log"
python3 - $PORT "$T/sent2.log" <<'PY' || fail "paced sender failed"
import socket, sys, time
lines = open(sys.argv[2], "rb").readlines()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(0, len(lines), 2000):
    s.sendall(b"".join(lines[i:i + 2000])); time.sleep(0.05)
s.close()
PY
wait_lines "$T/tail.events" 200000 60
sleep 1
stop_daemon
kill $TE $TA 2>/dev/null
nrot=$(ls "$T" | grep -cE '^events-.*\.log(\.gz)?$')
arot=$(ls "$T" | grep -cE '^alerts-.*\.log(\.gz)?$')
[ "$nrot" -ge 20 ] && [ "$arot" -ge 2 ] || fail "too few rotations: $nrot events, $arot alerts"
$SEQCHECK --all "$T/tail.events" "$T/sent2.log" || fail "tail -F of events.log missed or repeated lines"
python3 "$T/alertcheck.py" "$T/tail.alerts" "$T/sent2.log" || fail "tail -F of alerts.log missed or repeated lines"
pass "tail -F saw each of 200,000 events once over $nrot rotations, each alert once over $arot alert rotations"

# --- 2. retention: keep, max_total, max_age ---
retention_run() {	# $1: extra storage keys; $2: lines per burst; $3: bursts; $4: pause
	rm -f "$T"/events*
	write_conf
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
	done
	sleep 1.5
}
retention_run 'rotate_size = 256k\nkeep = 3' 20000 1 0
stop_daemon
n=$(ls "$T" | grep -cE '^events-.*\.log(\.gz)?$')
[ "$n" = 3 ] || fail "keep = 3: $n rotated files"
retention_run 'rotate_size = 64k\nkeep = 1000\ncompress = none\nmax_total = 256k' 10000 1 0
stop_daemon
tot=$(ls -l "$T" | awk '$9 ~ /^events-.*\.log$/ {s += $5; n++} END {print s+0, n+0}')
set -- $tot
[ "$1" -le 262144 ] && [ "$2" -ge 3 ] || fail "max_total = 256k: $2 files, $1 bytes"
# Bursts 3.5 s apart: at each burst's rotations the files of the one
# before (>= 3 s old by the second in their name) go.
retention_run 'rotate_size = 64k\nkeep = 1000\nmax_age = 2s' 2000 3 3.5
python3 - "$T" <<'PY' || fail "max_age = 2s not honoured"
import calendar, os, re, sys, time
now = time.time()
ages = [now - calendar.timegm(time.strptime(m.group(1), "%Y%m%dT%H%M%SZ"))
        for m in (re.match(r"events-(\d{8}T\d{6}Z)", n) for n in os.listdir(sys.argv[1])) if m]
if not ages or max(ages) > 2 + 1 + 1.5:
    sys.exit("ages %s" % sorted(ages))
print("max_age: %d rotated files, the oldest %.1f s old by its name" % (len(ages), max(ages)))
PY
stop_daemon
pass "keep = 3 leaves 3 files; max_total = 256k leaves $2 files of $1 bytes; max_age = 2s deletes older ones"

# --- 3. rotate_interval, also for a quiet file ---
rm -f "$T"/events*
write_conf
sed -i 's/^\[alerts\]/rotate_interval = 1s\n[alerts]/' "$T/test.conf"
start_daemon
for i in 1 2 3; do
	echo "<13>Nov 23 20:14:14 h app: tick seq=$i" | nc -N 127.0.0.1 $PORT
	sleep 1.5
done
n=$(ls "$T" | grep -cE '^events-.*\.log(\.gz)?$')
[ "$n" -ge 3 ] || fail "rotate_interval = 1s: $n rotated files after 4.5 s"
[ -s "$T/events.log" ] && fail "a quiet live file was not rotated on time"
stop_daemon
pass "rotate_interval = 1s: $n rotated files, the quiet live file rotated too"
