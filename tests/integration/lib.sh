# lib.sh: shared helpers for the integration tests (sourced, not run).
# Every test gets its own temp dir and free ports on 127.0.0.1, starts the
# real daemon, and a trap kills every process it started, by PID.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${LOGSTREAMD:-$TOP/logstreamd}
GEN=$TOP/tests/gen.py
T=$(mktemp -d "${TMPDIR:-/tmp}/logstreamd-test.XXXXXX")
PIDS=""
NAME=$(basename "$0" .sh)
# the daemon's pid and reload-state files (logstreamd reload) stay in $T
export RUNTIME_DIRECTORY=$T/run

cleanup() {
	local p
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -f "$T.ports"
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL $NAME: $*" >&2; [ -f "$T/daemon.err" ] && tail -20 "$T/daemon.err" >&2; exit 1; }
pass() { echo "ok   $NAME: $*"; }
track() { PIDS="$PIDS $1"; }

# A port free for both TCP and UDP on 127.0.0.1, and not one this test was
# given before (the kernel may hand out a port just closed again: a test
# that took two, for the listener and [http], got the same one twice).
# The list is kept beside $T, not in it: tests check what is in $T.
free_port() {
	python3 - "$T.ports" <<'PY'
import socket, sys
try:
    given = set(open(sys.argv[1]).read().split())
except OSError:
    given = set()
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
        if str(p) not in given:
            print(p)
            open(sys.argv[1], "a").write("%d\n" % p)
            break
    except OSError:
        pass
    finally:
        t.close(); u.close()
PY
}

# write_conf [extra ini text]: a config in $T with storage under $T.
write_conf() {
	PORT=${PORT:-$(free_port)}
	cat > "$T/test.conf" <<CONF
[listen]
tcp = 127.0.0.1:$PORT
udp = 127.0.0.1:$PORT
max_message = ${MAX_MESSAGE:-64k}

[queue]
capacity = ${CAPACITY:-65536}

[storage]
path = $T/events.log
sync = ${SYNC:-1s}

[alerts]
path = $T/alerts.log
${1:-}
CONF
}

# wait_port PORT [PID] [SECONDS]: until 127.0.0.1:PORT accepts (30 s: a busy
# machine, an ASan build); 1 when the time runs out or PID (if given) exits.
wait_port() {
	local i lim=$(( ${3:-30} * 20 ))
	for i in $(seq $lim); do
		nc -z 127.0.0.1 "$1" 2>/dev/null && return 0
		[ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}

# launch CONF PORT ERR [args]: run the daemon on CONF, stderr to ERR (and
# stdout to ERR less .err, plus .out); fail unless it listens on PORT.  Sets
# LPID (tracked).
launch() {
	local conf=$1 port=$2 err=$3
	shift 3
	"$BIN" -c "$conf" "$@" >"${err%.err}.out" 2>"$err" &
	LPID=$!
	track $LPID
	wait_port "$port" $LPID && return 0
	kill -0 $LPID 2>/dev/null || fail "daemon on $conf died at start: $(tail -3 "$err")"
	fail "daemon on $conf did not listen on $port"
}

# kafka_mock TOPIC PARTITIONS: librdkafka's mock cluster (build/kafka-mock,
# the only Kafka-protocol broker on this machine) with TOPIC made; sets MPID
# (tracked; SIGUSR1 takes every broker down, SIGUSR2 back) and BS (its
# bootstrap servers).
kafka_mock() {
	local mock=$TOP/build/kafka-mock i
	[ -x "$mock" ] || make -s -C "$TOP" build/kafka-mock >/dev/null ||
	    fail "cannot build kafka-mock"
	"$mock" "$1" "$2" > "$T/mock.out" 2> "$T/mock.err" &
	MPID=$!
	track $MPID
	for i in $(seq 600); do [ -s "$T/mock.out" ] && break; sleep 0.05; done
	BS=$(head -1 "$T/mock.out")
	[ -n "$BS" ] || fail "the mock cluster printed no bootstrap servers"
}

# kafka_worker NAME [EXTRA]: a worker of group "workers" on the mock
# cluster's topic logs ($BS) with its own ports and store ($T/NAME.log,
# sync 200ms), EXTRA config text after its [input k]; started (WPID,
# HTTP_NAME its /stats port).
kafka_worker() {
	local p h
	p=$(free_port); h=$(free_port)
	eval "HTTP_$1=$h"
	cat > "$T/$1.conf" <<CONF
[listen]
tcp = 127.0.0.1:$p

[storage]
path = $T/$1.log
sync = 200ms

[alerts]
path = $T/$1.alerts

[http]
listen = 127.0.0.1:$h

[input k]
type = kafka
brokers = $BS
topic = logs
group = workers
session_timeout = 3s
${2:-}
CONF
	launch "$T/$1.conf" "$p" "$T/$1.err"
	WPID=$LPID
}

# kafka_stat HTTPPORT KEY: a figure of the input k from /stats.
kafka_stat() {
	curl -s "127.0.0.1:$1/stats" | python3 -c '
import json, sys
print(json.load(sys.stdin)["inputs"]["k"][sys.argv[1]])' "$2" 2>/dev/null
}

# start_daemon [args]: run it on $T/test.conf (stderr to $T/daemon.err,
# stdout to $T/daemon.out); wait until TCP accepts.  Sets DPID.
start_daemon() { launch "$T/test.conf" "$PORT" "$T/daemon.err" "$@"; DPID=$LPID; }

# stop_daemon: SIGTERM, wait, and check the exit code is 0.
stop_daemon() {
	kill -TERM $DPID
	wait $DPID
	local rc=$?
	[ $rc = 0 ] || fail "daemon exited $rc after SIGTERM"
}

# wait_lines FILE N [SECONDS]: until FILE has at least N lines.
wait_lines() {
	local i n lim=$(( ${3:-30} * 20 ))
	for i in $(seq $lim); do
		n=$(wc -l 2>/dev/null < "$1" || echo 0)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "$1 has $(wc -l 2>/dev/null < "$1" || echo 0) lines, wanted $2"
}

# wait_grep FILE PATTERN [SECONDS]: until a line of FILE matches the grep -E
# PATTERN (a log line is written when the daemon gets to it, not when the
# port opens: poll, never grep once).
wait_grep() {
	local i lim=$(( ${3:-30} * 20 ))
	for i in $(seq $lim); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "$1: no line matching '$2' in ${3:-30} s"
}

# The figure NAME=N from the daemon's stop summary on stderr.
summary_value() {
	sed -n "s/.*stopped:.* $1=\([0-9]*\).*/\1/p" "$T/daemon.err" | tail -1
}

# For the tests that boot a real systemd (tests/tools/systemd-ns) and install
# into /.  in_chroot: our / is not PID 1's (a debootstrap root, as
# ../shared/tools/fresh-machine runs `make check` in); where /proc/1/root
# cannot be read, ischroot (debianutils) tells from the root mounts.
in_chroot() {
	local b
	if b=$(stat -Lc %d:%i /proc/1/root/. 2>/dev/null); then
		[ "$(stat -c %d:%i /)" != "$b" ]
	else
		ischroot 2>/dev/null
	fi
}
# systemd_ns_ready: skip (exit 77, saying why) where systemd cannot boot as
# PID 1 of a namespace (a chroot; no cgroup hierarchy), then take the lock
# every such test holds (they install into /: one at a time, across
# checkouts) and set NS and SYSTEMD_NS_PIDFILE for ns.
systemd_ns_ready() {
	[ "$(id -u)" = 0 ] || fail "needs root (installs into /, boots systemd in a namespace)"
	if in_chroot; then
		echo "SKIP $NAME: running in a chroot (/ is not PID 1's root): systemd cannot boot as PID 1 of a namespace here"
		exit 77
	fi
	if ! mountpoint -q /sys/fs/cgroup; then
		echo "SKIP $NAME: no cgroup hierarchy mounted at /sys/fs/cgroup (a chroot?): systemd cannot boot here"
		exit 77
	fi
	systemd_ns_lock
	NS="$TOP/tests/tools/systemd-ns"
	export SYSTEMD_NS_PIDFILE=$T/ns.pid
}
systemd_ns_lock() {
	exec 9>/run/logstreamd-t_systemd.lock
	if ! flock -w 240 9; then
		echo "SKIP $NAME: another test has held /run/logstreamd-t_systemd.lock for 240 s (runs that install into / go one at a time)"
		exit 77
	fi
}
ns() { "$NS" exec "$@"; }
