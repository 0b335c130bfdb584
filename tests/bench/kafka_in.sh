#!/bin/bash
# kafka_in.sh [N]: one worker ([input] type = kafka) consuming from
# librdkafka's mock cluster (tests/tools/kafka-mock, 192 partitions: the mock
# keeps about 5 MB a partition), against a peer in the same run: the same
# events sent as raw lines over TCP to a plain instance.  The topic is filled
# first (kcat) with N stored-event lines that an edge instance wrote for
# tests/gen.py's mix, so the mock's producing is not timed.  The worker's
# clock goes from its first stored byte (the group join is not counted) to
# its last; the peer's from the first byte sent (as bench.sh's); both by
# the size of their store, sampled every 10 ms (before: /stats, published
# once a second, which made a 2-4 s run's figure 0.5x-1.5x its rate).
# RUNS (3) runs: events/s and CPU seconds per million events of each (and
# of the mock brokers beside the worker), the ratio, then the median.  Then
# the scaling line: two workers in one group on the same topic against
# one.  PERF=FILE: run 1's worker under perf record.
set -u
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
BIN=${LOGSTREAMD:-$top/logstreamd}
N=${1:-1000000}
command -v kcat >/dev/null || { echo "kafka_in: no kcat"; exit 77; }
make -s -C "$top" build/kafka-mock >/dev/null || exit 1
W=$(mktemp -d "${TMPDIR:-/tmp}/logstreamd-kbench.XXXXXX")
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$W"' EXIT INT TERM
export RUNTIME_DIRECTORY=$W/run

port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
conf() {	# conf NAME TCPPORT HTTPPORT [extra]
	cat > "$W/$1.conf" <<CONF
[listen]
tcp = 127.0.0.1:$2
[queue]
capacity = 65536
[storage]
path = $W/$1.log
compress = none
rotate_size = 4G
[alerts]
path = $W/$1.alerts
[http]
listen = 127.0.0.1:$3
${4:-}
CONF
}
# measure FILES PORTS PIDS N BYTES [T0]: the rate at which the stores FILES
# (comma-separated; summed) grow to N events, timed by their size, sampled
# every 10 ms: /stats (PORTS), published once a second, only says when to
# stop looking.  From T0 (epoch seconds, the first byte sent), or else from
# the first stored byte (the group join not counted; what that first
# sample held is taken off).  The end: the first sample at BYTES (0: at the
# size where the stores stopped, once /stats counts N).  Prints events/s,
# then CPU seconds per million events of each of PIDS over the same span
# (utime + stime, all threads).
measure() {
	python3 - "$@" <<'PY'
import json, os, sys, time, urllib.request
files, ports, pids = (a.split(",") for a in sys.argv[1:4])
n, want = int(sys.argv[4]), int(sys.argv[5])
t0 = float(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[6] else None
hz = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz
def size():
    s = 0
    for f in files:
        try:
            s += os.stat(f).st_size
        except FileNotFoundError:
            pass
    return s
def stored():
    try:
        return sum(json.load(urllib.request.urlopen("http://127.0.0.1:%s/stats"
            % p))["events"]["stored"] for p in ports)
    except Exception:
        return 0
c0 = [cpu(p) for p in pids] if t0 is not None else None
s0, samples, deadline, last_stats, done = 0, [], time.time() + 600, 0, False
while time.time() < deadline:
    now, sz = time.time(), size()
    if t0 is None and sz > 0:
        t0, s0, c0 = now, sz, [cpu(p) for p in pids]
    if t0 is not None:
        samples.append((now, sz, [cpu(p) for p in pids]))
    if want and sz >= want:
        break
    if not want and now - last_stats > 0.2:
        last_stats = now
        if done and len(samples) > 10 and samples[-10][1] == sz:
            break
        done = done or stored() >= n
    time.sleep(0.01)
else:
    sys.exit(1)
final = samples[-1][1]
t1, _, c1 = next(x for x in samples if x[1] >= final)
ev = max(n * (final - s0) / final, 1)	# 1: all there at the first look
print("%.0f" % (ev / max(t1 - t0, 1e-3)), " ".join("%.2f" %
    ((b - a) / ev * 1e6) for a, b in zip(c0, c1)))
PY
}

python3 "$top/tests/gen.py" "$N" > "$W/raw"
# The stored lines an edge makes of them: the messages of the topic.
p=$(port); h=$(port); conf edge "$p" "$h"
"$BIN" -c "$W/edge.conf" 2> "$W/edge.err" & PIDS="$PIDS $!"; EPID=$!
sleep 0.5
nc -N 127.0.0.1 "$p" < "$W/raw" || exit 1
measure "$W/edge.log" "$h" "$EPID" "$N" 0 > /dev/null ||
    { echo "kafka_in: the edge stored too little"; exit 1; }
kill $EPID; wait $EPID

"$top/build/kafka-mock" logs 192 > "$W/mock.out" 2> "$W/mock.err" & PIDS="$PIDS $!"
MPID=$!
for i in $(seq 100); do [ -s "$W/mock.out" ] && break; sleep 0.05; done
BS=$(head -1 "$W/mock.out")
kcat -P -b "$BS" -t logs -X queue.buffering.max.messages=2000000 \
    -X queue.buffering.max.kbytes=4000000 < "$W/edge.log" 2> "$W/kcat.err"
# What the mock kept (about 5 MB a partition; kcat's resends may be kept
# twice): M messages, B bytes, which a worker stores as they are (its line
# is the edge's), so its store is complete at B bytes.
kcat -C -b "$BS" -t logs -e -q -f '%s\n' 2>/dev/null > "$W/topic"
M=$(wc -l < "$W/topic"); B=$(wc -c < "$W/topic"); rm -f "$W/topic"
[ "$M" -ge $((N / 2)) ] || { echo "kafka_in: the mock kept $M of $N"; exit 1; }
PM=$((M < N ? M : N))	# the peer's share of the raw lines

RUNS=${RUNS:-3}
for run in $(seq "$RUNS"); do
	rm -f "$W"/peer.log "$W"/worker.log
	p=$(port); h=$(port); conf peer "$p" "$h"
	"$BIN" -c "$W/peer.conf" 2> "$W/peer.err" & PIDS="$PIDS $!"; PP=$!
	sleep 0.5
	t0=$(date +%s.%N)
	head -n "$PM" "$W/raw" | nc -N 127.0.0.1 "$p" &
	tcp=$(measure "$W/peer.log" "$h" "$PP" "$PM" 0 "$t0") ||
	    { echo "kafka_in: the peer stored too little"; exit 1; }
	kill $PP; wait $PP
	p=$(port); h=$(port); conf worker "$p" "$h" "
[input k]
type = kafka
brokers = $BS
topic = logs
group = bench$run"
	if [ -n "${PERF:-}" ] && [ $run = 1 ]; then	# PERF=FILE: profile run 1
		perf record -q -F 999 -g -o "$PERF" -- "$BIN" -c "$W/worker.conf" \
		    2> "$W/worker.err" & PIDS="$PIDS $!"; WP=$!
	else
		"$BIN" -c "$W/worker.conf" 2> "$W/worker.err" & PIDS="$PIDS $!"; WP=$!
	fi
	kafka=$(measure "$W/worker.log" "$h" "$WP,$MPID" "$M" "$B") ||
	    { echo "kafka_in: the worker stored too little"; exit 1; }
	kill -INT $WP; wait $WP
	set -- $kafka $tcp
	echo "run $run: $M events: kafka worker $1 events/s ($2 CPU-s per" \
	    "million events; the mock brokers $3), tcp peer $4 events/s ($5)," \
	    "ratio $(python3 -c "print('%.2f' % ($1 / $4))")"
	echo "$1 $2 $4" >> "$W/runs"
done
one=$(sort -n "$W/runs" | sed -n "$(( (RUNS + 1) / 2 ))p")
set -- $one
echo "median of $RUNS: kafka worker $1 events/s ($2 CPU-s per million" \
    "events), tcp peer in that run $3 events/s; all: $(cut -d' ' -f1 "$W/runs" |
    tr '\n' ' ')"
one=$1

# Scaling: two workers in one group share the topic (96 partitions each),
# measured from the first byte either stores (both join at once: see below)
# to the last, against one worker on all of it (the median above), on this
# machine (the mock brokers and both workers share its cores).
hs=""
for w in 1 2; do
	p=$(port); h=$(port); hs="$hs${hs:+,}$h"
	conf "two$w" "$p" "$h" "
[input k]
type = kafka
brokers = $BS
topic = logs
group = scale"
done
# Both start while the brokers are down (kafka-mock: SIGUSR1 down, SIGUSR2
# up), so they join the group together when the brokers come back: the
# line is about sharing the work, not about a rebalance mid-read.
kill -USR1 $MPID
for w in 1 2; do
	"$BIN" -c "$W/two$w.conf" 2> "$W/two$w.err" & PIDS="$PIDS $!"
	eval "TP$w=\$!"
done
sleep 2
kill -USR2 $MPID
two=$(measure "$W/two1.log,$W/two2.log" "$hs" "$TP1,$TP2" "$M" "$B" | cut -d' ' -f1)
each=$(for h in ${hs/,/ }; do curl -s "127.0.0.1:$h/stats" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print("%d/%d" % (j["events"]["stored"], j["inputs"]["k"]["partitions"]))'; done)
kill $TP1 $TP2; wait $TP1 $TP2
echo "scaling: $M events: two kafka workers (one group; stored/partitions" \
    "each: $(echo $each)) $two events/s together, one worker $one events/s, ratio" \
    "$(python3 -c "print('%.2f' % ($two / $one))") on $(nproc) cores"
