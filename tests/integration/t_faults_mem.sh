#!/bin/bash
# t_faults_mem.sh: the queue's memory bound counts what a queued event
# really takes (text and parsed field records), not its text alone.  With
# storage stalled (LOGSTREAMD_TEST_STALL_FILE), 4 senders of logfmt lines
# of tiny fields (`seq=N a=1 b=2 c=3 ...`, each field record 7 times its
# text) fill the queue while a fifth sends normal events alongside; the
# daemon must hold the senders back before its peak RSS (VmHWM) reaches
# 256 MB, once with max_message = 64k (64 KB lines) and once with 1M
# (1 MB lines); once storage moves, every event sent is stored exactly
# once (seq oracle).  Under ASan (RSS is larger) the RSS bound is skipped.
. "$(dirname "$0")/lib.sh"

LIMIT_KB=$((256 * 1024))
ASAN=0
nm -D "$BIN" 2>/dev/null | grep -q __asan_init && ASAN=1

# metric NAME: a sample's value from /metrics (0 if absent).
metric() {
	curl -s "http://127.0.0.1:$HPORT/metrics" |
	    awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }'
}

# bomb MAX_MESSAGE LINE_BYTES LINES_PER_SENDER
bomb() {
	local mm=$1 size=$2 n=$3 i last now same hwm
	rm -rf "$T/run"; mkdir "$T/run"
	PORT=$(free_port); HPORT=$(free_port)
	MAX_MESSAGE=$mm write_conf "
[storage]
rotate_size = 0

[http]
listen = 127.0.0.1:$HPORT"
	sed -i "s|$T/events.log|$T/run/events.log|" "$T/test.conf"
	touch "$T/stall"
	LOGSTREAMD_TEST_STALL_FILE=$T/stall start_daemon
	python3 "$GEN" 3000 > "$T/run/normal.log"
	python3 - "$PORT" "$size" "$n" "$T/run" <<'PY' & SND=$!
import socket, sys, threading
port, size, n, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def tcp(data):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
def bomb(k):
    seqs = [k * 1000000 + i for i in range(n)]
    with open("%s/bomb%d.sent" % (out, k), "w") as f:
        f.writelines("seq=%d\n" % s for s in seqs)
    pairs = b" ".join(b"%c=%d" % (97 + i % 26, i % 10) for i in range(size // 4))
    tcp(b"".join((b"seq=%d " % s + pairs)[:size - 1] + b"\n" for s in seqs))
ts = [threading.Thread(target=bomb, args=(k,)) for k in range(1, 5)]
ts.append(threading.Thread(target=tcp, args=(open(out + "/normal.log", "rb").read(),)))
for t in ts: t.start()
for t in ts: t.join()
PY
	track $SND
	# Stalled: wait until the daemon stops reading (backpressure), or
	# its memory is already past the bound.
	last=-1; same=0
	for i in $(seq 300); do
		hwm=$(awk '/VmHWM/{print $2}' /proc/$DPID/status)
		[ $ASAN = 0 ] && [ "$hwm" -ge $LIMIT_KB ] && break
		now=$(metric logstreamd_bytes_received_total)
		if [ "$now" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 5 ] && break
		else
			same=0; last=$now
		fi
		sleep 0.2
	done
	rm "$T/stall"
	wait $SND || fail "$mm: sender failed"
	wait_lines "$T/run/events.log" $((4 * n + 3000)) 120
	hwm=$(awk '/VmHWM/{print $2}' /proc/$DPID/status)
	stop_daemon
	python3 "$(dirname "$0")/seqcheck.py" --all "$T/run/events.log" \
	    "$T/run/normal.log" "$T"/run/bomb*.sent > "$T/run/seq.out" ||
	    fail "max_message $mm: $(cat "$T/run/seq.out")"
	if [ $ASAN = 1 ]; then
		echo "     $NAME: ASan build: VmHWM ${hwm} kB not bounded (ASan's shadow and quarantine)"
	else
		[ "$hwm" -lt $LIMIT_KB ] ||
		    fail "max_message $mm: VmHWM $((hwm / 1024)) MB >= 256 MB"
	fi
	RESULT="$RESULT max_message $mm: VmHWM $((hwm / 1024)) MB, $(cat "$T/run/seq.out");"
}

RESULT=""
bomb 64k 65536 160
bomb 1M 1048576 12
pass "$RESULT"
