#!/bin/bash
# t_kafka_in.sh: [input] type = kafka, workers in a consumer group, on
# librdkafka's mock cluster (tests/tools/kafka-mock: the only Kafka-protocol
# broker on this machine; a broker inside librdkafka, not a real cluster).
# An edge (listen, [output] type = kafka, keyed by host) produces a
# seq-numbered stream from 24 hosts to a 6-partition topic; workers A and B
# share it as one group.  A is SIGKILLed mid-stream, B takes its partitions
# (cooperative rebalance, session_timeout 3 s); then every broker goes down
# while the edge gets more, and comes back.  Checks: the union of A's, B's and
# C's stores is exactly the sent set; duplicates are at most what A stored but
# had not committed (A's "committed" from /stats before the kill) plus what B
# and C counted as redelivered (a handover without its commit; usually 0:
# C's join is a graceful handover, see below); each stored
# event keeps the edge's received time, source, transport and fields (the
# worker's line equals the edge's); messages of another producer (a syslog
# line, JSON that is no event, one past max_message) are parsed as lines with
# transport kafka, the long one cut and marked; B counts the rebalance; /health degrades
# while B's lag passes max_lag, and recovers after.
. "$(dirname "$0")/lib.sh"

kafka_mock logs 6

SYNC=200ms write_conf "
[output k]
type = kafka
brokers = $BS
topic = logs
key = host
kafka.reconnect.backoff.max.ms = 500
"
start_daemon
EDGE=$PORT

worker() { kafka_worker "$1" "max_lag = 100
max_message = 1k
kafka.reconnect.backoff.max.ms = 500"; }
stat() { kafka_stat "$@"; }

worker a
APID=$WPID
worker b
BPID=$WPID
# Both members hold partitions (6 between them).
for i in $(seq 600); do
	pa=$(stat $HTTP_a partitions); pb=$(stat $HTTP_b partitions)
	[ "${pa:-0}" -gt 0 ] && [ "${pb:-0}" -gt 0 ] &&
	    [ $((pa + pb)) = 6 ] && break
	sleep 0.05
done
[ $((${pa:-0} + ${pb:-0})) = 6 ] && [ "$pa" -gt 0 ] ||
    fail "partitions a=$pa b=$pb, wanted 6 between both"

# 24 hosts (so every partition gets some), a seq in each event.
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
def part(name, lo, hi):
    with open("%s/%s" % (t, name), "w") as f:
        for i in range(lo, hi):
            f.write("<13>1 2026-12-01T10:00:00.%06dZ host%02d app%d %d - "
                    "[m@1 n=\"%d\"] event seq=%d\n" % (i % 1000000, i % 24,
                    i % 3, i, i, i))
part("sent12", 0, 20000)
part("sent3", 20000, 26000)
part("sent4", 26000, 32000)
PY
# Three messages of another producer: a syslog line, JSON that is no stored
# event, a message past max_message (1k): parsed as lines, transport kafka.
python3 -c 'print("<13>Dec  3 12:00:00 otherhost app: not from an edge")
print("{\"host\":\"j1\",\"msg\":\"json, not an event\",\"n\":1}")
print("x" * 3000)' | kcat -P -b "$BS" -t logs 2>/dev/null ||
    fail "kcat could not produce"
[ -n "${TIMING:-}" ] && echo "t=$SECONDS send1"
# paced FILE: its events in 500s, one every 70 ms (so consumers are busy
# when the group changes); in the background (SPID).
paced() {
	python3 - "$EDGE" "$1" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
lines = open(sys.argv[2], "rb").readlines()
for i in range(0, len(lines), 500):
    s.sendall(b"".join(lines[i:i + 500]))
    time.sleep(0.07)
s.close()
PY
	SPID=$!
}
paced "$T/sent12"
track $SPID
# A commits once a second (once its batches are durable): it is killed
# after its first commit, while the stream still flows.
for i in $(seq 600); do
	committed=$(stat $HTTP_a committed)
	[ "${committed:-0}" -gt 0 ] && break
	sleep 0.02
done
kill -9 $APID
[ -n "${TIMING:-}" ] && echo "t=$SECONDS killed"
wait $APID 2>/dev/null
wait $SPID || fail "send 1"
wait_lines "$T/events.log" 20000

# B takes A's partitions once A's session ends.
for i in $(seq 400); do
	[ "$(stat $HTTP_b partitions)" = 6 ] && break
	sleep 0.05
done
[ "$(stat $HTTP_b partitions)" = 6 ] || fail "b did not take a's partitions"
[ -n "${TIMING:-}" ] && echo "t=$SECONDS b owns 6"

# C joins while events flow: B hands some partitions over after what it
# read of them is stored and its commit is answered, so C goes on where B
# stopped.  B holds its commits while it rejoins the group (one sent then is
# answered ILLEGAL_GENERATION, and librdkafka 2.0 takes B's whole assignment
# for lost: B's reads since its last commit would be read again); if one
# slips through, what is read again is counted as redelivered (the bound).
paced "$T/sent3"
worker c
CPID=$WPID
for i in $(seq 400); do
	pc=$(stat $HTTP_c partitions)
	[ "${pc:-0}" -gt 0 ] && break
	sleep 0.05
done
[ "${pc:-0}" -gt 0 ] || fail "c got no partitions"
wait $SPID || fail "send 3"
wait_lines "$T/events.log" 26000
[ -n "${TIMING:-}" ] && echo "t=$SECONDS c owns $pc"

# Every broker down while the edge takes more; once they are back, B's lag
# (the high watermark less its committed offset: commits follow storage, once
# a second) passes max_lag for a moment, and /health says so.
kill -USR1 $MPID
nc -N 127.0.0.1 "$EDGE" < "$T/sent4" || fail "send 4"
sleep 1
kill -USR2 $MPID
for i in $(seq 600); do
	why=$(curl -s -w '\n%{http_code}' "127.0.0.1:$HTTP_b/health")
	h=${why##*$'\n'}
	[ "$h" = 503 ] && break
	sleep 0.05
done
[ "$h" = 503 ] || fail "/health did not degrade with the lag past max_lag" \
    "(lag $(stat $HTTP_b lag))"
echo "$why" | grep -q "messages behind" || fail "/health says: $why"
[ -n "${TIMING:-}" ] && echo "t=$SECONDS health 503"

python3 - "$T" "$committed" "$HTTP_b,$HTTP_c" <<'PY' || fail "stores are wrong"
import json, re, sys, time, urllib.request
t, committed, ports = sys.argv[1], int(sys.argv[2] or 0), sys.argv[3].split(",")
def load(name):
    out = {}
    dups = 0
    for line in open("%s/%s" % (t, name), encoding="utf-8"):
        j = json.loads(line)
        if j.get("transport") == "kafka":
            other.setdefault(j.get("host", j["message"][:4]), j)
            continue
        s = int(re.search(r"seq=(\d+)", j["message"]).group(1))
        if s in out:
            dups += 1
        out[s] = j
    return out, dups
other = {}
deadline = time.time() + 60
while True:
    edge, _ = load("events.log")
    a, da = load("a.log")
    b, db = load("b.log")
    c, dc = load("c.log")
    if len(set(a) | set(b) | set(c)) >= 32000 or time.time() > deadline:
        break
    time.sleep(0.2)
union = set(a) | set(b) | set(c)
sent = set(range(32000))
# Read once the stores are whole: a handover late in the run counts too.
redelivered = sum(json.load(urllib.request.urlopen(
    "http://127.0.0.1:%s/stats" % p))["inputs"]["k"]["redelivered"]
    for p in ports)
# Copies past the first: an event A, B and C all stored counts twice (the
# pairwise intersections counted it three times).
dups = len(a) + da + len(b) + db + len(c) + dc - len(union)
# The bound: A's stored but not committed, and what B and C counted as
# handed over without its commit (redelivered; usually 0, docs-kafka.md)
bound = sum(1 for _ in open("%s/a.log" % t)) - committed + redelivered
bad = 0
for s in union:
    w = a.get(s) or b.get(s) or c.get(s)
    e = edge[s]
    for k in ("received", "source", "transport", "host", "app", "time",
              "sd", "format", "severity", "stream"):
        if w.get(k) != e.get(k):
            bad += 1
            if bad < 5:
                print("seq %d: %s %r, the edge's %r" % (s, k, w.get(k), e.get(k)))
print("sent %d, stored a=%d b=%d c=%d, union %d, missing %d, extra %d, "
      "duplicates %d (bound %d: a stored %d - committed %d + b and c "
      "redelivered %d), fields differ %d"
      % (len(sent), len(a), len(b), len(c), len(union), len(sent - union),
         len(union - sent), dups, bound, bound + committed - redelivered,
         committed, redelivered, bad))
o1, o2, o3 = other.get("otherhost"), other.get("j1"), other.get("xxxx")
if not (o1 and o1["format"] == "rfc3164" and o1["app"] == "app" and
        re.match(r"logs/\d$", o1["source"])):
    print("the syslog line of another producer: %r" % o1); bad += 1
if not (o2 and o2["format"] == "json" and o2["fields"]["n"] == 1):
    print("the JSON of another producer: %r" % o2); bad += 1
if not (o3 and o3.get("truncated") is True and len(o3["message"]) == 1024):
    print("the long message: %r" % (o3 and len(o3["message"]))); bad += 1
sys.exit(1 if union != sent or dups > bound or bad else 0)
PY
[ -n "${TIMING:-}" ] && echo "t=$SECONDS checked"
rb=$(stat $HTTP_b rebalances); rv=$(stat $HTTP_b revoked)
[ "${rb:-0}" -ge 2 ] || fail "b counted $rb rebalances (joined, then took a's)"
[ "${rv:-0}" -ge 1 ] || fail "b counted $rv partitions revoked (c joined)"
# The lag worked off: /health is good again.
for i in $(seq 400); do
	h=$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$HTTP_b/health")
	[ "$h" = 200 ] && break
	sleep 0.05
done
[ "$h" = 200 ] || fail "/health stays $h after the lag was worked off"
kill -TERM $BPID $CPID
wait $BPID || fail "b exited $? after SIGTERM"
wait $CPID || fail "c exited $? after SIGTERM"
stop_daemon
pass "32000 events, edge -> 6 partitions -> workers a (SIGKILLed mid-stream), b, c (joined mid-stream); union = sent, duplicates within what a had not committed, received/source/fields as the edge stored them; brokers down 1 s: nothing lost; /health degraded past max_lag and recovered; b: $rb rebalances, $rv partitions revoked"
