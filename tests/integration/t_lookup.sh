#!/bin/bash
# t_lookup.sh: [lookup NAME] enrichment (issue 14, point 2).  A CSV keyed
# by host adds site/owner fields, and one keyed by a capture (field.ip)
# adds fields to sshd events.  Under a steady stream of events: the table
# is swapped by replacing the file, a broken file (a bad row) is reported
# with file:line and the old table stays, and SIGHUP reads it again; no
# event is lost or doubled throughout (each seq stored once).  /metrics:
# hits, misses, reloads, errors and rows per lookup, across the reload.
. "$(dirname "$0")/lib.sh"

printf 'host,site,owner\nweb01,Paris,alice\nweb02,"Berlin, DE",bob\n' > "$T/hosts.csv"
printf '\xef\xbb\xbfip,threat\r\n203.0.113.9,scanner\r\n' > "$T/bad_ips.csv"
HPORT=$(free_port)
write_conf "
[http]
listen = 127.0.0.1:$HPORT

[class ssh]
app = sshd
message = \"Failed password for (?<user>\\S+) from (?<ip>\\S+)\"

[lookup hosts]
file = hosts.csv
key = host

[lookup bad_ips]
file = bad_ips.csv
key = field.ip"
start_daemon

# The stream: events with seq from web01, web02 and web03 (no row) until
# $T/stop appears; then the count sent goes to $T/sent.
python3 - "$PORT" "$T" <<'PY' &
import os, socket, sys, time
port, t = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
n = 0
while not os.path.exists(t + "/stop") and n < 200000:
    s.sendall(b'{"host":"web0%d","app":"a","seq":%d,"msg":"tick"}\n' % (n % 3 + 1, n))
    n += 1
    if n % 20 == 0:
        time.sleep(0.01)
s.sendall(b'<38>Nov 23 20:14:14 web01 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2\n')
s.close()
open(t + "/sent", "w").write("%d\n" % n)
PY
SENDER=$!
track $SENDER

# site of the newest stored web01 event, once it is $1 (10 s at most)
wait_site() {
	local i got
	for i in $(seq 200); do
		got=$(grep '"host":"web01"' "$T/events.log" 2>/dev/null | tail -1 | jq -r '.fields.site // "-"')
		[ "$got" = "$1" ] && return 0
		sleep 0.05
	done
	fail "web01's site is '$got', wanted '$1'"
}
wait_site Paris
# 1. the file replaced (written aside, renamed): read within a few seconds
printf 'host,site,owner\nweb01,Lyon,alice\nweb02,"Berlin, DE",bob\n' > "$T/hosts.new"
mv "$T/hosts.new" "$T/hosts.csv"
wait_site Lyon
# 2. a broken file: file:line on stderr, the old table stays
printf 'host,site,owner\nweb01,Nice,alice\nweb02,Berlin,bob,extra\n' > "$T/hosts.csv"
for i in $(seq 200); do
	grep -q "lookup hosts: $T/hosts.csv:3: 4 values, the header has 3 (the table read before is kept)" "$T/daemon.err" && break
	sleep 0.05
done
grep -q "hosts.csv:3: 4 values" "$T/daemon.err" || fail "no file:line for the bad row: $(tail -3 "$T/daemon.err")"
sleep 0.3
wait_site Lyon
# 3. fixed in place (same size and second: the file check may miss it),
# then SIGHUP: the reload reads it again
printf 'host,site,owner\nweb01,Nice,alice\nweb02,Berlin,bob\n' > "$T/hosts.csv"
kill -HUP $DPID
wait_site Nice
touch "$T/stop"
wait $SENDER || fail "sender failed"
SENT=$(cat "$T/sent")
wait_lines "$T/events.log" $((SENT + 1))
# Per lookup figures, carried over the SIGHUP reload (published within a
# few hundred ms of the last batch).
metric() { sed -n "s/^logstreamd_lookup_$1{lookup=\"$2\"} \([0-9]*\)\$/\1/p" "$T/m.txt"; }
for i in $(seq 100); do
	curl -sf "http://127.0.0.1:$HPORT/metrics" > "$T/m.txt" || fail "GET /metrics"
	[ "$(metric hits_total bad_ips)" = 1 ] && break
	sleep 0.05
done
[ "$(metric hits_total bad_ips)" = 1 ] || fail "bad_ips hits: $(grep lookup_ "$T/m.txt")"
[ "$(metric reloads_total hosts)" -ge 1 ] && [ "$(metric errors_total hosts)" -ge 1 ] && [ "$(metric rows hosts)" = 2 ] ||
	fail "hosts reloads/errors/rows: $(grep lookup_ "$T/m.txt")"
[ "$(( $(metric hits_total hosts) + $(metric misses_total hosts) ))" = $((SENT + 1)) ] || fail "hosts hits + misses != $((SENT + 1)): $(grep lookup_ "$T/m.txt")"
stop_daemon

[ "$(jq -r 'select(.fields.seq != null) | .fields.seq' "$T/events.log" | sort -n | uniq | wc -l)" = "$SENT" ] ||
	fail "stored $(jq -r 'select(.fields.seq != null) | .fields.seq' "$T/events.log" | sort -n | uniq | wc -l) distinct seqs of $SENT"
[ "$(jq -r 'select(.fields.seq != null) | .fields.seq' "$T/events.log" | wc -l)" = "$SENT" ] || fail "an event stored twice"
[ "$(jq -r 'select(.host == "web03") | .fields.site // "-"' "$T/events.log" | sort -u)" = "-" ] ||
	fail "web03 (no row) got fields"
[ "$(jq -s 'map(select(.host == "web02" and .fields.site == "Berlin, DE" and .fields.owner == "bob")) | length' "$T/events.log")" -gt 0 ] ||
	fail "quoted comma not read"
[ "$(jq -r 'select(.app == "sshd") | [.fields.ip, .fields.threat, .fields.site] | join(" ")' "$T/events.log")" = "203.0.113.9 scanner Nice" ] ||
	fail "capture-keyed lookup: $(jq -c 'select(.app == "sshd")' "$T/events.log")"
pass "$SENT events, each stored once, while hosts.csv was replaced (Paris -> Lyon), broken (file:line, Lyon kept) and fixed + SIGHUP (Nice); BOM/CRLF/quoted comma; a capture as key"
