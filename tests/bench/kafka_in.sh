#!/bin/bash
# kafka_in.sh [N]: one worker ([input] type = kafka) consuming from
# librdkafka's mock cluster (tests/tools/kafka-mock, 192 partitions: the mock
# keeps about 5 MB a partition), against a peer in the same run: the same
# events sent as raw lines over TCP to a plain instance.  The topic is filled
# first (kcat) with N stored-event lines that an edge instance wrote for
# tests/gen.py's mix.  The worker's clock goes from its first stored event
# (the group join is not counted) to the last; the peer's from the first
# byte sent (as bench.sh's); both read from /stats, published once a
# second, so only long runs are precise.  Prints events/s of both and the
# ratio; absolute figures drift on a shared machine.  Then the scaling line:
# two workers in one group on the same topic against one.  PERF=FILE:
# run 1's worker under perf record.
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
# wait_stored HTTPPORT[,HTTPPORT...] N [T0]: events/s from T0 (epoch
# seconds), or from the first stored event, to the Nth (summed over the
# instances).
wait_stored() {
	python3 - "$1" "$2" "${3:-}" <<'PY'
import json, sys, time, urllib.request
ports, n = sys.argv[1].split(","), int(sys.argv[2])
t0, s0 = (float(sys.argv[3]), 0) if sys.argv[3] else (None, 0)
deadline = time.time() + 600
def stored(port):
    try:
        return json.load(urllib.request.urlopen(
            "http://127.0.0.1:%s/stats" % port))["events"]["stored"]
    except Exception:
        return 0
while time.time() < deadline:
    st = sum(stored(p) for p in ports)
    now = time.time()
    if st > 0 and t0 is None:
        t0, s0 = now, st
    if t0 is not None and st >= n and now > t0:
        print("%.0f" % ((st - s0) / (now - t0)))
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
PY
}

python3 "$top/tests/gen.py" "$N" > "$W/raw"
# The stored lines an edge makes of them: the messages of the topic.
p=$(port); h=$(port); conf edge "$p" "$h"
"$BIN" -c "$W/edge.conf" 2> "$W/edge.err" & PIDS="$PIDS $!"; EPID=$!
sleep 0.5
nc -N 127.0.0.1 "$p" < "$W/raw" || exit 1
wait_stored "$h" "$N" > /dev/null || { echo "kafka_in: the edge stored too little"; exit 1; }
kill $EPID; wait $EPID

"$top/build/kafka-mock" logs 192 > "$W/mock.out" 2> "$W/mock.err" & PIDS="$PIDS $!"
MPID=$!
for i in $(seq 100); do [ -s "$W/mock.out" ] && break; sleep 0.05; done
BS=$(head -1 "$W/mock.out")
kcat -P -b "$BS" -t logs -X queue.buffering.max.messages=2000000 \
    -X queue.buffering.max.kbytes=4000000 < "$W/edge.log" 2> "$W/kcat.err"
M=$(kcat -C -b "$BS" -t logs -e -q -f '.\n' 2>/dev/null | wc -l)
[ "$M" -ge $((N / 2)) ] || { echo "kafka_in: the mock kept $M of $N"; exit 1; }

for run in 1 2; do
	rm -f "$W"/peer.log "$W"/worker.log
	p=$(port); h=$(port); conf peer "$p" "$h"
	"$BIN" -c "$W/peer.conf" 2> "$W/peer.err" & PIDS="$PIDS $!"; PP=$!
	sleep 0.5
	t0=$(date +%s.%N)
	head -n "$M" "$W/raw" | nc -N 127.0.0.1 "$p" &
	tcp=$(wait_stored "$h" "$M" "$t0")
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
	kafka=$(wait_stored "$h" "$M")
	kill -INT $WP; wait $WP
	echo "run $run: $M events: kafka worker $kafka events/s, tcp peer" \
	    "$tcp events/s, ratio $(python3 -c "print('%.2f' % ($kafka / $tcp))")"
	one=$kafka
done

# Scaling: two workers in one group share the topic (96 partitions each),
# measured from the first event either stores (both join at once: see below),
# against one worker on all of it (run 2 above), on this machine (the
# mock brokers and both workers share its cores).
hs=""
for w in 1 2; do
	p=$(port); h=$(port); hs="$hs${hs:+,}$h"
	conf "two$w" "$p" "$h" "
[input k]
type = kafka
brokers = $BS
topic = logs
group = bench3"
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
two=$(wait_stored "$hs" "$M")
each=$(for h in ${hs/,/ }; do curl -s "127.0.0.1:$h/stats" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print("%d/%d" % (j["events"]["stored"], j["inputs"]["k"]["partitions"]))'; done)
kill $TP1 $TP2; wait $TP1 $TP2
echo "scaling: $M events: two kafka workers (one group; stored/partitions" \
    "each: $(echo $each)) $two events/s together, one worker $one events/s, ratio" \
    "$(python3 -c "print('%.2f' % ($two / $one))") on $(nproc) cores"
