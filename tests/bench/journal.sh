#!/bin/bash
# journal.sh [N]: the journal read rate, logstreamd's [input] type = journal
# beside rsyslog's imjournal, in the same run on the same journal.  A real
# journald (tests/tools/systemd-ns, journald.conf bound over inside the
# namespace only: volatile storage, no rate limit, room for all) is given N
# entries (default 200000, ~100 bytes of message each, one stream); then
# each peer, run inside the namespace, reads the whole journal from its
# head and stores every entry as a JSON line (logstreamd: its storage, sync
# 1 s, one file as rsyslog's; rsyslog: omfile with its jsonl template of
# tests/bench/rsyslog-peer.conf, no fsync).  The clock runs from the
# peer's start until the last entry is in its store.  Rounds alternate the
# peers (2 each); the best round of each counts, and their ratio.  Needs
# root; holds t_systemd's lock while the namespace runs.  Prints one line
# per round and a summary line "journal: logstreamd R/s, imjournal R/s,
# ratio X".
set -u
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
BIN=${LOGSTREAMD:-$top/logstreamd}
N=${1:-200000}
[ "$(id -u)" = 0 ] || { echo "journal bench: needs root (systemd-ns)"; exit 77; }
command -v rsyslogd >/dev/null || { echo "journal bench: no rsyslogd"; exit 77; }
mountpoint -q /sys/fs/cgroup || { echo "journal bench: no cgroups: no systemd-ns"; exit 77; }
# Under /var/tmp: /tmp is private to the namespace.
W=$(mktemp -d /var/tmp/logstreamd-jbench.XXXXXX)
NS=$top/tests/tools/systemd-ns
export SYSTEMD_NS_PIDFILE=$W/ns.pid
ns() { "$NS" exec "$@"; }
trap '"$NS" stop >/dev/null 2>&1; rm -rf "$W"' EXIT INT TERM
exec 9>/run/logstreamd-t_systemd.lock
flock -w 600 9 || { echo "journal bench: t_systemd's lock is held"; exit 77; }
"$NS" start >/dev/null || { echo "journal bench: systemd-ns did not boot"; exit 1; }
cat > "$W/journald.conf" <<EOF
[Journal]
Storage=volatile
RateLimitIntervalSec=0
RuntimeMaxUse=2G
RuntimeMaxFileSize=1G
ForwardToSyslog=no
EOF
# Only the namespace sees it; rsyslog's own service there is stopped (it
# would read the journal too).
ns mount --bind "$W/journald.conf" /etc/systemd/journald.conf
ns systemctl stop rsyslog.service syslog.socket >/dev/null 2>&1
ns systemctl restart systemd-journald
t0=$(date +%s.%N)
ns systemd-run --wait -q -p LogRateLimitIntervalSec=0 -p SyslogIdentifier=jbench \
	awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "bench journal event seq=%d user=alice action=login status=ok from 10.0.%d.%d port %d ssh2\n", i, i % 250, i % 199, 1024 + i % 60000 }'
for _ in $(seq 600); do
	have=$(ns journalctl -q --no-pager SYSLOG_IDENTIFIER=jbench -n 1 -o cat 2>/dev/null)
	case $have in *"seq=$N "*) break ;; esac
	sleep 0.1
done
TOTAL=$(ns journalctl -q --no-pager -o export | grep -c '^__CURSOR=')
echo "journal: journald took $N entries in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; $TOTAL in the journal"

cat > "$W/rsyslog.conf" <<EOF
global(workDirectory="@DIR@" maxMessageSize="64k")
module(load="imjournal" StateFile="@DIR@/imjournal.state" IgnorePreviousMessages="off" Ratelimit.Interval="0")
template(name="jsonl" type="list" option.jsonf="on") {
  property(outname="received" name="timegenerated" dateFormat="rfc3339" format="jsonf")
  property(outname="time" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="facility" name="syslogfacility-text" format="jsonf")
  property(outname="severity" name="syslogseverity-text" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="pid" name="procid" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
}
action(type="omfile" file="@DIR@/events.log" template="jsonl" asyncWriting="on" ioBufferSize="256k" flushOnTXEnd="off")
EOF
cat > "$W/logstreamd.conf" <<EOF
[listen]
tcp = 127.0.0.1:@PORT@
[storage]
path = @DIR@/events.log
rotate_size = 0
compress = none
[alerts]
path = @DIR@/alerts.log
[input j]
type = journal
state = @DIR@/cursor
start = all
EOF

# round PEER: one timed read of the whole journal; prints entries/s
round() {
	local peer=$1 dir port t0 t1 c pid
	dir=$(mktemp -d "$W/$peer.XXXX"); port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" "$W/$peer.conf" > "$dir/p.conf"
	t0=$(date +%s.%N)
	case $peer in
	rsyslog) ns rsyslogd -n -f "$dir/p.conf" -i "$dir/pid" >"$dir/out" 2>&1 & ;;
	logstreamd) ns "$BIN" -c "$dir/p.conf" >"$dir/out" 2>&1 & ;;
	esac
	pid=$!
	for _ in $(seq 6000); do
		c=$(wc -l 2>/dev/null < "$dir/events.log" || echo 0)
		[ "$c" -ge "$TOTAL" ] && break
		kill -0 $pid 2>/dev/null || { echo "journal bench: $peer died" >&2; cat "$dir/out" >&2; return 1; }
		sleep 0.02
	done
	t1=$(date +%s.%N)
	# stop it: nsenter forked it; its pid on this side is nsenter's child
	kill -TERM $(pgrep -P $pid) 2>/dev/null
	wait $pid 2>/dev/null
	n=$(grep -c '"message":" \?bench journal event seq=' "$dir/events.log")
	[ "$n" = "$N" ] || echo "journal bench: $peer stored $n of the $N bench entries" >&2
	rate=$(awk -v n="$TOTAL" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", n / (b - a) }')
	echo "journal: $peer read $c entries in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s: $rate/s" >&2
	rm -rf "$dir"
	echo "$rate"
}
best_l=0 best_r=0
for i in 1 2; do
	r=$(round logstreamd) || exit 1; [ "$r" -gt "$best_l" ] && best_l=$r
	r=$(round rsyslog) || exit 1; [ "$r" -gt "$best_r" ] && best_r=$r
done
echo "journal: logstreamd $best_l/s, imjournal $best_r/s, ratio $(awk -v a="$best_l" -v b="$best_r" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }') (best of 2 each, $TOTAL entries, same run)"
