#!/bin/bash
# t_exec.sh: alert outputs.  exec runs a real script (no shell between)
# that gets the alert as JSON on stdin and ALERT_* variables; a script that
# hangs is killed (with its process group) at exec_timeout, and meanwhile
# the pipeline stores a 20,000-event burst as if nothing ran (the whole
# burst is stored before the kill: an order, not a speed).  journal = yes:
# checked with journalctl when a journald is running here.
. "$(dirname "$0")/lib.sh"

cat > "$T/alert.sh" <<S
#!/bin/sh
env | grep '^ALERT_' | sort > "$T/got.env.tmp"; mv "$T/got.env.tmp" "$T/got.env"
cat > "$T/got.json.tmp"; mv "$T/got.json.tmp" "$T/got.json"
S
cat > "$T/hang.sh" <<S
#!/bin/sh
echo \$\$ > "$T/hang.pid"
sleep 300 &
echo \$! > "$T/child.pid"
wait
S
chmod +x "$T/alert.sh" "$T/hang.sh"
write_conf "
[class trigger]
message = ^TRIGGER

[alert run]
class = trigger
group_by = host
exec = $T/alert.sh
journal = yes

[class hang]
message = ^HANG

[alert hang]
class = hang
exec = $T/hang.sh
exec_timeout = 6s"
start_daemon

printf '<14>%s web01 app: TRIGGER "quoted" \033[31mred\n' "$(date '+%b %e %H:%M:%S')" | nc -N 127.0.0.1 "$PORT"
for i in $(seq 600); do [ -s "$T/got.json" ] && [ -s "$T/got.env" ] && break; sleep 0.05; done
[ -s "$T/got.json" ] || fail "the script got nothing"
[ "$(jq -r '[.alert, .class, .host, .count] | @tsv' "$T/got.json")" = "$(printf 'run\ttrigger\tweb01\t1')" ] ||
	fail "stdin: $(cat "$T/got.json")"
[ "$(jq -r .msg "$T/got.json")" = "$(printf 'TRIGGER "quoted" \033[31mred')" ] || fail "msg: $(cat "$T/got.json")"
for v in ALERT_NAME=run ALERT_CLASS=trigger ALERT_HOST=web01 ALERT_COUNT=1 ALERT_TYPE=threshold \
    'ALERT_MESSAGE=TRIGGER \"quoted\" \x1b[31mred'; do
	grep -qxF "$v" "$T/got.env" || fail "env lacks $v: $(cat "$T/got.env")"
done

# The hanging one (the burst is made first: its making is no part of it).
python3 "$GEN" 20000 > "$T/burst"
printf '<14>%s web01 app: HANG now\n' "$(date '+%b %e %H:%M:%S')" | nc -N 127.0.0.1 "$PORT"
for i in $(seq 600); do [ -s "$T/child.pid" ] && break; sleep 0.05; done
[ -s "$T/child.pid" ] || fail "hang.sh did not start"
t0=$(date +%s.%N)
before=$(wc -l < "$T/events.log")
nc -N 127.0.0.1 "$PORT" < "$T/burst" || fail "nc burst"
wait_lines "$T/events.log" $((before + 20000)) 20
t1=$(date +%s.%N)
kill -0 "$(cat "$T/hang.pid")" 2>/dev/null || fail "hang.sh was gone before the burst was stored"
took=$(python3 -c "print('%.2f' % ($t1 - $t0))")
# Killed at its timeout (6 s), its child with it (same process group; a
# child reparented to an init that does not reap may linger as a zombie).
gone() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null | cut -c1); [ -z "$st" ] || [ "$st" = Z ]; }
for i in $(seq 300); do gone "$(cat "$T/hang.pid")" && break; sleep 0.1; done
killed=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
gone "$(cat "$T/hang.pid")" || fail "hang.sh not killed"
for i in $(seq 100); do gone "$(cat "$T/child.pid")" && break; sleep 0.1; done
gone "$(cat "$T/child.pid")" || fail "hang.sh's child not killed"

jn="journald not running here: journal = yes was exercised (sd_journal_send returns 0 and drops the entry without a socket)"
if [ -S /run/systemd/journal/socket ] && journalctl -n 0 >/dev/null 2>&1; then
	sleep 1
	journalctl -o json --since "-2min" ALERT=run 2>/dev/null | jq -e 'select(.CLASS == "trigger" and .HOST == "web01" and .COUNT == "1" and .PRIORITY == "4")' >/dev/null ||
		fail "no journal entry ALERT=run"
	jn="journal entry found with ALERT/CLASS/HOST/COUNT/PRIORITY"
fi
stop_daemon
pass "script got JSON and env; 20000 events stored in ${took} s while a hung script ran; it and its child killed (~${killed} s, exec_timeout 6s); $jn"
