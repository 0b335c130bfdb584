#!/bin/bash
# t_alerts_tree: a templated [alerts] path (alerts/{host}/{class}.log), on
# the store's template and file engine.
# 0. -t refuses an unknown placeholder in [alerts] path, takes known ones.
# 1. Two hosts, two classes, plus hostile host names (../../etc, /etc, ..,
#    empty, NUL, newline, control bytes, 300 bytes): every alert line is in
#    the file of its own host and class (the host made path-safe as for
#    storage), an absence alert in its silent group's host file; no file
#    outside the alerts directory.
# 2. One host's file rotates by itself (rotate_size, keep = 2, gzip) while
#    the others do not, and tail -F of it sees the lines written before
#    and after its rotations.
. "$(dirname "$0")/lib.sh"

RULES='
[class auth]
message = Failed password

[class disk]
message = disk full

[alert auth_any]
class = auth
threshold = 1
group_by = host

[alert disk_any]
class = disk
threshold = 1
group_by = host

[alert auth_quiet]
class = auth
type = absence
for = 1s
group_by = host'

# alerts_conf TEMPLATE EXTRA: write_conf with [alerts] path = TEMPLATE
# below $T/al, format json.
alerts_conf() {
	write_conf "format = json
${2:-}
$RULES"
	sed -i "s|^path = $T/alerts.log|path = $T/al/$1|" "$T/test.conf"
}

# 0. -t
alerts_conf "{host}/{clas}.log"
"$BIN" -t -c "$T/test.conf" > /dev/null 2> "$T/t.err" && fail "-t took {clas}"
grep -q "test.conf:[0-9]*: unknown placeholder .*{clas}" "$T/t.err" || fail "-t: $(cat "$T/t.err")"
alerts_conf "{host}/{class}-{date}.log"
"$BIN" -t -c "$T/test.conf" > /dev/null 2> "$T/t.err" || fail "-t refused {host}/{class}-{date}.log: $(cat "$T/t.err")"
pass "-t: an unknown placeholder in [alerts] path is an error, {host}/{class}-{date}.log is taken"

# 1. Two hosts, two classes, hostile names.
alerts_conf "{host}/{class}.log" "rotate_size = 3k
keep = 2"
start_daemon
python3 - "$T/in.log" <<'PY'
import json, sys
hosts = ["web01", "web02", "../../etc", "/etc", "..", "", "x" * 300, "a\u0000b",
         "a\nb", "\u0001\u001f", "é" * 100]
with open(sys.argv[1], "w") as out:
    for i, h in enumerate(hosts):
        out.write(json.dumps({"host": h, "msg": "Failed password %d" % i}) + "\n")
        out.write(json.dumps({"host": h, "msg": "disk full %d" % i}) + "\n")
    out.write(json.dumps({"host": "web01", "msg": "Failed password again"}) + "\n")
PY
touch "$T/marker"
nc -N 127.0.0.1 "$PORT" < "$T/in.log" || fail "nc"
wait_lines "$T/events.log" 23
# 23 threshold lines, then 11 absence lines (auth_quiet) after 1 s.
count() { find "$T/al" -name '*.log' -exec cat {} + 2>/dev/null | wc -l; }
for i in $(seq 200); do [ "$(count)" -ge 34 ] && break; sleep 0.05; done
[ "$(count)" = 34 ] || fail "$(count) alert lines, want 23 + 11 absence"
outside=$(find "$T" -newer "$T/marker" -type f ! -path "$T/al/*" ! -name 'daemon.*' \
    ! -name events.log ! -path "$T/run/*")
[ -z "$outside" ] || fail "files outside the alerts directory: $outside"
python3 - "$T/al" <<'PY' || fail "an alert line is not in the file of its host and class"
import json, os, sys
root = os.path.realpath(sys.argv[1])
def safe(h):
    b = h.encode()
    if len(b) > 64:
        n = 64
        while n > 0 and (b[n] & 0xc0) == 0x80:
            n -= 1
        b = b[:n]
    if not b:
        return "_"
    out = bytes(ord("_") if c == 0x2f or c < 0x20 or c == 0x7f or (i == 0 and c == 0x2e)
                else c for i, c in enumerate(b))
    return out.decode()
n = {}
for d, dirs, files in os.walk(root):
    for x in dirs + files:
        assert os.path.realpath(os.path.join(d, x)).startswith(root + "/"), x
    for f in files:
        for line in open(os.path.join(d, f)):
            j = json.loads(line)
            want = os.path.join(root, safe(j.get("host", "")), j["class"] + ".log")
            assert os.path.join(d, f) == want, (os.path.join(d, f), want, j)
            k = (j.get("host", ""), j["class"], j["alert"])
            n[k] = n.get(k, 0) + 1
assert n[("web01", "auth", "auth_any")] == 2, n
assert n[("web01", "auth", "auth_quiet")] == 1, n
assert n[("web02", "disk", "disk_any")] == 1, n
assert n[("../../etc", "auth", "auth_any")] == 1, n
assert sorted(os.listdir(os.path.join(root, "web01"))) == ["auth.log", "disk.log"]
print("alert files:", sorted(os.listdir(root)))
PY
pass "two hosts, two classes, hostile names: each alert line (absence too) in the file of its host and class, none outside $T/al"

# 2. One file rotates by itself; tail -F follows it.
tail -F -n +1 "$T/al/web02/auth.log" > "$T/tail.out" 2>/dev/null & TPID=$!
track $TPID
sleep 0.5
python3 - "$T/more.log" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(40):
        out.write(json.dumps({"host": "web02", "msg": "Failed password r%03d" % i}) + "\n")
PY
nc -N 127.0.0.1 "$PORT" < "$T/more.log" || fail "nc"
for i in $(seq 200); do
	[ "$(grep -c '"Failed password r' "$T/tail.out")" -ge 40 ] && break
	sleep 0.05
done
# gzip and retention run on the rotation thread: wait for them to settle
for i in $(seq 100); do
	g=$(ls "$T/al/web02" | grep -c '^auth-.*\.gz$')
	r=$(ls "$T/al/web02" | grep -c '^auth-')
	[ "$g" -ge 1 ] && [ "$g" = "$r" ] && [ "$r" -le 2 ] && break
	sleep 0.1
done
[ "$r" -le 2 ] && [ "$g" -ge 1 ] && [ "$g" = "$r" ] ||
	fail "web02/auth keeps $r rotated files ($g gzipped), want 1-2, all gzipped: $(ls "$T/al/web02")"
[ "$(ls "$T/al/web01" | grep -c -- '-2')" = 0 ] || fail "web01's files rotated too: $(ls "$T/al/web01")"
[ "$(ls "$T/al/web02" | grep -c '^disk-')" = 0 ] || fail "web02/disk rotated too: $(ls "$T/al/web02")"
got=$(grep -o '"Failed password r[0-9]*' "$T/tail.out" | sort -u | wc -l)
[ "$got" = 40 ] || fail "tail -F saw $got of 40 alert lines across the rotations"
kill $TPID
stop_daemon
pass "web02/auth.log rotated and kept 2 (gzipped) by itself; tail -F saw all 40 lines across its rotations"
