#!/bin/bash
# t_replay.sh: `logstreamd replay` runs stored events through a config's
# own alerter with the events' time as the clock.  A live daemon with
# shipped-style classes, a threshold alert per host (no suppress) and a
# suppressed one stores a seq'd stream and writes its alert lines; replay
# of that config over its store prints the same alert lines (same alerts,
# groups, counts and firing events; the times are the event clock's, so
# they are left out of the comparison), and so does replay of the raw
# lines given as FILE.  A stricter candidate (threshold 3, not 5) is shown
# by --diff as exactly the lines one raises and the other does not: the
# unchanged alert's lines never appear.  Every firing is checked against a
# model computed from the sent stream.  Raw lines of a past day show that
# windows and absence run on the events' clock.
. "$(dirname "$0")/lib.sh"

RULES='
[class ssh_auth_failure]
app = sshd
message = "Failed password for (?<user>\S+) from (?<ip>[0-9.]+)"

[class out_of_memory]
message = "(?i)out of memory|Killed process \d+"

[class error]
severity = <= err

[alert ssh_bruteforce]
class = ssh_auth_failure
threshold = 5
window = 10m
group_by = host

[alert oom]
class = out_of_memory
threshold = 1
group_by = host
suppress = 5m'

write_conf "$RULES"
sed 's/^threshold = 5$/threshold = 3/' "$T/test.conf" > "$T/cand.conf"
grep -q '^threshold = 3$' "$T/cand.conf" || fail "candidate not written"

# The stream (seq in each line) and the alert lines each threshold must
# give, as "ALERT ... msg=..." without times: per host, the events number
# T, 2T... of its failures (no suppress); oom once per host (suppressed).
python3 - "$T" <<'PY'
import random, sys, time
t = sys.argv[1]
random.seed(17)
ev = [("web1", "ssh")] * 12 + [("web2", "ssh")] * 7 + [("web3", "ssh")] * 4 + \
     [("web1", "oom")] * 3 + [("web3", "oom")] + [("web4", "cron")] * 20
random.shuffle(ev)
ts = time.strftime("%b %e %H:%M:%S")
n = {}
lines, model = [], {3: [], 5: []}
for seq, (h, k) in enumerate(ev, 1):
    if k == "ssh":
        msg = "Failed password for root from 203.0.113.9 port %d ssh2" % (40000 + seq)
        lines.append("<38>%s %s sshd[%d]: %s" % (ts, h, 1000 + seq, msg))
        n[h] = n.get(h, 0) + 1
        for th in (3, 5):
            if n[h] % th == 0:
                model[th].append('ALERT ssh_bruteforce class=ssh_auth_failure host=%s count=%d window=10m msg="%s"' % (h, th, msg))
    elif k == "oom":
        msg = "Out of memory: Killed process %d (java)" % seq
        lines.append("<2>%s %s kernel: %s" % (ts, h, msg))
        if n.get(h + "oom", 0) == 0:
            for th in (3, 5):
                model[th].append('ALERT oom class=out_of_memory host=%s count=1 window=1m msg="%s"' % (h, msg))
        n[h + "oom"] = 1
    else:
        lines.append("<78>%s %s cron[1]: job seq=%d done" % (ts, h, seq))
open(t + "/stream.txt", "w").write("\n".join(lines) + "\n")
for th in (3, 5):
    open(t + "/model%d.txt" % th, "w").write("\n".join(sorted(model[th])) + "\n")
PY
N=$(wc -l < "$T/stream.txt")

start_daemon
nc -N 127.0.0.1 "$PORT" < "$T/stream.txt" || fail "nc to $PORT"
wait_lines "$T/events.log" "$N"
wait_lines "$T/alerts.log" "$(wc -l < "$T/model5.txt")"
stop_daemon

# The alert lines without their times (the line's own and first="...").
strip() { grep -v '^#' | sed -E 's/^[^ ]+ //; s/ first="[^"]*"//' | sort; }
grep -q 'window=' "$T/alerts.log" || fail "no alert lines: $(cat "$T/alerts.log")"
strip < "$T/alerts.log" > "$T/live.txt"
cmp -s "$T/live.txt" "$T/model5.txt" ||
	fail "live alerts differ from the model: $(diff "$T/model5.txt" "$T/live.txt")"

# Replay of the same config over its store: the same lines, and a summary.
"$BIN" replay -c "$T/test.conf" > "$T/replay.out" 2> "$T/replay.err" ||
	fail "replay exited $?: $(cat "$T/replay.err")"
strip < "$T/replay.out" > "$T/replay.txt"
cmp -s "$T/replay.txt" "$T/live.txt" ||
	fail "replay differs from live: $(diff "$T/live.txt" "$T/replay.txt")"
grep -qx "# replay $T/test.conf: $N events (0 raw lines), 5 alert lines" "$T/replay.out" ||
	fail "summary: $(grep '^#' "$T/replay.out")"
grep -qx '# class ssh_auth_failure: 23' "$T/replay.out" || fail "per class: $(grep '^#' "$T/replay.out")"
grep -qx '# alert oom: 2 fired, 2 suppressed' "$T/replay.out" || fail "per alert: $(grep '^#' "$T/replay.out")"
# Its times are the events' own: every alert line is stamped with a stored
# event's received second.
awk '!/^#/ { print substr($1, 1, 19) }' "$T/replay.out" | sort -u > "$T/rsec.txt"
jq -r '.received[0:19]' "$T/events.log" | sort -u > "$T/esec.txt"
[ -z "$(comm -23 "$T/rsec.txt" "$T/esec.txt")" ] ||
	fail "alert times not from the events: $(comm -23 "$T/rsec.txt" "$T/esec.txt")"

# The raw lines as FILE (parsed as received ones, .gz read too): the same.
gzip -c "$T/stream.txt" > "$T/stream.txt.gz"
"$BIN" replay -c "$T/test.conf" "$T/stream.txt.gz" > "$T/raw.out" 2>&1 ||
	fail "replay FILE exited $?: $(cat "$T/raw.out")"
strip < "$T/raw.out" | cmp -s - "$T/live.txt" ||
	fail "replay of the raw lines differs: $(strip < "$T/raw.out" | diff "$T/live.txt" -)"
grep -q "^# replay .*: $N events ($N raw lines)" "$T/raw.out" || fail "raw summary: $(grep '^#' "$T/raw.out")"

# The stricter candidate: its own replay is the threshold-3 model, and
# --diff shows exactly model3 - model5 as + and model5 - model3 as -.
"$BIN" replay -c "$T/cand.conf" | strip | cmp -s - "$T/model3.txt" ||
	fail "candidate replay differs from the model"
"$BIN" replay -c "$T/cand.conf" --diff "$T/test.conf" > "$T/diff.out" 2> "$T/diff.err" ||
	fail "replay --diff exited $?: $(cat "$T/diff.err")"
comm -23 "$T/model3.txt" "$T/model5.txt" > "$T/want+.txt"
comm -13 "$T/model3.txt" "$T/model5.txt" > "$T/want-.txt"
sed -n 's/^+ //p' "$T/diff.out" | strip | cmp -s - "$T/want+.txt" ||
	fail "diff +: $(grep '^+' "$T/diff.out")"
sed -n 's/^- //p' "$T/diff.out" | strip | cmp -s - "$T/want-.txt" ||
	fail "diff -: $(grep '^-' "$T/diff.out")"
[ "$(grep -vc '^[-+#] ' "$T/diff.out")" = 0 ] || fail "other lines in the diff: $(cat "$T/diff.out")"
! grep -q 'ALERT oom' "$T/diff.out" || fail "the unchanged alert is in the diff"
grep -qx "# diff: $(wc -l < "$T/want+.txt") alert lines only with $T/cand.conf (+), $(wc -l < "$T/want-.txt") only with $T/test.conf (-)" "$T/diff.out" ||
	fail "diff summary: $(grep '^# diff' "$T/diff.out")"

# The event clock over raw lines of a past day (RFC 5424 times): windows
# and absence run on the events' times, not on the seconds replay takes.
# Host a fails every 3 min (5 span 12 min > 10m: never), host b every
# minute (fires at its 5th, 10:04, first 10:00); heartbeats of host h stop
# at 10:20, so the absence fires at 10:50 exactly while a's events go on.
cat > "$T/clock.conf" <<CONF
$RULES

[class heartbeat]
message = heartbeat

[alert silent]
type = absence
class = heartbeat
for = 30m
group_by = host
CONF
for m in $(seq 0 59); do
	[ $((m % 3)) = 0 ] && printf '<38>1 2026-01-01T10:%02d:00Z a sshd 1 - - Failed password for root from 192.0.2.1 port %d ssh2\n' $m $((1000 + m))
	[ $m -lt 5 ] && printf '<38>1 2026-01-01T10:%02d:30Z b sshd 1 - - Failed password for root from 192.0.2.2 port %d ssh2\n' $m $((2000 + m))
	[ $m -le 20 ] && [ $((m % 10)) = 0 ] && printf '<30>1 2026-01-01T10:%02d:10Z h beat 1 - - heartbeat\n' $m
	true
done > "$T/clock.log"
"$BIN" replay -c "$T/clock.conf" "$T/clock.log" > "$T/clock.out" 2>&1 ||
	fail "replay of clock.log exited $?: $(cat "$T/clock.out")"
[ "$(grep -c ALERT "$T/clock.out")" = 2 ] || fail "clock: want 2 alert lines: $(cat "$T/clock.out")"
grep -qx '2026-01-01T10:04:30.000Z ALERT ssh_bruteforce class=ssh_auth_failure host=b count=5 window=10m first="2026-01-01T10:00:30Z" msg="Failed password for root from 192.0.2.2 port 2004 ssh2"' "$T/clock.out" ||
	fail "clock: threshold line: $(grep ALERT "$T/clock.out")"
grep -q '^2026-01-01T10:50:10.000Z ALERT silent class=heartbeat host=h .*silent since 2026-01-01T10:20:10Z' "$T/clock.out" ||
	fail "clock: absence line: $(grep ALERT "$T/clock.out")"
# --since/--until: 10:03 to 10:40 leaves b two failures and h's last
# heartbeat (10:20:10) silent only from 10:50:10: no alert; 17 events.
"$BIN" replay -c "$T/clock.conf" --since 2026-01-01T10:03:00Z --until 2026-01-01T10:40:00Z \
    "$T/clock.log" > "$T/range.out" 2>&1 || fail "replay --since/--until exited $?"
grep -q '^# replay .*: 17 events (17 raw lines), 0 alert lines$' "$T/range.out" ||
	fail "--since/--until: $(cat "$T/range.out")"

# Bad use: no -c, an unreadable FILE.
"$BIN" replay > /dev/null 2>&1 && fail "replay without -c exited 0"
"$BIN" replay -c "$T/test.conf" "$T/nonexistent" > /dev/null 2>&1
[ $? = 2 ] || fail "a missing FILE should exit 2"

pass "replay = live alerts ($(wc -l < "$T/live.txt") lines), raw FILE too; --diff +$(wc -l < "$T/want+.txt") -$(wc -l < "$T/want-.txt")"
