#!/bin/bash
# t_kafka_same.sh: issue 18 point 3, per-host alerts and stream marks on
# Kafka workers equal those of a single instance fed the same stream.  One
# seq'd JSON stream (12 hosts, per-host seq with gaps, a duplicate and a
# swap; ERROR events for a threshold alert grouped by host) goes over TCP to a
# single instance ([streams], [class], [alert]) and to an edge ([streams],
# [output] type = kafka keyed by host) -> a 4-partition topic on librdkafka's
# mock cluster -> workers a and b in one group (same [class]/[alert]), no
# failure.  Checks: both workers hold partitions; the union of the workers'
# stores is the sent set, no duplicates; the multiset of (alert, host) lines
# of a + b equals the single instance's (with count and the
# event that fired it); the (host, seq, mark, missing) of
# every marked event in a + b equals the single instance's, and it is not
# empty.  Each worker's /metrics passes promcheck and has the input's lag
# per owned partition {input,topic,partition}, commits and rebalances.
. "$(dirname "$0")/lib.sh"

kafka_mock logs 4

RULES='
[streams]
max_delay = 1h

[class err]
message = ERROR

[alert errs]
class = err
threshold = 3
window = 1h
group_by = host'

# The single instance: fed directly.
SP=$(free_port); SH=$(free_port)
cat > "$T/single.conf" <<CONF
[listen]
tcp = 127.0.0.1:$SP

[storage]
path = $T/single.log
sync = 200ms

[alerts]
path = $T/single.alerts

[http]
listen = 127.0.0.1:$SH
$RULES
CONF
launch "$T/single.conf" "$SP" "$T/single.err"
SPID_=$LPID

# The edge: marks streams, produces keyed by host.
SYNC=200ms write_conf "
[streams]
max_delay = 1h

[output k]
type = kafka
brokers = $BS
topic = logs
key = host
"
start_daemon
EDGE=$PORT

worker() { kafka_worker "$1" "$RULES"; }
stat() { kafka_stat "$@"; }
worker a
APID=$WPID
worker b
BPID=$WPID
for i in $(seq 600); do
	pa=$(stat $HTTP_a partitions); pb=$(stat $HTTP_b partitions)
	[ "${pa:-0}" -gt 0 ] && [ "${pb:-0}" -gt 0 ] &&
	    [ $((pa + pb)) = 4 ] && break
	sleep 0.05
done
[ $((${pa:-0} + ${pb:-0})) = 4 ] && [ "$pa" -gt 0 ] ||
    fail "partitions a=$pa b=$pb, wanted 4 between both"

# 12 hosts, 100 seqs each (id = a unique number over the whole stream); per
# host: seq gaps (host h skips seq 10+h, and 50..50+h%4), a duplicate of 20,
# 31 and 30 swapped; host h has h ERROR events (threshold 3: 0..4 alerts).
python3 - "$T/sent" <<'PY'
import json, sys
out = []
n = 0
for s in range(1, 101):
    for h in range(12):
        seqs = [s]
        if s == 10 + h or 50 <= s < 50 + h % 4:
            continue
        if s == 20:
            seqs = [20, 20]
        if s == 30:
            seqs = [31]
        elif s == 31:
            seqs = [30]
        for q in seqs:
            err = "ERROR " if s % 7 == 0 and s // 7 <= h else ""
            out.append(json.dumps({"host": "h%02d" % h, "app": "a", "seq": q,
                                   "msg": "%sevent id=%d" % (err, n)}))
            n += 1
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
N=$(wc -l < "$T/sent")
nc -N 127.0.0.1 "$SP" < "$T/sent" || fail "send to the single instance"
nc -N 127.0.0.1 "$EDGE" < "$T/sent" || fail "send to the edge"
wait_lines "$T/single.log" "$N"
wait_lines "$T/events.log" "$N"

python3 - "$T" "$N" <<'PY' || fail "the workers differ from the single instance"
import collections, json, re, sys, time
t, n = sys.argv[1], int(sys.argv[2])
def load(name):
    ev = {}
    dups = 0
    try:
        f = open("%s/%s" % (t, name), encoding="utf-8")
    except OSError:
        return ev, 0
    for line in f:
        j = json.loads(line)
        i = int(re.search(r"id=(\d+)", j["message"]).group(1))
        dups += i in ev
        ev[i] = j
    return ev, dups
def alerts(name):
    c = collections.Counter()
    try:
        for line in open("%s/%s" % (t, name)):
            m = re.search(r" ALERT (\S+) .*\bhost=(\S+) count=(\d+) .*"
                          r" msg=\"(.*)\"$", line)
            c[m.groups() if m else line] += 1
    except OSError:
        pass
    return c
def marks(ev):
    return sorted((j["host"], j["fields"]["seq"] if "fields" in j and "seq" in j["fields"] else j.get("seq"),
                   j["stream"], j.get("missing"))
                  for j in ev.values() if j.get("stream"))
single, _ = load("single.log")
sa = alerts("single.alerts")
deadline = time.time() + 60
while True:
    a, da = load("a.log")
    b, db = load("b.log")
    wa = alerts("a.alerts") + alerts("b.alerts")
    if (len(a) + len(b) >= n and wa == sa) or time.time() > deadline:
        break
    time.sleep(0.2)
w = dict(a)
w.update(b)
ms, mw = marks(single), marks(w)
bad = 0
if set(w) != set(range(n)) or len(a) + len(b) != n or da or db:
    print("stored a=%d b=%d (dups %d %d), union %d of %d"
          % (len(a), len(b), da, db, len(w), n)); bad += 1
if len(a) == 0 or len(b) == 0:
    print("a worker stored nothing: a=%d b=%d" % (len(a), len(b))); bad += 1
if sa != wa or not sa:
    print("alerts single %s\nalerts workers %s" % (sorted(sa.items()),
          sorted(wa.items()))); bad += 1
if ms != mw or not ms:
    print("marks single %d, workers %d; first differing: %s"
          % (len(ms), len(mw), [x for x in zip(ms, mw) if x[0] != x[1]][:3]))
    bad += 1
kinds = collections.Counter(m[2] for m in ms)
print("%d events; a %d, b %d; %d alert lines (%d distinct); marks %s"
      % (n, len(a), len(b), sum(sa.values()), len(sa), dict(kinds)))
sys.exit(1 if bad else 0)
PY
# /metrics of each worker: the input's figures, Prometheus-style, the lag
# per partition it owns (as /stats lists them), commits and rebalances.
for w in a b; do
	eval "h=\$HTTP_$w"
	for i in $(seq 600); do	# commits follow storage, once a second
		c=$(stat $h commits)
		[ "${c:-0}" -gt 0 ] && break
		sleep 0.05
	done
	curl -s "127.0.0.1:$h/metrics" > "$T/$w.prom"
	python3 "$(dirname "$0")/promcheck.py" "$T/$w.prom" >/dev/null ||
	    fail "$w: /metrics exposition format"
	curl -s "127.0.0.1:$h/stats" > "$T/$w.stats"
	python3 - "$T/$w.prom" "$T/$w.stats" <<'PY' || fail "$w: /metrics kafka figures"
import json, re, sys
prom = open(sys.argv[1]).read()
k = json.load(open(sys.argv[2]))["inputs"]["k"]
def val(series):
    m = re.search(r"^%s (\d+)$" % re.escape(series), prom, re.M)
    return int(m.group(1)) if m else None
lag = {tuple(x) : int(v) for *x, v in re.findall(
    r'^logstreamd_input_kafka_lag\{input="k",topic="([^"]+)",partition="(\d+)"\} (\d+)$',
    prom, re.M)}
want = {tuple(p.rsplit("/", 1)) for p in k["lag"]}
bad = []
if set(lag) != want or len(want) != k["partitions"]:
    bad.append("lag series %s, /stats %s" % (sorted(lag), sorted(want)))
if not val('logstreamd_input_kafka_commits_total{input="k",result="ok"}'):
    bad.append("no commits")
if (val('logstreamd_input_kafka_rebalances_total{input="k"}') or 0) < 1:
    bad.append("no rebalance")
if val('logstreamd_input_kafka_partitions{input="k"}') != k["partitions"]:
    bad.append("partitions")
ev = val('logstreamd_input_kafka_messages_total{input="k",kind="event"}')
if not ev or ev > k["events"]:
    bad.append("events %r, /stats %d" % (ev, k["events"]))
bad and print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
done

kill -TERM $APID $BPID $SPID_
wait $APID || fail "a exited $? after SIGTERM"
wait $BPID || fail "b exited $? after SIGTERM"
wait $SPID_ || fail "the single instance exited $? after SIGTERM"
stop_daemon
pass "same stream, single instance vs edge -> 4 partitions -> workers a, b: union = sent, no duplicates; (alert, host, count, firing event) lines equal; (host, seq, mark, missing) equal"
