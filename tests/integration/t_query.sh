#!/bin/bash
# t_query: `logstreamd query` reads back the JSON store, checked against
# reading every file by hand (zlib + json in python).
# 1. 300,000 gen.py events (60,000 sent 5 times) into remote/{host}/{date}.log (6 hosts, "_"
#    for events without one), rotate_size 2M, gzip: many rotated .gz
#    files, each with its index (.NAME.idx) once rotation is done.
#    Against the hand-read store: --where class= and severity<= (the
#    same events, in received-time order); a time range (the same
#    events, and the index skips files outside it: --stats counts them);
#    --count-by class --count-by host --bucket 1s (the same counts);
#    --where host=web01 opens web01's rotated files and every live file,
#    and skips exactly every other host's rotated file by its index; -n 5
#    the 5 latest; -o text one aligned line per event; an expression that
#    does not parse names the position.
# 2. Bad input, plain path: a truncated .gz, a non-JSON line, a line with
#    keys from a newer version, a torn last line: what can be read is
#    printed (the newer line too), each skip named with file:line on
#    stderr, exit 0; --strict exits 1.  A .gz of two gzip members and a
#    whole .gz with a torn last line: every line, the torn one named.
# 3. -f follows a plain store through ~100 rotations at 20,000 events/s:
#    it prints every matching event once.  Then keep = 2: retention
#    deletes the older rotated files and their indexes with them (none
#    left over).
. "$(dirname "$0")/lib.sh"
HPORT=$(free_port)

Q() { "$BIN" query -c "$T/test.conf" "$@"; }
# stored N: until the daemon says N events are stored.
stored() {
	local i v
	for i in $(seq 1200); do
		v=$(curl -s "127.0.0.1:$HPORT/metrics" |
		    awk '$1 == "logstreamd_events_stored_total" { print $2 }')
		[ "$v" = "$1" ] && return 0
		sleep 0.1
	done
	fail "$v events stored, not $1, in 120 s"
}
# settled DIR: until every rotated file below DIR is gzipped and indexed.
settled() {
	local i plain gz idx
	for i in $(seq 1200); do
		plain=$(find "$1" -name '*-20*Z_[0-9][0-9][0-9].log' | wc -l)
		gz=$(find "$1" -name '*-20*Z_*.log.gz' | wc -l)
		idx=$(find "$1" -name '.*.idx' | wc -l)
		[ "$plain" = 0 ] && [ "$gz" = "$idx" ] && return 0
		sleep 0.1
	done
	fail "rotated files not settled: $plain plain, $gz gz, $idx indexes"
}

# --- 1. a templated store of 300,000 events ---
write_conf "[storage]
rotate_size = 2M
keep = 1000
[class auth_failure]
message = Failed password
[class deadlock]
message = deadlock
[http]
listen = 127.0.0.1:$HPORT"
sed -i "s|^path = $T/events.log|path = $T/remote/{host}/{date}.log|" "$T/test.conf"
start_daemon
python3 "$GEN" 60000 > "$T/in60k.txt"		# 5 times: 300,000 events
cat "$T/in60k.txt" "$T/in60k.txt" "$T/in60k.txt" "$T/in60k.txt" "$T/in60k.txt" > "$T/in.txt"
"$TOP/build/lsflood" -c 2 127.0.0.1 "$PORT" "$T/in.txt" > /dev/null || fail "lsflood"
stored 300000
settled "$T/remote"
stop_daemon
ngz=$(find "$T/remote" -name '*.log.gz' | wc -l)
[ "$ngz" -ge 20 ] || fail "only $ngz rotated files"

# Read every file by hand once, run the queries, compare.
python3 - "$T" "$BIN" <<'PY' || fail "query answers differ from the files read by hand"
import collections, glob, gzip, json, re, subprocess, sys
t, binary = sys.argv[1:]
ev = []              # (received, line, decoded)
for f in glob.glob(t + "/remote/*/*.log*"):
    for l in (gzip.open if f.endswith(".gz") else open)(f, "rt"):
        l = l.rstrip("\n"); o = json.loads(l); ev.append((o["received"], l, o))
ev.sort(key=lambda e: e[0])
def q(name, *args):
    p = subprocess.run([binary, "query", "-c", t + "/test.conf"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 0, "%s: exit %d: %s" % (name, p.returncode, p.stderr)
    open("%s/%s.err" % (t, name), "w").write(p.stderr)
    return p.stdout.splitlines()
def same(name, want, *args):
    got = q(name, *args)
    rec = [json.loads(l)["received"] for l in got]
    assert rec == sorted(rec), name + ": not in received order"
    assert sorted(got) == sorted(want), "%s: %d lines, want %d" % (name, len(got), len(want))
    print("  %s: %d events, as read by hand" % (name, len(got)))
sev = {"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7}
flt = [l for r, l, o in ev if o.get("class") == "auth_failure" and sev.get(o.get("severity"), 9) <= 4]
assert len(flt) > 500, len(flt)
same("q.filter", flt, "--where", "class=auth_failure", "--where", "severity<=warning")
lo, hi = ev[100000][0], ev[130000][0]
same("q.range", [l for r, l, o in ev if lo <= r <= hi], "--stats", "--since", lo, "--until", hi)
same("q.host", [l for r, l, o in ev if o.get("host") == "web01"], "--stats", "--where", "host=web01")
want = collections.Counter((r[:19] + "Z", o.get("class", ""), o.get("host", "")) for r, l, o in ev)
got = {}
for l in q("q.count", "--count-by", "class", "--count-by", "host", "--bucket", "1s", "-o", "json"):
    o = json.loads(l); got[(o["bucket"], o["class"], o["host"])] = o["count"]
assert got == dict(want), "count-by: %d rows, want %d" % (len(got), len(want))
print("  q.count: %d rows (bucket, class, host), as counted by hand" % len(got))
last = [json.loads(l)["received"] for l in q("q.last", "-n", "5")]
assert last == [e[0] for e in ev[-5:]], "-n 5: %s" % last
txt = q("q.text", "-o", "text", "--where", "class=auth_failure", "--where", "severity<=warning")
assert len(txt) == len(flt) and all(re.match(r"\S+Z \S+ +\S+ +\S+ +auth_failure +", x) for x in txt), txt[:3]
PY
pass "300,000 events in $ngz .gz files: --where, a time range, --count-by class,host --bucket 1s, host=, -n 5, -o text match the files read by hand"

# The index: the time range skips files; host=web01 skips every other
# host's rotated files and no other file.
grep -Eq "opened, [1-9][0-9]* skipped by their index" "$T/q.range.err" || fail "the time range skipped no file: $(cat "$T/q.range.err")"
nweb=$(find "$T/remote/web01" -name '*.log.gz' | wc -l)
nlive=$(find "$T/remote" -name '*.log' | wc -l)
grep -q " files, $((nweb + nlive)) opened, $((ngz - nweb)) skipped by their index" "$T/q.host.err" || fail "host=web01: $(cat "$T/q.host.err"); want $((nweb + nlive)) opened, $((ngz - nweb)) skipped"
pass "index: $(sed 's/^logstreamd query: //' "$T/q.range.err") for the time range; host=web01 opened $((nweb + nlive)), skipped $((ngz - nweb))"

Q --where 'host=~x' > /dev/null 2> "$T/e.err" && fail "a bad expression was taken"
grep -q "^logstreamd query: --where 'host=~x': at 5: '=~' is not an operator" "$T/e.err" || fail "parse error: $(cat "$T/e.err")"
Q --where 'severity<=warnx' > /dev/null 2> "$T/e.err" && fail "a bad severity was taken"
grep -q "at 11: 'warnx' is not a severity" "$T/e.err" || fail "parse error: $(cat "$T/e.err")"
pass "a bad expression is refused with its position (at 5: '=~' is not an operator)"

# --- 2. bad input ---
# bad_store DIR: a plain store in DIR (its config DIR/b.conf), filled by hand.
bad_store() {
	mkdir -p "$1"
	sed "s|^path = .*|path = $1/events.log|" "$T/test.conf" > "$1/b.conf"
}
B=$T/bad
bad_store "$B"
python3 - "$T" "$B" <<'PY'
import glob, gzip, json, sys, zlib
t, b = sys.argv[1:]
f = sorted(glob.glob(t + "/remote/web01/*.log.gz"))[0]
ls = gzip.open(f, "rb").read().splitlines(keepends=True)[:1400]
z = gzip.compress(b"".join(ls[:1000]))
cut = z[:len(z) * 6 // 10]
open(b + "/events-20261123T201414Z_000.log.gz", "wb").write(cut)
d = zlib.decompressobj(16 + 15).decompress(cut)
open(b + "/want.gz.lines", "w").write("%d\n" % d.count(b"\n"))
newer = json.dumps({"received": json.loads(ls[1100])["received"], "host": "x",
                    "class": "newer", "message": "m", "future_key": {"a": [1]}}).encode()
open(b + "/events-20261123T201415Z_000.log", "wb").write(
    b"".join(ls[1000:1100]) + b"not json at all\n" + newer + b"\n" +
    b"".join(ls[1101:1200]) + ls[1200][:50])
open(b + "/events.log", "wb").write(b"".join(ls[1300:1310]))
PY
"$BIN" query -c "$B/b.conf" > "$B/out" 2> "$B/err" || fail "query of bad input exited $? (not --strict)"
want=$(( $(cat "$B/want.gz.lines") + 100 + 1 + 99 + 10 ))
[ "$(wc -l < "$B/out")" = "$want" ] || fail "bad input: $(wc -l < "$B/out") events printed, want $want; $(cat "$B/err")"
grep -q '"future_key"' "$B/out" || fail "the line with a newer key was not printed"
grep -q "events-20261123T201414Z_000.log.gz: unreadable after line $(cat "$B/want.gz.lines") (unexpected end of file); the rest of it skipped" "$B/err" || fail "truncated .gz: $(cat "$B/err")"
grep -q "events-20261123T201415Z_000.log:101: not JSON, skipped" "$B/err" || fail "non-JSON line: $(cat "$B/err")"
grep -q "events-20261123T201415Z_000.log:202: a torn last line (no line end), skipped" "$B/err" || fail "torn line: $(cat "$B/err")"
"$BIN" query -c "$B/b.conf" --strict > /dev/null 2>&1 && fail "--strict exited 0 after skipping"
pass "bad input: $want events read; skipped and named: $(sed 's/^logstreamd query: //; s/ (no .*//; s/ (.*//' "$B/err" | tr '\n' ';')"

# A .gz of two members and a whole .gz with a torn last line (the first
# is read through zlib, the second inflated at once): every line, and the
# torn one named.
B2=$T/bad2
bad_store "$B2"
python3 - "$T" "$B2" <<'PY'
import glob, gzip, sys
t, b = sys.argv[1:]
f = sorted(glob.glob(t + "/remote/web01/*.log.gz"))[0]
ls = gzip.open(f, "rb").read().splitlines(keepends=True)[:701]
open(b + "/events-20261123T201416Z_000.log.gz", "wb").write(
    gzip.compress(b"".join(ls[:300])) + gzip.compress(b"".join(ls[300:600])))
open(b + "/events-20261123T201417Z_000.log.gz", "wb").write(
    gzip.compress(b"".join(ls[600:700]) + ls[700][:60]))
open(b + "/want", "wb").write(b"".join(ls[:700]))
PY
"$BIN" query -c "$B2/b.conf" > "$B2/out" 2> "$B2/err" || fail "query of two members and a torn .gz exited $?"
cmp -s "$B2/out" "$B2/want" || fail "two members, torn .gz: $(wc -l < "$B2/out") events printed, want the 700 written; $(cat "$B2/err")"
grep -q "events-20261123T201417Z_000.log.gz:101: a torn last line (no line end), skipped" "$B2/err" || fail "torn line in a whole .gz: $(cat "$B2/err")"
pass "a .gz of two members and a .gz with a torn last line: the 700 lines in order, the torn one named"

# --- 3. -f through rotations, then retention takes the indexes along ---
P=$T/p
mkdir -p "$P"
write_conf "[storage]
rotate_size = 64k
keep = 1000
[class deadlock]
message = deadlock
[http]
listen = 127.0.0.1:$HPORT"
sed -i "s|^path = $T/events.log|path = $P/events.log|" "$T/test.conf"
start_daemon
# not through Q: a function in the background is a subshell, and killing
# it would leave the query running
"$BIN" query -c "$T/test.conf" -f -n 0 --where class=deadlock > "$T/follow.out" 2> "$T/follow.err" &
QPID=$!
track $QPID
sleep 0.3
head -20000 "$T/in60k.txt" > "$T/in20k.txt"
"$TOP/build/lsflood" -r 20000 127.0.0.1 "$PORT" "$T/in20k.txt" > /dev/null || fail "lsflood"
stored 20000
want=$(grep -c deadlock "$T/in20k.txt")
for i in $(seq 300); do
	[ "$(wc -l < "$T/follow.out")" -ge "$want" ] && break
	sleep 0.1
done
sleep 0.3
kill $QPID
nrot=$(find "$P" -name 'events-*.log*' | wc -l)
python3 - "$T/follow.out" "$want" <<'PY' || fail "-f: $(cat "$T/follow.err")"
import json, re, sys
seqs = []
for l in open(sys.argv[1]):
    o = json.loads(l)
    assert o["class"] == "deadlock", l
    m = re.search(r"seq=(\d+)", o.get("message", ""))
    seqs.append(int(m.group(1)) if m else o["fields"]["seq"])
assert len(seqs) == len(set(seqs)) == int(sys.argv[2]), (len(seqs), len(set(seqs)), sys.argv[2])
PY
[ "$nrot" -ge 50 ] || fail "-f: only $nrot rotations"
pass "-f: $want matching events each printed once, through $nrot rotations at 20,000 events/s"

settled "$P"
stop_daemon
sed -i "s|^keep = 1000|keep = 2|" "$T/test.conf"
start_daemon
for i in $(seq 300); do
	[ "$(find "$P" -name 'events-*.log.gz' | wc -l)" = 2 ] && break
	sleep 0.1
done
settled "$P"
stop_daemon
left=$(cd "$P" && ls -A | grep -c '^\.events-.*\.idx$')
[ "$(find "$P" -name 'events-*.log.gz' | wc -l)" = 2 ] || fail "keep = 2: $(ls "$P")"
[ "$left" = 2 ] || fail "keep = 2: $left indexes left: $(ls -A "$P")"
for f in "$P"/.events-*.idx; do
	b=$(basename "$f" .idx); b=${b#.}
	[ -f "$P/$b.gz" ] || fail "$f is the index of no file"
done
grep -q "retention: deleted" "$T/daemon.err" || fail "no deletion logged"
pass "keep = 2: retention deleted $((nrot - 2)) rotated files and their indexes; 2 files, 2 indexes left"
