#!/bin/bash
# t_reload_cmd: `logstreamd reload -c FILE` reloads the daemon of that config
# and no other, and tells the truth.  Two daemons, A and B, on their own
# configs and ports: reload -c A exits 0 and only A counts a reload; a
# broken A exits 1 with the file:line on stderr, the old config in force;
# a config nobody runs, or a stopped daemon, exits 2 (no instance, no
# answer within -w).  /health says "degraded" while A's file on disk is not
# its running config (by the bytes: a rewrite to the running text is no
# change), "ok" after a reload that took; the reload metrics follow.
# Start-up names the absolute storage and alert paths; a storage directory
# is made only when its parent exists, else the daemon refuses to start.
. "$(dirname "$0")/lib.sh"

# conf NAME PORT HTTP: $T/NAME.conf, storage under $T/NAME/
conf() {
	mkdir -p "$T/$1"
	cat > "$T/$1.conf" <<CONF
[listen]
tcp = 127.0.0.1:$2

[storage]
path = $1/events.log

[alerts]
path = $1/alerts.log

[http]
listen = 127.0.0.1:$3
CONF
}
# start NAME PORT: run it from / (paths in its config are relative to it)
start() {
	(cd / && exec "$BIN" -c "$T/$1.conf" 2>"$T/$1.err") &
	eval "P$1=$!"
	track $!
	# ready: the port accepts and every start-up line is written (the
	# listeners are bound before the storage lines are printed)
	for i in $(seq 200); do
		nc -z 127.0.0.1 "$2" 2>/dev/null && grep -q " ready$" "$T/$1.err" && return 0
		sleep 0.05
	done
	fail "$1 did not listen on $2: $(tail -3 "$T/$1.err")"
}
metric() { curl -s "127.0.0.1:$1/metrics" | sed -n "s/^$2 //p"; }
health() { curl -s "127.0.0.1:$1/health"; }
# wait_health HTTP PATTERN: /health matches PATTERN within 10 s
wait_health() {
	for i in $(seq 200); do health "$1" | grep -q "$2" && return 0; sleep 0.05; done
	fail "/health on $1 is '$(health "$1")', wanted '$2'"
}
rl() { (cd "$T" && "$BIN" reload "$@" >"$T/rl.out" 2>"$T/rl.err"); RC=$?; }

PA=$(free_port); HA=$(free_port); PB=$(free_port); HB=$(free_port)
conf a $PA $HA; conf b $PB $HB
start a $PA; start b $PB
wait_health $HA '^ok$'

# 1. reload -c A: exit 0; A counts one, B none
printf '[class one]\nmessage = one\n' >> "$T/a.conf"
wait_health $HA '^degraded: config .*a.conf changed on disk since it was loaded; not reloaded yet'
[ "$(metric $HA logstreamd_config_file_changed)" = 1 ] || fail "file_changed is not 1 after the edit"
rl -c a.conf
[ $RC = 0 ] || fail "reload -c a.conf (good) exited $RC: $(cat "$T/rl.err")"
grep -q "reloaded $T/a.conf (pid $Pa" "$T/rl.out" || fail "reload printed '$(cat "$T/rl.out")'"
[ "$(metric $HA 'logstreamd_config_reloads_total{result="ok"}')" = 1 ] || fail "A: reloads ok != 1"
[ "$(metric $HA logstreamd_config_last_reload_successful)" = 1 ] || fail "A: last_reload_successful != 1"
[ "$(metric $HA logstreamd_config_last_reload_timestamp_seconds)" -ge "$(( $(date +%s) - 60 ))" ] ||
	fail "A: last_reload_timestamp_seconds is not recent"
[ "$(metric $HB 'logstreamd_config_reloads_total{result="ok"}')" = 0 ] || fail "B was reloaded by reload -c a.conf"
[ "$(metric $HB logstreamd_config_last_reload_timestamp_seconds)" = 0 ] || fail "B has a reload time"
grep -q "reloaded" "$T/b.err" && fail "B logged a reload"
wait_health $HA '^ok$'
echo "     reload -c a.conf: exit 0, A reloaded, B untouched, /health degraded -> ok"

# 2. a broken config: exit 1, the reason and file:line on stderr
echo "bogus_key = 1" >> "$T/a.conf"
rl -c "$T/a.conf"
[ $RC = 1 ] || fail "reload of a broken config exited $RC"
grep -q "reload of $T/a.conf refused (pid $Pa): config has errors" "$T/rl.err" || fail "no reason on stderr: $(cat "$T/rl.err")"
grep -q "a.conf:[0-9]*: unknown key 'bogus_key'" "$T/rl.err" || fail "no file:line on stderr: $(cat "$T/rl.err")"
[ "$(metric $HA 'logstreamd_config_reloads_total{result="failed"}')" = 1 ] || fail "A: reloads failed != 1"
[ "$(metric $HA logstreamd_config_last_reload_successful)" = 0 ] || fail "A: last_reload_successful != 0"
wait_health $HA '^degraded: .*the last reload failed: config has errors'
[ "$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:$HA/health)" = 200 ] || fail "degraded is not 200"
[ "$(curl -s 127.0.0.1:$HA/stats | jq -r '.config.last_reload.result, .config.changed_on_disk, .health.degraded' | tr '\n' ' ')" = "failed true true " ] ||
	fail "/stats config: $(curl -s 127.0.0.1:$HA/stats | jq -c .config)"
echo "one c1 seq=1" | nc -N 127.0.0.1 $PA
wait_lines "$T/a/events.log" 1
[ "$(jq -r .class "$T/a/events.log")" = one ] || fail "the running config changed after a refused reload"
# the file rewritten to the running text (new mtime, same bytes): no drift
sed -i '/^bogus_key/d' "$T/a.conf"
wait_health $HA '^ok$'
echo "     broken config: exit 1 with file:line, old config in force, degraded till the file is back"

# 3. nobody runs it: exit 2; a stopped daemon: exit 2 after -w
cp "$T/b.conf" "$T/c.conf"
rl -c c.conf
[ $RC = 2 ] || fail "reload of a config nobody runs exited $RC"
grep -q "no logstreamd runs $T/c.conf" "$T/rl.err" || fail "no-instance message: $(cat "$T/rl.err")"
kill -STOP $Pb
rl -c b.conf -w 1
kill -CONT $Pb
[ $RC = 2 ] || fail "reload of a stopped daemon exited $RC"
grep -q "no answer from logstreamd (pid $Pb) of $T/b.conf within 1 s" "$T/rl.err" || fail "timeout message: $(cat "$T/rl.err")"
echo "     no instance: exit 2; no answer within -w 1: exit 2"

# 4. start-up names the paths; storage directories: one level made (and
# said), two refused
cp "$T/a.err" "$T/a.err.1"
grep -q "storage $T/a/events.log" "$T/a.err.1" || fail "start-up does not name the absolute storage path: $(cat "$T/a.err.1")"
grep -q "alerts $T/a/alerts.log" "$T/a.err.1" || fail "start-up does not name the absolute alert path"
grep -q "listening on tcp 127.0.0.1:$PA" "$T/a.err.1" || fail "start-up does not name the listener"
kill -TERM $Pa; wait $Pa
sed -i "s|^path = a/events.log|path = a/new/events.log|" "$T/a.conf"
start a $PA
grep -q "storage: made the directory $T/a/new (it did not exist" "$T/a.err" || fail "a made directory was not said: $(cat "$T/a.err")"
kill -TERM $Pa; wait $Pa
sed -i "s|^path = a/new/events.log|path = a/typo/deeper/events.log|" "$T/a.conf"
(cd / && exec "$BIN" -c "$T/a.conf" 2>"$T/a.err") & Pa=$!; track $Pa
wait $Pa; rc=$?
[ $rc = 2 ] || fail "storage under a missing parent: exit $rc, not 2"
[ -e "$T/a/typo" ] && fail "storage under a missing parent: $T/a/typo was made"
grep -q "the directory $T/a/typo/deeper does not exist, nor its parent" "$T/a.err" || fail "no word why: $(cat "$T/a.err")"
echo "     storage: a/new made and said; a/typo/deeper refused, exit 2"
pass "reload -c picks its instance, exit 0/1/2 with reasons, drift on /health, reload metrics, storage paths"
