#!/bin/bash
# t_config: the config contract and the signals.  -t names file:line for an
# unknown key and a bad regex and exits 1, 0 for a good file; SIGHUP with a
# broken config keeps the daemon running on the old one; SIGHUP with a good
# one swaps it in (a new class takes effect); SIGUSR1 reopens the store after
# a mv; start-up failures exit 2 with one line naming the cause (port in use,
# storage path unusable, a symlink planted at the store path).
. "$(dirname "$0")/lib.sh"
write_conf "
[class first]
message = alpha"
cp "$T/test.conf" "$T/good.conf"

# -t: good, then unknown key and bad regex, each with file:line.
"$BIN" -t -c "$T/test.conf" >/dev/null 2>&1 || fail "-t rejects a good config"
printf '[listen]\nbogus_key = 1\n[class bad]\nmessage = (unclosed\n' >> "$T/bad.conf"
cat "$T/good.conf" "$T/bad.conf" > "$T/broken.conf"
"$BIN" -t -c "$T/broken.conf" 2> "$T/t.err"; rc=$?
[ $rc = 1 ] || fail "-t exit $rc on a bad config"
kl=$(grep -n '^bogus_key' "$T/broken.conf" | cut -d: -f1)
rl=$(grep -n '^message = (unclosed' "$T/broken.conf" | cut -d: -f1)
grep -q "^$T/broken.conf:$kl: unknown key 'bogus_key'" "$T/t.err" || fail "no file:line for the unknown key: $(cat "$T/t.err")"
grep -q "^$T/broken.conf:$rl: .*" "$T/t.err" || fail "no file:line for the bad regex: $(cat "$T/t.err")"
"$BIN" --nonsense >/dev/null 2>&1; [ $? = 1 ] || fail "bad option should exit 1"
"$BIN" -V | grep -q '^logstreamd [0-9]' || fail "-V"

start_daemon
echo "alpha one" | nc -N 127.0.0.1 $PORT
wait_lines "$T/events.log" 1
[ "$(jq -r .class "$T/events.log")" = first ] || fail "class before reload"

# A broken config on SIGHUP: still running, old rules in force.
cp "$T/broken.conf" "$T/test.conf"
kill -HUP $DPID
wait_grep "$T/daemon.err" "keeping the running config"
kill -0 $DPID || fail "daemon died on SIGHUP with a broken config"
grep -q "test.conf:$kl: unknown key" "$T/daemon.err" || fail "reload error without file:line"
echo "alpha two" | nc -N 127.0.0.1 $PORT
wait_lines "$T/events.log" 2
[ "$(sed -n 2p "$T/events.log" | jq -r .class)" = first ] || fail "old config not in force"

# A good new config: a class added in front takes effect.
{ sed '/^\[class first\]/,$d' "$T/good.conf"; printf '[class second]\nmessage = alpha three\n[class first]\nmessage = alpha\n'; } > "$T/test.conf"
kill -HUP $DPID
wait_grep "$T/daemon.err" "reloaded"
echo "alpha three" | nc -N 127.0.0.1 $PORT
wait_lines "$T/events.log" 3
[ "$(sed -n 3p "$T/events.log" | jq -r .class)" = second ] || fail "new config not in force: $(sed -n 3p "$T/events.log")"

# SIGUSR1: the store was moved away; new events go to a new file.
mv "$T/events.log" "$T/events.log.1"
kill -USR1 $DPID
for i in $(seq 300); do [ -e "$T/events.log" ] && break; sleep 0.1; done
[ -e "$T/events.log" ] || fail "SIGUSR1 did not make a new events.log"
echo "alpha four" | nc -N 127.0.0.1 $PORT
wait_lines "$T/events.log" 1
grep -q "alpha four" "$T/events.log" || fail "SIGUSR1 did not reopen"
[ "$(wc -l < "$T/events.log.1")" = 3 ] || fail "moved file changed"

# Start-up failures: exit 2, one line naming the cause.
cp "$T/good.conf" "$T/second.conf"
"$BIN" -c "$T/second.conf" 2> "$T/inuse.err"; rc=$?
[ $rc = 2 ] || fail "port in use: exit $rc"
grep -q "listen tcp 127.0.0.1:$PORT: Address already in use" "$T/inuse.err" || fail "port in use: $(cat "$T/inuse.err")"
stop_daemon

touch "$T/afile"
sed "s|^path = $T/events.log|path = $T/afile/events.log|" "$T/good.conf" > "$T/nodir.conf"
"$BIN" -c "$T/nodir.conf" 2> "$T/nodir.err"; rc=$?
[ $rc = 2 ] || fail "unusable storage path: exit $rc"
grep -q "storage $T/afile/events.log: Not a directory" "$T/nodir.err" || fail "storage: $(cat "$T/nodir.err")"

rm -f "$T/events.log"; ln -s "$T/target" "$T/events.log"
"$BIN" -c "$T/good.conf" 2> "$T/link.err"; rc=$?
[ $rc = 2 ] || fail "symlink at store path: exit $rc"
grep -q "symlink: refused" "$T/link.err" || fail "symlink: $(cat "$T/link.err")"
[ ! -e "$T/target" ] || fail "wrote through the symlink"
pass "-t file:line, SIGHUP keeps/swaps config, SIGUSR1 reopens, exit 2 causes named"
