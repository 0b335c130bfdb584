#!/bin/bash
# t_forward.sh: type = forward (RFC 5424, RFC 6587 octet counting).
# Part 1: logstreamd A forwards to logstreamd B and to a real rsyslogd
# (imtcp in, omfile out); B is stopped mid-stream and started again 1 s
# later: B's stored seq set must equal what A received (duplicates counted,
# at most the resend window), and rsyslog must have every seq.
# Part 2: A is SIGKILLed at random moments 20 times under a flood: every
# event A stored (its disk buffer is written first) must reach B.
. "$(dirname "$0")/lib.sh"

command -v rsyslogd >/dev/null || { echo "SKIP $NAME: no rsyslogd"; exit 77; }

# Events with seq=K in the message: RFC 5424 (forwarded as received) and
# plain lines (written as RFC 5424 by A).
lines() {
	python3 - "$1" "$2" <<'PY'
import sys
for i in range(int(sys.argv[1]), int(sys.argv[2])):
    if i % 2:
        print("<14>1 2026-11-23T20:14:14.000001Z web%02d app - - - event seq=%d" % (i % 7, i))
    else:
        print("plain event from a script seq=%d" % i)
PY
}

# B: a second logstreamd.
mkdir -p "$T/b" "$T/rs"
BPORT=$(free_port)
cat > "$T/b.conf" <<CONF
[listen]
tcp = 127.0.0.1:$BPORT
[storage]
path = $T/b/events.log
# the test reads events.log alone: no rotation under it
rotate_size = 0
[alerts]
path = $T/b/alerts.log
CONF
start_b() {
	"$BIN" -c "$T/b.conf" 2>>"$T/b.err" &
	BPID=$!
	track $BPID
	wait_port $BPORT $BPID || fail "B did not start"
}
start_b

# rsyslog: imtcp takes octet-counted frames; the message part to a file.
RPORT=$(free_port)
cat > "$T/rs/rsyslog.conf" <<CONF
global(workDirectory="$T/rs")
module(load="imtcp")
input(type="imtcp" port="$RPORT" address="127.0.0.1")
template(name="m" type="string" string="%msg%\n")
action(type="omfile" file="$T/rs/out.log" template="m")
CONF
rsyslogd -n -f "$T/rs/rsyslog.conf" -i "$T/rs/pid" 2>"$T/rs/err" &
track $!
wait_port $RPORT || fail "rsyslogd did not listen on $RPORT: $(cat "$T/rs/err")"

write_conf "
[storage]
# the test reads events.log alone: no rotation under it
rotate_size = 0

[output b]
type = forward
target = 127.0.0.1:$BPORT
resend = 256k
reconnect_max = 500ms

[output rs]
type = forward
target = 127.0.0.1:$RPORT
"
start_daemon

# count_b: "distinct duplicates" of the seqs in B's store.
count_b() {
	python3 - "$T/b/events.log" <<'PY'
import json, re, sys, collections
c = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.search(r"seq=(\d+)", json.loads(line).get("message", ""))
    if m: c[int(m.group(1))] += 1
print(len(c), sum(c.values()) - len(c))
PY
}

# seqset FILE...: the sorted distinct seqs of JSON stores or raw lines.
seqset() {
	grep -ho 'seq=[0-9]*' "$@" | sort -u
}

# Part 1.
lines 0 10000 > "$T/sent1"
lines 10000 20000 > "$T/sent2"
nc -N 127.0.0.1 "$PORT" < "$T/sent1" || fail "send 1"
sleep 0.3
kill -TERM $BPID; wait $BPID
nc -N 127.0.0.1 "$PORT" < "$T/sent2" || fail "send 2"
sleep 1
start_b
for i in $(seq 1200); do
	set -- $(count_b)
	[ "$1" = 20000 ] && break
	sleep 0.1
done
set -- $(count_b)
distinct=$1 dups=$2
seqset "$T/events.log" > "$T/a.set"
seqset "$T/b/events.log" > "$T/b.set"
[ $(wc -l < "$T/a.set") = 20000 ] || fail "A stored $(wc -l < "$T/a.set") of 20000"
cmp -s "$T/a.set" "$T/b.set" || fail "B's seq set differs from A's: $distinct distinct"
for i in $(seq 600); do
	[ "$(seqset "$T/rs/out.log" | wc -l)" = 20000 ] && break
	sleep 0.1
done
seqset "$T/rs/out.log" > "$T/rs.set"
cmp -s "$T/a.set" "$T/rs.set" || fail "rsyslog has $(wc -l < "$T/rs.set") of 20000"
# 256k of resend at ~60 bytes an event: at most ~4,400 sent again.
[ "$dups" -le 4500 ] || fail "$dups duplicates: more than the resend window"
stop_daemon
echo "     part 1: B restarted mid-stream: 20000 of 20000 at B ($dups duplicates, resend = 256k), 20000 at rsyslog"

# Part 2: 20 SIGKILLs of A under a flood from a sender that reconnects.
rm -f "$T/b/events.log" "$T/events.log"
kill -TERM $BPID; wait $BPID; start_b
start_daemon
python3 - 127.0.0.1 "$PORT" "$T/stop" 20000 > /dev/null <<'PY' &
import os, socket, sys, time
host, port, stop, i = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
while not os.path.exists(stop):
    try:
        s = socket.create_connection((host, port), timeout=1)
        while not os.path.exists(stop):
            s.sendall(b"".join(b"flood event seq=%d\n" % k for k in range(i, i + 200)))
            i += 200
            time.sleep(0.002)
        s.close()
    except OSError:
        time.sleep(0.05)
PY
SENDER=$!
track $SENDER
for k in $(seq 20); do
	sleep 0.$((RANDOM % 4 + 1))
	kill -0 $DPID 2>/dev/null || fail "A died by itself before kill $k"
	kill -KILL $DPID; wait $DPID 2>/dev/null
	start_daemon
done
sleep 0.5
touch "$T/stop"; wait $SENDER
sleep 1
stop_daemon
seqset "$T/events.log" > "$T/a.set"
for i in $(seq 300); do
	seqset "$T/b/events.log" > "$T/b.set"
	[ -z "$(comm -23 "$T/a.set" "$T/b.set")" ] && break
	sleep 0.1
done
# A stopped cleanly: what it still held went at its last start or stays
# in its buffer; restart once to send any rest.
# Its disk buffer may hold many events after 20 kills: wait (bounded) until
# B has them all, rather than a fixed time that a loaded machine can miss.
lost=$(comm -23 "$T/a.set" "$T/b.set" | wc -l)
if [ "$lost" -gt 0 ]; then
	start_daemon
	for i in $(seq 900); do
		seqset "$T/b/events.log" > "$T/b.set"
		[ -z "$(comm -23 "$T/a.set" "$T/b.set")" ] && break
		sleep 0.1
	done
	stop_daemon
	seqset "$T/b/events.log" > "$T/b.set"
	lost=$(comm -23 "$T/a.set" "$T/b.set" | wc -l)
fi
set -- $(count_b)
extra=$(comm -13 "$T/a.set" "$T/b.set" | wc -l)
[ "$lost" = 0 ] || fail "$lost events stored by A never reached B after 20 SIGKILLs"
# Each kill re-sends at most the resend window (256k) plus the one write
# (SEND_CHUNK, 256k) sent since the last look at SIOCOUTQ; a forwarded frame
# of these events is at least 68 bytes ("NN <13>1 " + time + " - - - - - "
# + "flood event seq=" + 5 digits): 7,710 events a kill.
[ "$2" -le $((20 * 512 * 1024 / 68)) ] ||
	fail "$2 duplicates: more than 20 x (resend + one write)"
kill -TERM $BPID; wait $BPID
pass "forward to B and rsyslog, B restarted: nothing lost ($dups dups); 20 SIGKILLs of A: $(wc -l < "$T/a.set") stored by A, all at B, $2 duplicates, $extra sent but not stored by A (killed between buffer and store)"
