#!/bin/bash
# querybench.sh [N]: `logstreamd query` against `zcat -f | jq` on the same
# store in the same run (issue 17's figures).  The daemon stores N gen.py
# events (default 1,000,000; 6 hosts) in remote/{host}/{date}.log with
# rotate_size 4M and gzip; once every rotated file is compressed and
# indexed, three jobs run side by side, best of 3 each: a selective query
# (one host, one class), a full --count-by class, and a time range (a
# tenth of the events).  Each pair's answers are compared (line sets;
# counts) and the ratio of wall times printed; then replay of the whole
# store (classes and an alert), in events per second.  Ratios count; absolute
# figures drift on a shared machine.
set -u
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
BIN=${LOGSTREAMD:-$top/logstreamd}
N=${1:-1000000}
W=$(mktemp -d "${TMPDIR:-/tmp}/logstreamd-qbench.XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null; rm -rf "$W"' EXIT INT TERM
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free); hport=$(free)
cat > "$W/q.conf" <<CONF
[listen]
tcp = 127.0.0.1:$port
[storage]
path = $W/remote/{host}/{date}.log
rotate_size = 4M
keep = 100000
[alerts]
path = $W/alerts.log
[class auth_failure]
message = Failed password
[class deadlock]
message = deadlock
[http]
listen = 127.0.0.1:$hport
CONF
python3 "$top/tests/gen.py" "$N" > "$W/in.txt"
"$BIN" -c "$W/q.conf" 2> "$W/daemon.err" &
PID=$!
for i in $(seq 100); do nc -z 127.0.0.1 "$port" 2>/dev/null && break; sleep 0.05; done
"$top/build/lsflood" -c 2 127.0.0.1 "$port" "$W/in.txt" > /dev/null
for i in $(seq 6000); do	# stored, then rotated files compressed and indexed
	[ "$(curl -s "127.0.0.1:$hport/metrics" | awk '$1 == "logstreamd_events_stored_total" { print $2 }')" = "$N" ] && break
	sleep 0.1
done
for i in $(seq 6000); do
	plain=$(find "$W/remote" -name '*-20*Z_[0-9][0-9][0-9].log' | wc -l)
	gz=$(find "$W/remote" -name '*.log.gz' | wc -l)
	idx=$(find "$W/remote" -name '.*.idx' | wc -l)
	[ "$plain" = 0 ] && [ "$gz" = "$idx" ] && break
	sleep 0.1
done
kill -TERM $PID; wait $PID; PID=""
stored=$(zcat -f "$W"/remote/*/*.log* | wc -l)
echo "store: $stored events in $gz .gz files and $(find "$W/remote" -name '*.log' | wc -l) live files"
cd "$W" || exit 1
# best SECONDS of 3 runs of a shell command
best() {
	local i t b=""
	for i in 1 2 3; do
		t=$( { /usr/bin/time -f %e sh -c "$1" > /dev/null; } 2>&1 | tail -1)
		b=$(python3 -c "print(min(float('$t'), float('${b:-1e9}')))")
	done
	echo "$b"
}
lo=$(zcat -f remote/*/*.log* | python3 -c '
import json, sys
r = sorted(json.loads(l)["received"] for l in sys.stdin)
print(r[len(r) * 4 // 10], r[len(r) * 5 // 10])')
set -- $lo
Q="$BIN query -c $W/q.conf"
JQ="zcat -f remote/*/*.log* | jq -c"
run() {	# NAME QUERY-ARGS JQ-FILTER
	$Q $2 | sort > a.out
	sh -c "$JQ '$3'" | sort > b.out
	cmp -s a.out b.out || { echo "$1: the answers differ"; exit 1; }
	tq=$(best "$Q $2"); tj=$(best "$JQ '$3'")
	printf '%-34s query %6.2f s  zcat|jq %6.2f s  %5.1fx  (%d events)\n' "$1" "$tq" "$tj" \
	    "$(python3 -c "print($tj / max($tq, 0.001))")" "$(wc -l < a.out)"
}
run "one host, one class" "--where host=web01 --where class=deadlock" 'select(.host=="web01" and .class=="deadlock")'
run "a tenth of the time" "--since $1 --until $2" "select(.received >= \"$1\" and .received <= \"$2\")"
$Q --count-by class -o json | python3 -c 'import json,sys; print(sorted((o["class"], o["count"]) for o in map(json.loads, sys.stdin)))' > a.out
sh -c "zcat -f remote/*/*.log* | jq -r .class | sort | uniq -c" | python3 -c 'import sys; print(sorted((l.split()[1], int(l.split()[0])) for l in sys.stdin))' > b.out
cmp -s a.out b.out || { echo "count-by: the counts differ"; exit 1; }
tq=$(best "$Q --count-by class"); tj=$(best "zcat -f remote/*/*.log* | jq -r .class | sort | uniq -c")
printf '%-34s query %6.2f s  zcat|jq %6.2f s  %5.1fx\n' "--count-by class (every event)" "$tq" "$tj" "$(python3 -c "print($tj / max($tq, 0.001))")"
# replay: the whole store through the config's classes and an alert per
# host (the daemon's own alerter on the events' clock): events per second.
{ cat "$W/q.conf"; printf '[alert burst]\nclass = auth_failure\nthreshold = 5\nwindow = 1m\ngroup_by = host\n'; } > r.conf
nr=$("$BIN" replay -c "$W/r.conf" | sed -n 's/^# replay .*: \([0-9]*\) events.*/\1/p')
[ "$nr" = "$stored" ] || { echo "replay: $nr events, the store has $stored"; exit 1; }
tr=$(best "$BIN replay -c $W/r.conf")
printf '%-34s replay %6.2f s  %5.2f M events/s  (%d events)\n' "replay (classes + alert)" "$tr" \
    "$(python3 -c "print($nr / max($tr, 0.001) / 1e6)")" "$nr"
