#!/bin/bash
# t_unix: unix sockets in [listen].  A stale socket at a path is replaced,
# the files get unix_mode.  logger -u (datagram; -T stream, LF and
# --octet-count) and a Python sender (stream LF and octet-counted,
# datagrams) are stored with "transport":"unix", the socket's path as
# source and the kernel's credentials: trusted.pid is the sender's pid
# (logger -i's own [PID], Python's os.getpid()), trusted.uid its uid.  A
# datagram over max_message, and one over 64 KiB, are cut and marked
# truncated, and the datagrams beside them are intact (seq oracle: all
# sent stored once).  With storage stalled the full queue stops the reading
# of a datagram socket: a sender of 20,000 is held, none is dropped, all
# are stored once storage moves.  A regular file at a path is refused with file:line
# (-t and reload) and left as it was; a path another program serves is
# refused at reload and its socket left alone.  A reload keeps a listed
# socket (same inode), adds one and removes one (its file unlinked); a
# stop unlinks every socket we bound.  A unix socket from socket
# activation (systemd-socket-activate) is served the same way, beside the
# config's tcp port.
. "$(dirname "$0")/lib.sh"
MAX_MESSAGE=1k CAPACITY=1024 write_conf
sed -i "s|^max_message = .*|&\nunix = $T/dlog\nunix_stream = $T/slog\nunix_mode = 0660|" "$T/test.conf"
# a stale socket (its program died without removing it) is replaced
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])" "$T/dlog"
export LOGSTREAMD_TEST_STALL_FILE=$T/stall	# storage stalls while it exists
start_daemon
unset LOGSTREAMD_TEST_STALL_FILE
for i in $(seq 100); do [ -S "$T/slog" ] && break; sleep 0.05; done
grep -q "listen unix $T/dlog: replaced a stale socket" "$T/daemon.err" || fail "stale socket not replaced"
[ "$(stat -c %a "$T/dlog") $(stat -c %a "$T/slog")" = "660 660" ] ||
	fail "modes $(stat -c %a "$T/dlog") $(stat -c %a "$T/slog"), want 660 (unix_mode)"
ino=$(stat -c %i "$T/dlog")

# logger: -i puts its own pid in the header; trusted.pid must equal it
# (--socket-errors=on: a socket logger cannot reach is its exit status)
logger --socket-errors=on -u "$T/dlog" -d -i -t lg "logger dgram seq=1" || fail "logger -u (datagram)"
logger --socket-errors=on -u "$T/slog" -T -i -t lg "logger stream seq=2" || fail "logger -u -T (stream)"
logger --socket-errors=on -u "$T/slog" -T -i --octet-count -t lg "logger octet seq=3" || fail "logger -u -T --octet-count"
printf 'seq=%d\n' 1 2 3 > "$T/sent"
python3 - "$T" <<'PY' || fail "python sender"
import os, socket, sys
T = sys.argv[1]
out = open(T + "/sent", "a")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(T + "/slog")
s.sendall(b"<13>Dec  3 10:00:00 py[1]: stream lf seq=4\n<13>py: stream lf seq=5\n")
s.close()
# framing is chosen per connection, by its first frame
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(T + "/slog")
m = b"<13>py: octet counted\nwith an LF inside seq=6"
s.sendall(b"%d %s" % (len(m), m)); s.close()
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
for k, body in ((7, b"small"), (8, b"x" * 5000), (9, b"small"), (10, b"y" * 100000), (11, b"small")):
    d.sendto(b"<13>py: dgram seq=%d " % k + body, T + "/dlog")
for k in range(4, 12):
    out.write("seq=%d\n" % k)
open(T + "/py.ids", "w").write("%d %d %d\n" % (os.getpid(), os.getuid(), os.getgid()))
PY
wait_lines "$T/events.log" 11
python3 "$(dirname "$0")/seqcheck.py" --all "$T/events.log" "$T/sent" || fail "unix events lost or repeated"
read -r pypid pyuid pygid < "$T/py.ids"
bad=$(jq -c 'select(.transport != "unix" or (.source != "'"$T/dlog"'" and .source != "'"$T/slog"'")
	or (.trusted.pid | type) != "number")' "$T/events.log")
[ -z "$bad" ] || fail "not transport unix with the socket path and trusted: $bad"
bad=$(jq -c 'select(.app == "lg" and (.pid | tonumber) != .trusted.pid)' "$T/events.log")
[ -z "$bad" ] || fail "logger's pid is not trusted.pid: $bad"
[ "$(jq -c 'select(.app == "lg")' "$T/events.log" | wc -l)" = 3 ] || fail "logger events: $(jq -c . "$T/events.log" | head -3)"
# logger over a local socket names no host: the daemon fills in this machine's
bad=$(jq -c 'select(.app == "lg" and .host != "'"$(hostname)"'")' "$T/events.log")
[ -z "$bad" ] || fail "a local event without this machine's name as host ($(hostname)): $bad"
bad=$(jq -c 'select(.app == "py" and (.trusted != {"pid":'"$pypid"',"uid":'"$pyuid"',"gid":'"$pygid"'}))' "$T/events.log")
[ -z "$bad" ] || fail "python's pid/uid/gid ($pypid $pyuid $pygid) not trusted: $bad"
[ "$(jq -r 'select(.truncated) | .message | capture("seq=(?<s>[0-9]+)").s' "$T/events.log" | sort | tr '\n' ,)" = "10,8," ] ||
	fail "truncated: $(jq -c 'select(.truncated) | .message[0:40]' "$T/events.log")"
bad=$(jq -c 'select(.truncated and (.raw // .message | length) > 1024)' "$T/events.log")
[ -z "$bad" ] || fail "a truncated event longer than max_message"
[ "$(jq 'select(.message | test("seq=6")) | .message | test("^octet counted\nwith an LF inside")' "$T/events.log")" = true ] ||
	fail "octet-counted frame not one event"

# backpressure: storage stalled, the queue fills and the datagram socket
# is no longer read: a blocking sender of 20,000 is held (not dropped);
# once storage moves, every one is stored exactly once and none dropped
touch "$T/stall"
python3 - "$T" <<'PY' &
import socket, sys
T = sys.argv[1]
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for k in range(100000, 120000):
    d.sendto(b"<13>bp: held seq=%d" % k, T + "/dlog")
    if k % 500 == 0:
        open(T + "/bp.n", "w").write("%d\n" % k)
PY
BP=$!
track $BP
prev=-1
for i in $(seq 300); do
	n=$(cat "$T/bp.n" 2>/dev/null || echo 0)
	[ "$n" = "$prev" ] && break
	prev=$n; sleep 0.2
done
kill -0 $BP 2>/dev/null || fail "the sender finished with storage stalled: datagrams not held"
rm -f "$T/stall"
wait $BP || fail "backpressure sender"
seq 100000 119999 | sed 's/^/seq=/' >> "$T/sent"
wait_lines "$T/events.log" 20011 60
python3 "$(dirname "$0")/seqcheck.py" --all "$T/events.log" "$T/sent" || fail "lost or repeated under backpressure"

# a regular file at a path: -t and reload refuse it with file:line; it stays
cp "$T/test.conf" "$T/good.conf"
echo "keep me" > "$T/regular"
sed -i "s|^unix_stream = .*|&\nunix_stream = $T/regular|" "$T/test.conf"
"$BIN" -t -c "$T/test.conf" 2>"$T/t.err" && fail "-t took a regular file as a socket path"
grep -q "^$T/test.conf:[0-9]*: unix_stream = $T/regular: exists and is not a socket" "$T/t.err" ||
	fail "-t: $(cat "$T/t.err")"
kill -HUP $DPID
wait_grep "$T/daemon.err" "keeping the running config"
[ "$(cat "$T/regular")" = "keep me" ] || fail "the regular file was touched"
# a path another program serves: refused at reload, its socket untouched
python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); time.sleep(60)" "$T/busy" &
BUSY=$!
track $BUSY
for i in $(seq 100); do [ -S "$T/busy" ] && break; sleep 0.05; done
sed "s|^unix = .*|&\nunix = $T/busy|" "$T/good.conf" > "$T/test.conf"
kill -HUP $DPID
wait_grep "$T/daemon.err" "listen unix $T/busy: a socket another program serves: not replaced"
[ "$(grep -c "keeping the running config" "$T/daemon.err")" = 2 ] || fail "busy path: reload not refused"
[ -S "$T/busy" ] || fail "the other program's socket was removed"
kill $BUSY

# reload: dlog kept (same inode, its mode now 0666), slog removed (file
# gone), dlog2 added; another user (nobody) sends: its uid and gid stored
sed -e "s|^unix_stream = .*|unix = $T/dlog2|" -e "s|^unix_mode = .*|unix_mode = 666|" \
	"$T/good.conf" > "$T/test.conf"
kill -HUP $DPID
wait_grep "$T/daemon.err" "reloaded $T/test.conf"
[ ! -e "$T/slog" ] || fail "a socket removed by reload still has its file"
[ "$(stat -c %i "$T/dlog")" = "$ino" ] || fail "a kept socket was bound again"
[ "$(stat -c '%a' "$T/dlog" "$T/dlog2" | tr '\n' ' ')" = "666 666 " ] || fail "unix_mode after reload: $(stat -c "%n %a" "$T"/dlog*)"
chmod o+x "$T"
setpriv --reuid=65534 --regid=65534 --clear-groups logger --socket-errors=on -u "$T/dlog2" -d -i -t nb \
	"after reload seq=12" || fail "logger (as nobody) to the added socket"
logger --socket-errors=on -u "$T/dlog" -d -t lg "after reload seq=13" || fail "logger to the kept socket"
printf 'seq=%d\n' 12 13 >> "$T/sent"
wait_lines "$T/events.log" 20013
python3 "$(dirname "$0")/seqcheck.py" --all "$T/events.log" "$T/sent" || fail "lost or repeated over reload"
[ "$(jq -c 'select(.app == "nb") | [.trusted.uid, .trusted.gid, .trusted.pid == (.pid | tonumber)]' \
	"$T/events.log")" = "[65534,65534,true]" ] || fail "nobody's credentials: $(grep seq=12 "$T/events.log")"
stop_daemon
[ ! -e "$T/dlog" ] && [ ! -e "$T/dlog2" ] || fail "sockets left after stop: $(ls "$T")"
[ "$(summary_value unix) $(summary_value dropped)" = "20013 0" ] ||
	fail "stop summary unix=$(summary_value unix) dropped=$(summary_value dropped), want 20013 0"

# socket activation: a unix datagram socket from systemd, beside the tcp port
cp "$T/good.conf" "$T/test.conf"
sed -i '/^unix/d' "$T/test.conf"
systemd-socket-activate --datagram -l "$T/act" "$BIN" -c "$T/test.conf" \
	>"$T/daemon.out" 2>"$T/daemon.err" &
DPID=$!
track $DPID
for i in $(seq 200); do [ -S "$T/act" ] && break; sleep 0.05; done
# The first datagram starts the daemon: sent before it set SO_PASSCRED
# (systemd's PassCredentials= would have), it has no credentials to store.
logger --socket-errors=on -u "$T/act" -d -i -t lg "activated seq=14" || fail "logger to the activation socket"
for i in $(seq 600); do nc -z 127.0.0.1 "$PORT" 2>/dev/null && break; sleep 0.05; done
nc -z 127.0.0.1 "$PORT" || fail "config's tcp port not bound beside a unix socket from systemd"
logger --socket-errors=on -u "$T/act" -d -i -t lg "activated seq=15" || fail "logger to the activation socket"
for i in $(seq 600); do grep -q "seq=15" "$T/events.log" 2>/dev/null && break; sleep 0.05; done
[ "$(jq -c 'select(.message | test("seq=1[45]")) | [.transport == "unix" and .source == "'"$T/act"'",
	.trusted.pid == (.pid | tonumber), .trusted == null]' "$T/events.log" | tr -d '\n')" = \
	"[true,false,true][true,true,false]" ] ||
	fail "activated unix socket: $(grep seq=1[45] "$T/events.log")"
stop_daemon
[ -S "$T/act" ] || fail "a socket from systemd was unlinked (not ours)"
pass "logger -u dgram/stream/octet, python stream+dgram: transport unix, source path, trusted pid/uid/gid; 2 truncated, neighbours intact; regular file and busy path refused; reload keep/add/remove; activation"
