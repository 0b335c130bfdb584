#!/bin/bash
# t_faults_out.sh: outputs and storage that fail, against the stop, the
# reload and each other (issue 19).
# 1. SIGTERM while storage is gone (its directory removed) and, in a second
#    daemon at the same time, while a blocking output is full (its target
#    down): each exits 0 well within 30 s (the stages give up 7 s after the
#    stop; 10 s documented), and every event is counted: received = stored
#    + dropped, the lost ones as dropped storage=, the ones the full output
#    never took in its dropped figure.
# 2. One output full and blocking (target down) beside a healthy forward
#    target that takes class auth only; a SIGHUP while the batch is held
#    (its records' class names belong to the old config: under ASan a use
#    after free); then the full output's target comes up.  The healthy
#    target got every auth event exactly once (no copy per retry), the
#    other one got every event, storage has all of them with the right
#    class.
# 3. A forward target that accepts and never reads takes 60 events at a low
#    rate, hangs on past resend_hold and is killed; a working target on the
#    same port then gets all 60 (resent: the hung one had read none).
# 4. SIGTERM while the storage filesystem has no inode left (a tmpfs with
#    nr_inodes, filled; rotate_size 64k, so that a new live file is due):
#    exits 0 well within 30 s, received = stored + dropped storage=, some
#    dropped.  Needs root (mount).
. "$(dirname "$0")/lib.sh"
SINK="python3 $(dirname "$0")/fwdsink.py"
SEQCHECK="python3 $(dirname "$0")/seqcheck.py"

command -v curl >/dev/null || fail "needs curl"

# A daemon of its own in $T/$1 on its own port; sets D_PID, D_PORT.
conf_in() {
	local d=$T/$1
	mkdir -p "$d/store"
	D_PORT=$(free_port)
	cat > "$d/conf" <<CONF
[listen]
tcp = 127.0.0.1:$D_PORT
[storage]
path = $d/store/events.log
rotate_size = 0
[alerts]
path = $d/alerts.log
[class auth]
message = Failed password
[class web]
message = GET /api
${2:-}
CONF
}
start_in() { launch "$T/$1/conf" "$D_PORT" "$T/$1/err"; D_PID=$LPID; }
# wait_exit PID SECONDS: 0 when it exited in time (its code in RC).
wait_exit() {
	local i
	for i in $(seq $(($2 * 10))); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			RC=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# figure DIR NAME: NAME=N from DIR's stop summary.
figure() {
	sed -n "s/.*stopped:.* $2=\([0-9]*\).*/\1/p" "$T/$1/err" | tail -1
}
# metric PORT REGEX: until a line of /metrics matches.
wait_metric() {
	local i
	for i in $(seq 300); do
		curl -s "127.0.0.1:$1/metrics" | grep -Eq "$2" && return 0
		sleep 0.1
	done
	fail "no metric line like $2"
}
dead_port() { free_port; }

# CASES="1 3" runs only those (to show one failing alone).
run_case() { case " ${CASES:-1 2 3 4} " in *" $1 "*) return 0 ;; esac; return 1; }

if run_case 1; then
# --- 1. SIGTERM with storage gone / a blocking output full ---------------
python3 "$GEN" 3000 1 > "$T/g1a"
python3 "$GEN" 3000 2 | sed 's/seq=/seq=1/' > "$T/g1b"
conf_in s1
start_in s1; P1=$D_PID; PORT1=$D_PORT
nc -N 127.0.0.1 $PORT1 < "$T/g1a" || fail "1: send"
wait_lines "$T/s1/store/events.log" 3000 30
rm -rf "$T/s1/store"
nc -N 127.0.0.1 $PORT1 < "$T/g1b" || fail "1: send after rm"

HP2=$(free_port)
conf_in o1 "[http]
listen = 127.0.0.1:$HP2
[output a]
type = forward
target = 127.0.0.1:$(dead_port)
buffer = $T/o1/bufa
buffer_size = 1M
segment_size = 64k
overflow = block
reconnect_max = 200ms"
start_in o1; P2=$D_PID; PORT2=$D_PORT
python3 "$GEN" 12000 3 > "$T/g2"
nc -N 127.0.0.1 $PORT2 < "$T/g2" || fail "1: send to o1"
wait_metric $HP2 '^logstreamd_output_blocked_total\{output="a"\} [1-9]'
for i in $(seq 100); do grep -q "removed\|No such file" "$T/s1/err" && break; sleep 0.1; done

kill -TERM $P1 $P2
e1=; e2=; RC=
wait_exit $P1 30 || e1="storage gone: still running 30 s after SIGTERM"
[ -n "$e1" ] || [ $RC = 0 ] || e1="exit $RC with storage gone"
wait_exit $P2 30 || e2="a blocking output full: still running 30 s after SIGTERM"
[ -n "$e2" ] || [ $RC = 0 ] || e2="exit $RC with a blocking output full"
[ -z "$e1$e2" ] || fail "1: $e1${e1:+; }$e2"
rx=$(figure s1 received); st=$(figure s1 stored); dr=$(figure s1 dropped)
ds=$(figure s1 storage)
[ "$rx" = 6000 ] && [ "$st" = 3000 ] && [ "$ds" = 3000 ] && [ "$dr" = 3000 ] ||
	fail "1: storage gone: received=$rx stored=$st dropped=$dr storage=$ds (want 6000 3000 3000 3000)"
rx=$(figure o1 received); st=$(figure o1 stored); dr=$(figure o1 dropped)
[ "$rx" = 12000 ] && [ "$st" = 12000 ] && [ "$dr" = 0 ] ||
	fail "1: output full: received=$rx stored=$st dropped=$dr (want all stored)"
grep -q "output a still full; [1-9][0-9]* events not given to it" "$T/o1/err" ||
	fail "1: the events the full output did not take are not counted"
echo "     1: storage gone: 3000 stored, 3000 dropped (storage); output full: 12000 stored; both stopped"

fi

if run_case 2; then
# --- 2. a held batch: per-output retry, reload under it -----------------
PA=$(free_port); PB=$(free_port); HP=$(free_port)
$SINK $PB "$T/b.got" & track $!
conf_in h "[http]
listen = 127.0.0.1:$HP
[output a]
type = forward
target = 127.0.0.1:$PA
buffer = $T/h/bufa
buffer_size = 1M
segment_size = 64k
overflow = block
reconnect_max = 200ms
[output b]
type = forward
target = 127.0.0.1:$PB
class = auth
buffer = $T/h/bufb"
start_in h; PH=$D_PID
python3 "$GEN" 12000 4 > "$T/g3"
nc -N 127.0.0.1 $D_PORT < "$T/g3" || fail "2: send"
wait_metric $HP '^logstreamd_output_blocked_total\{output="a"\} [1-9]'
sleep 2.5	# held: each retry used to hand b the batch again
# The same classes and outputs, and one class more that matches nothing.
sed -i 's/^\[class auth\]/[class never]\nmessage = ^NEVER-MATCHES$\n[class auth]/' "$T/h/conf"
kill -HUP $PH
for i in $(seq 100); do grep -q "reloaded" "$T/h/err" && break; sleep 0.1; done
grep -q "reloaded" "$T/h/err" || fail "2: no reload"
sleep 0.5
$SINK $PA "$T/a.got" & track $!
for i in $(seq 600); do
	kill -0 $PH 2>/dev/null || fail "2: the daemon died: $(grep -m1 ERROR "$T/h/err")"
	[ "$(wc -l < "$T/h/store/events.log")" -ge 12000 ] && break
	sleep 0.1
done
grep -q "AddressSanitizer" "$T/h/err" && fail "2: ASan: $(grep -m1 ERROR "$T/h/err")"
$SEQCHECK --all "$T/h/store/events.log" "$T/g3" || fail "2: storage lost or repeated events"
python3 - "$T/h/store/events.log" <<'PY' || fail "2: stored events with the wrong class"
import json, sys
bad = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    m = e.get("message", "")
    want = "auth" if "Failed password" in m else "web" if "GET /api" in m else "other"
    bad += e.get("class") != want
sys.exit(bad > 0)
PY
grep "Failed password" "$T/g3" > "$T/g3.auth"
nauth=$(wc -l < "$T/g3.auth")
for i in $(seq 100); do
	[ "$($SINK --count "$T/b.got" | sed 's/.*distinct=\([0-9]*\).*/\1/')" -ge "$nauth" ] && break
	sleep 0.1
done
for i in $(seq 300); do
	$SINK --count "$T/a.got" "$T/g3" | grep -q "missing=0" && break
	sleep 0.1
done
b=$($SINK --count "$T/b.got" "$T/g3.auth")
a=$($SINK --count "$T/a.got" "$T/g3")
case "$b" in *" dups=0 missing=0") ;; *) fail "2: healthy target (auth only, $nauth events): $b" ;; esac
[ "$(echo "$b" | sed 's/.*distinct=\([0-9]*\).*/\1/')" = "$nauth" ] || fail "2: healthy target got other classes: $b"
case "$a" in *" missing=0") ;; *) fail "2: the target that came back: $a" ;; esac
kill -TERM $PH
wait_exit $PH 30 || fail "2: no stop"
[ $RC = 0 ] || fail "2: exit $RC"
grep -q "AddressSanitizer" "$T/h/err" && fail "2: ASan report"
echo "     2: healthy target $b; the other $a; 12000 stored, classes right"

fi

if run_case 3; then
# --- 3. a forward target that hangs, then dies --------------------------
PF=$(free_port)
$SINK $PF "$T/hung.got" hang & HUNG=$!; track $HUNG
conf_in f "[output f]
type = forward
target = 127.0.0.1:$PF
buffer = $T/f/buf
reconnect_max = 200ms"
start_in f; PFD=$D_PID
python3 "$GEN" 60 5 > "$T/g4"
python3 - $D_PORT "$T/g4" <<'PY' || fail "3: send"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for line in open(sys.argv[2], "rb"):
    s.sendall(line)
    time.sleep(0.01)
s.close()
PY
wait_lines "$T/f/store/events.log" 60 30
sleep 2		# past resend_hold (1 s), all of it taken by the hung peer's kernel
{ kill -9 $HUNG; wait $HUNG; } 2>/dev/null
$SINK $PF "$T/f.got" & track $!
for i in $(seq 100); do
	$SINK --count "$T/f.got" "$T/g4" | grep -q "missing=0" && break
	sleep 0.1
done
r=$($SINK --count "$T/f.got" "$T/g4")
case "$r" in *" missing=0") ;; *) fail "3: after the hung target died: $r (of 60)" ;; esac
kill -TERM $PFD
wait_exit $PFD 30 || fail "3: no stop"
echo "     3: hung then dead target: $r"
fi
if run_case 4; then
# --- 4. SIGTERM with no inode left ---------------------------------------
[ "$(id -u)" = 0 ] || fail "4: needs root (tmpfs mount)"
mkdir -p "$T/ino"
mount -t tmpfs -o size=64m,nr_inodes=64 none "$T/ino" || fail "4: tmpfs mount failed"
trap 'umount -l "$T/ino" 2>/dev/null; cleanup' EXIT
conf_in i
sed -i -e "s#^path = $T/i/store/events.log#path = $T/ino/events.log#" \
	-e "s#^rotate_size = 0#rotate_size = 64k#" "$T/i/conf"
start_in i; PI=$D_PID
python3 "$GEN" 2000 6 > "$T/g5a"
python3 "$GEN" 2000 7 | sed 's/seq=/seq=1/' > "$T/g5b"
nc -N 127.0.0.1 $D_PORT < "$T/g5a" || fail "4: send"
for i in $(seq 300); do	# stored, rotated and compressed: nothing moves
	a=$(ls "$T/ino" | sort | tr '\n' ' '); sleep 0.2
	[ "$a" = "$(ls "$T/ino" | sort | tr '\n' ' ')" ] && ! ls "$T/ino" | grep -q tmp && break
done
n=0	# every inode taken: the next rotation cannot make a live file
while touch "$T/ino/fill$n" 2>/dev/null; do n=$((n + 1)); [ $n -lt 1000 ] || break; done
[ $n -lt 1000 ] || fail "4: the tmpfs has no inode limit"
nc -N 127.0.0.1 $D_PORT < "$T/g5b" || fail "4: send with no inode"
for i in $(seq 100); do grep -qi "no space" "$T/i/err" && break; sleep 0.1; done
grep -qi "no space" "$T/i/err" || fail "4: the daemon never met the inode limit"
kill -TERM $PI
wait_exit $PI 30 || fail "4: no inode left: still running 30 s after SIGTERM"
[ $RC = 0 ] || fail "4: exit $RC with no inode left"
rx=$(figure i received); st=$(figure i stored); ds=$(figure i storage)
[ "$rx" = 4000 ] && [ $((st + ds)) = 4000 ] && [ "$ds" -gt 0 ] ||
	fail "4: no inode left: received=$rx stored=$st storage=$ds (want stored + storage = 4000, storage > 0)"
umount -l "$T/ino"
echo "     4: no inode left: $st stored, $ds dropped (storage); stopped"
fi
pass "stop with storage gone / output full / no inode left, per-output retry, reload under a held batch, hung forward target"
