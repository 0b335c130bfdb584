#!/bin/bash
# t_journal: [input] type = journal against a real journald (systemd-ns,
# whose journald writes the persistent journal in /var/log/journal that the
# daemon, on this side, reads).  Entries written with systemd-cat carry a
# seq; the input matches their SYSLOG_IDENTIFIER.  (1) Across two clean
# restarts, with entries written while stopped and while running, each seq
# is stored once (a clean stop saves the cursor of the last entry stored).
# (2) A SIGKILL while entries stream in: after a restart none is missing,
# and only the entries received within the last sync (1 s) + the 1 s save
# tick (+ 2 s slack) before the kill are stored twice, as one run of seqs.
# (3) The mapping: transport and format journal, app, host, severity,
# time; trusted.uid/gid/systemd_unit of a unit run as nobody.  (4) A saved
# cursor whose entry is gone (3 seqnums before our first entry): the first
# entry read is "stream":"gap" with "missing":2, /stats counts the gap.
# (5) A corrupt state file: one line naming it, and a start over.  (6) A
# reload keeps an unchanged input running, starts a new one and stops a
# removed one.  (7) Storage stalled, queue of 256: the input is paused
# (/stats), and once storage is back every entry is stored once.
. "$(dirname "$0")/lib.sh"
systemd_ns_ready
undo() {
	"$NS" stop >/dev/null 2>&1
	cleanup
}
trap undo EXIT INT TERM
"$NS" start >/dev/null || fail "systemd-ns did not boot"
# The journal on disk holds earlier runs: an identifier of our own.
ID=ljt$$r$RANDOM
CUR=$T/j.cursor
write_conf "
[input j]
type = journal
match = SYSLOG_IDENTIFIER=$ID
state = $CUR
start = all"
# send FROM TO: entries 'journal test seq=K' from one systemd-cat stream
send() {
	ns sh -c "seq $1 $2 | sed 's/^/journal test seq=/' | systemd-cat -t $ID -p warning" ||
		fail "systemd-cat"
}
# seqs FILE: the seq of each stored line, one a line
seqs() { sed -n 's/.*"message":"journal test seq=\([0-9]*\)".*/\1/p' "$1"; }
# until the store holds every seq from 1 to N (duplicates allowed)
wait_seqs() {
	local i
	for i in $(seq 600); do
		[ "$(seqs "$T/events.log" | sort -un | wc -l)" -ge "$1" ] && return 0
		sleep 0.05
	done
	fail "the store holds $(seqs "$T/events.log" | sort -un | wc -l) distinct seqs, wanted $1"
}

# (1) clean restarts: written while stopped, then while running
send 1 300
start_daemon
wait_seqs 300
stop_daemon
[ -s "$CUR" ] || fail "no cursor saved at the stop"
send 301 600
start_daemon
wait_seqs 600
send 601 900
wait_seqs 900
stop_daemon
send 901 1000
start_daemon
# one entry from a unit run as nobody: trusted uid, gid, unit
ns systemd-run --wait -q --unit "$ID-u" -p User=nobody -p Group=nogroup \
	-p SyslogIdentifier=$ID echo "unit entry" || fail "systemd-run"
wait_seqs 1000
wait_grep "$T/events.log" '"message":"unit entry"'
stop_daemon
n=$(seqs "$T/events.log" | wc -l)
u=$(seqs "$T/events.log" | sort -un | wc -l)
[ "$n" = 1000 ] && [ "$u" = 1000 ] ||
	fail "clean restarts: $n stored, $u distinct, want 1000 once each"
python3 - "$T/events.log" "$ID" "$(hostname)" <<'PY' || fail "mapping"
import json, sys
ident, host = sys.argv[2], sys.argv[3]
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["message"] == "unit entry":
        t = e.get("trusted", {})
        assert t.get("uid") == 65534 and isinstance(t.get("gid"), int) and \
            t.get("systemd_unit") == ident + "-u.service", e
        unit = e
        continue
    assert e["transport"] == "journal" and e["format"] == "journal", e
    assert e["source"] == "journal" and e["app"] == ident, e
    assert e["host"] == host and e["severity"] == "warning", e
    assert e["time"].endswith("Z") and "pid" in e, e
    assert e["trusted"]["uid"] == 0 and e["trusted"]["gid"] == 0, e
print("mapping ok:", json.dumps(unit["trusted"]))
PY

# (2) SIGKILL while entries stream in (3000 at about 1000/s), 2.8 s in
start_daemon
ns sh -c "python3 -c '
import sys, time
for i in range(1001, 4001):
    print(\"journal test seq=%d\" % i, flush=True)
    if i % 50 == 0:
        time.sleep(0.05)
' | systemd-cat -t $ID -p warning" &
WPID=$!
track $WPID
wait_seqs 3800
KILLED=$(date +%s.%N)
kill -9 $DPID
wait $DPID 2>/dev/null
start_daemon
wait $WPID || fail "the stream writer failed"
wait_seqs 4000
stop_daemon
python3 - "$T/events.log" "$KILLED" <<'PY' || fail "SIGKILL"
import json, sys, datetime
killed = float(sys.argv[2])
first, dups = {}, []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if not e["message"].startswith("journal test seq="):
        continue
    s = int(e["message"].split("=")[1])
    if s in first:
        dups.append(s)
    else:
        first[s] = datetime.datetime.fromisoformat(
            e["received"].replace("Z", "+00:00")).timestamp()
missing = set(range(1, 4001)) - set(first)
assert not missing, "missing %d: %s" % (len(missing), sorted(missing)[:10])
if dups:
    assert sorted(dups) == list(range(min(dups), max(dups) + 1)), \
        "repeats are not one run: %s" % sorted(dups)[:20]
    oldest = min(first[s] for s in dups)
    assert oldest >= killed - 4.0, "repeats from %.1f s before the kill" % \
        (killed - oldest)
print("SIGKILL: 4000 stored, none missing, %d repeated (%s)" % (len(dups),
      "seqs %d-%d, received within %.1f s of the kill" % (min(dups), max(dups),
      killed - min(first[s] for s in dups)) if dups else "none"))
PY

# (4) a saved cursor whose entry is gone: 3 seqnums before our first entry
first=$(journalctl SYSLOG_IDENTIFIER=$ID -o json --no-pager | head -1 |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["__CURSOR"])')
gone=$(python3 -c '
import sys
parts = dict(p.split("=", 1) for p in sys.argv[1].split(";"))
parts["i"] = "%x" % (int(parts["i"], 16) - 3)
parts["x"] = "0"
print(";".join(k + "=" + v for k, v in parts.items()))' "$first")
printf 'journal-cursor %s\n' "$gone" > "$CUR"
mv "$T/events.log" "$T/events.1"
CAPACITY=256 write_conf "
[http]
listen = 127.0.0.1:$(free_port)

[input j]
type = journal
match = SYSLOG_IDENTIFIER=$ID
state = $CUR
start = all"
HTTP=$(sed -n 's/^listen = //p' "$T/test.conf")
start_daemon
wait_seqs 4000
head -1 "$T/events.log" | jq -e '.message == "journal test seq=1" and .stream == "gap" and .missing == 2' >/dev/null ||
	fail "no gap of 2 on the first entry: $(head -c 500 "$T/events.log")"
curl -sf "http://$HTTP/stats" | jq -e '.inputs.j | .type == "journal" and .gaps == 1 and .missing == 2 and .read >= 4001' >/dev/null ||
	fail "/stats inputs: $(curl -sf "http://$HTTP/stats" | jq -c .inputs)"
curl -sf "http://$HTTP/metrics" > "$T/prom"
python3 "$(dirname "$0")/promcheck.py" "$T/prom" || fail "/metrics is not valid"
grep -q '^logstreamd_input_journal_missing_total{input="j"} 2$' "$T/prom" &&
    grep -q '^logstreamd_input_journal_gaps_total{input="j"} 1$' "$T/prom" ||
	fail "/metrics: journal gaps/missing not 1/2: $(grep input_journal "$T/prom")"
grep -q "no longer holds the entry of the saved cursor: 2 entries" "$T/daemon.err" ||
	fail "the gap is not logged"
stop_daemon

# (5) a corrupt state file: reported, and a start over (start = all)
printf 'journal-cursor s=' > "$CUR"
mv "$T/events.log" "$T/events.2"
LOGSTREAMD_TEST_STALL_FILE=$T/stall start_daemon
wait_seqs 4000
grep -q "input j: state $CUR: corrupt (cut short" "$T/daemon.err" ||
	fail "corrupt state not reported: $(grep 'input j' "$T/daemon.err")"
# (6) reload: j unchanged runs on, k is started; then k removed is stopped
printf '[input k]\ntype = journal\nmatch = SYSLOG_IDENTIFIER=%s-none\n' $ID >> "$T/test.conf"
kill -HUP $DPID
wait_grep "$T/daemon.err" "input k \(journal\)"
wait_grep "$T/daemon.err" "reloaded"
sed -i '/^\[input k\]/,$d' "$T/test.conf"
kill -HUP $DPID
wait_grep "$T/daemon.err" "input k \(journal\) stopped by the reload"
[ "$(grep -c "input j (journal)" "$T/daemon.err")" = 1 ] && ! grep -q "input j (journal) stopped" "$T/daemon.err" ||
	fail "reload restarted the unchanged input j: $(grep 'input ' "$T/daemon.err")"
send 4001 4010
wait_seqs 4010
# (7) backpressure: storage stalls, the queue fills, the input pauses
touch "$T/stall"
send 4011 6010
for i in $(seq 600); do
	curl -sf "http://$HTTP/stats" | jq -e '.inputs.j.paused' >/dev/null && break
	sleep 0.05
done
curl -sf "http://$HTTP/stats" | jq -e '.inputs.j.paused' >/dev/null ||
	fail "the input is not paused with storage stalled: $(curl -sf "http://$HTTP/stats" | jq -c .inputs)"
rm "$T/stall"
wait_seqs 6010
stop_daemon
n=$(seqs "$T/events.log" | wc -l)
[ "$n" = 6010 ] && [ "$(seqs "$T/events.log" | sort -un | wc -l)" = 6010 ] ||
	fail "after the stall: $n stored, want 6010 once each"
grep -q "input j (journal)" "$T/daemon.err" || fail "no start-up line for the input"
pass "each seq once across 2 clean restarts; SIGKILL: none missing, repeats within sync + 1 s; mapping and trusted; gap of 2 marked and counted; corrupt state started over; reload keeps, starts, stops; paused while storage stalled, then all once"
