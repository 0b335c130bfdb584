#!/bin/bash
# t_faults_reload: a reload is all or nothing, and listeners survive it.
# (A) a reload that fails (alert path unopenable) changes nothing: a port
# only in the new config stays closed, the old allow list still holds;
# (B) a config with no listener, or an empty file, is refused and the
# daemon keeps accepting; (C) max_message raised with a connection open: a
# 500 KB line and 100 more all stored, only the line over the new limit
# marked truncated; (D) 40 reloads respelling the UDP address (127.0.0.1:P,
# 127.1:P: one address, two spellings, on any machine; `localhost` is ::1
# first where /etc/hosts names it so, and unknown in a debootstrap root)
# under a seq-numbered UDP sender: one socket throughout, and stored +
# counted drops = sent; (E) a connected socket from systemd
# (Accept=yes) is refused at start: exit 2, the cause named.
. "$(dirname "$0")/lib.sh"
write_conf
sed -i "s/^max_message = .*/&\nallow = 127.0.0.0\/8\nidle_timeout = 5s/" "$T/test.conf"
cp "$T/test.conf" "$T/good.conf"
start_daemon

# reload: SIGHUP and wait for its verdict; VERDICT is ok or refused.
NRL=0
reload() {
	local i n=0
	kill -HUP $DPID
	for i in $(seq 200); do
		n=$(grep -c -e "reloaded $T" -e "keeping the running config" "$T/daemon.err")
		[ "$n" -gt "$NRL" ] && break
		sleep 0.05
	done
	[ "$n" -gt "$NRL" ] || fail "no word of reload $((NRL + 1))"
	NRL=$n
	VERDICT=ok
	grep -e "reloaded $T" -e "keeping the running config" "$T/daemon.err" |
	    tail -1 | grep -q "keeping the running config" && VERDICT=refused
	return 0
}
stored() { grep -c -- "$1" "$T/events.log" 2>/dev/null || true; }
# CASES=C runs only case C (each case stands alone; all by default).
want() { case "${CASES:-ABCDE}" in *"$1"*) return 0 ;; esac; return 1; }

# --- (A) the alert file cannot be opened: nothing of the new config ---
if want A; then
	NPORT=$(free_port)
	mkdir "$T/adir"
	sed "s/^allow = .*/allow = 10.0.0.0\/8\ntcp = 127.0.0.1:$NPORT/; s|^path = $T/alerts.log|path = $T/adir|" \
	    "$T/good.conf" > "$T/test.conf"
	reload
	[ $VERDICT = refused ] || fail "(A) a reload with an unopenable alert file was taken"
	nc -z 127.0.0.1 $NPORT 2>/dev/null && fail "(A) failed reload: the new port $NPORT is open"
	echo "A1 after the failed reload seq=1" | nc -N 127.0.0.1 $PORT ||
		fail "(A) failed reload: the old port refuses"
	for i in $(seq 100); do [ "$(stored "A1 after")" = 1 ] && break; sleep 0.05; done
	[ "$(stored "A1 after")" = 1 ] ||
		fail "(A) failed reload: the new allow list refused 127.0.0.1 (old allow not in force)"
	echo "     (A) failed reload: new port closed, old allow list in force"
fi

# --- (B) no listener, or an empty file: refused, still accepting ---
if want B; then
	grep -v -e "^tcp = " -e "^udp = " "$T/good.conf" > "$T/test.conf"
	reload
	[ $VERDICT = refused ] || fail "(B) a config with no listener was taken"
	: > "$T/test.conf"
	reload
	[ $VERDICT = refused ] || fail "(B) an empty config was taken"
	grep -q "nothing to listen on" "$T/daemon.err" || fail "(B) no word of why"
	echo "B1 tcp after the refused reloads seq=2" | nc -N 127.0.0.1 $PORT ||
		fail "(B) the TCP port closed after a listener-less reload"
	# (not nc -u -w0: it may quit on its 0 s timeout before it sends; 3 of
	# 40 datagrams never left here)
	python3 -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
	    b"B2 udp after the refused reloads seq=3\n", ("127.0.0.1", int(sys.argv[1])))' $PORT
	for i in $(seq 100); do [ "$(stored "B[12] .* after the refused")" = 2 ] && break; sleep 0.05; done
	[ "$(stored "B[12] .* after the refused")" = 2 ] ||
		fail "(B) events after the refused reloads: $(stored "B[12] .* after the refused") of 2 stored"
	echo "     (B) listener-less and empty configs refused; TCP and UDP still served"
fi

# --- (C) max_message 64k -> 1M with a connection open ---
if want C; then
	cp "$T/good.conf" "$T/test.conf"
	python3 - "$PORT" "$T/go" > "$T/c.out" 2>&1 <<'PY' &
import os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"C before seq=10\n")
for _ in range(400):
    if os.path.exists(go):
        break
    time.sleep(0.05)
s.sendall(b"C long1 seq=11 " + b"x" * 500000 + b"\n")
s.sendall(b"C long2 seq=12 " + b"y" * 1200000 + b"\n")
s.sendall(b"".join(b"C after seq=%d\n" % (100 + i) for i in range(100)))
s.close()
PY
	CPID=$!
	track $CPID
	for i in $(seq 100); do [ "$(stored "C before")" = 1 ] && break; sleep 0.05; done
	[ "$(stored "C before")" = 1 ] || fail "(C) the first line was not stored"
	sed -i "s/^max_message = .*/max_message = 1M/" "$T/test.conf"
	reload
	[ $VERDICT = ok ] || fail "(C) raising max_message was refused"
	touch "$T/go"
	wait $CPID || fail "(C) sender: $(cat "$T/c.out")"
	for i in $(seq 300); do [ "$(stored '"C after')" = 100 ] && break; sleep 0.05; done
	c1=$(grep '"C long1' "$T/events.log" | jq -r '"\(.message | length) \(.truncated)"')
	c2=$(grep '"C long2' "$T/events.log" | jq -r '.truncated')
	[ "$(stored '"C after')" = 100 ] && [ "$c1" = "500015 null" ] && [ "$c2" = true ] ||
		fail "(C) after raising max_message: long1 (len truncated) '$c1', want '500015 null'; long2 truncated '$c2', want true; $(stored '"C after') of 100 after them"
	# And lowered (1M -> 64k) while 600 KB of a line are held: cut and
	# marked at once under the new limit, the peer read on.
	python3 - "$PORT" "$T/go2" > "$T/c2.out" 2>&1 <<'PY' &
import os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"C low1 seq=13 " + b"z" * 600000)
for _ in range(400):
    if os.path.exists(go):
        break
    time.sleep(0.05)
s.sendall(b"z" * 1000 + b"\n")
s.sendall(b"".join(b"C low after seq=%d\n" % (200 + i) for i in range(10)))
s.close()
PY
	CPID=$!
	track $CPID
	sleep 0.3
	sed -i "s/^max_message = .*/max_message = 64k/" "$T/test.conf"
	reload
	[ $VERDICT = ok ] || fail "(C) lowering max_message was refused"
	touch "$T/go2"
	wait $CPID || fail "(C) sender: $(cat "$T/c2.out")"
	for i in $(seq 300); do [ "$(stored '"C low after')" = 10 ] && break; sleep 0.05; done
	c3=$(grep '"C low1' "$T/events.log" | jq -r '"\(.message | length) \(.truncated)"')
	[ "$(stored '"C low after')" = 10 ] && [ "$c3" = "65536 true" ] ||
		fail "(C) after lowering max_message: low1 (len truncated) '$c3', want '65536 true'; $(stored '"C low after') of 10 after it"
	echo "     (C) max_message raised under an open connection: 500 KB whole, 1.2 MB cut and marked, 100 after stored; lowered: cut and marked, 10 after stored"
fi

# --- (D) 40 reloads respelling the UDP address under a UDP sender ---
if want D; then
	python3 - "$PORT" "$T/stop" > "$T/d.sent" 2>"$T/d.err" <<'PY' &
import os, socket, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
while not os.path.exists(stop):
    for _ in range(40):
        u.sendto(b"<13>Nov 23 20:14:14 h app: D seq=%d" % (1000 + n),
                 ("127.0.0.1", port))
        n += 1
    time.sleep(0.005)
print(n)
PY
	SPID=$!
	track $SPID
	for r in $(seq 40); do
		if [ $((r % 2)) = 1 ]; then host=127.1; else host=127.0.0.1; fi
		sed -i "s/^udp = .*/udp = $host:$PORT/" "$T/test.conf"
		reload
		[ $VERDICT = ok ] || fail "(D) reload $r (udp = $host:$PORT) refused"
	done
	touch "$T/stop"
	wait $SPID || fail "(D) sender: $(cat "$T/d.err")"
	sent=$(cat "$T/d.sent")
	# Let the socket run dry: the count stands still for half a second.
	last=-1
	for i in $(seq 100); do
		now=$(stored '"D seq=')
		[ "$now" = "$last" ] && break
		last=$now
		sleep 0.5
	done
	stop_daemon
	uniq=$(grep -o '"D seq=[0-9]*' "$T/events.log" | sort -u | wc -l)
	dropped=$(summary_value dropped)
	[ "$uniq" = "$(stored '"D seq=')" ] || fail "(D) duplicates stored"
	[ $((uniq + dropped)) = "$sent" ] ||
		fail "(D) sent $sent, stored $uniq + counted drops $dropped = $((uniq + dropped))"
	reopened=$(grep -c -e "no longer listening on udp" -e "listening on udp" "$T/daemon.err")
	[ "$reopened" = 1 ] ||
		fail "(D) the UDP socket was closed or opened $reopened times (want only the first open)"
	echo "     (D) 40 respelling reloads: one UDP socket, sent $sent = stored $uniq + counted drops $dropped"
fi

# --- (E) a connected socket from systemd (Accept=yes) ---
if want E; then
	APORT=$(free_port)
	cp "$T/good.conf" "$T/test.conf"
	systemd-socket-activate -a -l 127.0.0.1:$APORT "$BIN" -c "$T/test.conf" \
	    >"$T/daemon.out" 2>"$T/sa.err" &
	SAPID=$!
	track $SAPID
	for i in $(seq 100); do nc -z 127.0.0.1 $APORT 2>/dev/null && break; sleep 0.05; done
	echo "E1 on an accepted socket seq=4" | nc -N -w 5 127.0.0.1 $APORT
	for i in $(seq 200); do grep -q "died with code\|exited with" "$T/sa.err" && break; sleep 0.05; done
	child=$(sed -n 's/.* as PID \([0-9]*\)\.$/\1/p' "$T/sa.err" | head -1)
	[ -n "$child" ] && track $child
	grep -q "Child [0-9]* died with code 2$" "$T/sa.err" ||
		fail "(E) Accept=yes socket: no exit 2: $(cat "$T/sa.err")"
	grep -q "is a connection, not a listening socket: Accept=yes .* not supported" "$T/sa.err" ||
		fail "(E) Accept=yes socket: cause not named: $(cat "$T/sa.err")"
	echo "     (E) Accept=yes socket from systemd: exit 2, cause named"
fi

pass "failed reload changes nothing, listener-less reload refused, max_message raised under a connection, UDP respelled 40x without loss, Accept=yes refused"
