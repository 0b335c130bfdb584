#!/bin/bash
# t_hostile.sh: the bad-input corpus of issue 9 against the real daemon
# (make check runs it under ASan too): octet counts of 2^31, 2^32 and 11
# digits (rsyslog CVE-2022-24903), PRI <999> and out of range
# (CVE-2014-3634), broken timestamps (syslog-ng CVE-2022-38725), JSON type
# confusion (Fluent Bit CVE-2024-4323), JSON nested 10,000 deep, %n%s
# format strings, ../ in host and app, NUL, lone surrogates, terminal
# escapes, 70 kB over max_message, and a 1 GiB line with no LF, each sent
# over TCP (LF and octet-counted) and UDP with a neighbour event after it.
# Checks: every neighbour stored exactly once and intact, the line count
# exact (each input one line), the daemon alive throughout, its peak memory
# (VmHWM) bounded, and no file made outside the storage dir (../ never
# becomes a path).
. "$(dirname "$0")/lib.sh"

write_conf ''
start_daemon
read -r nseq nlines < <(python3 "$TOP/tests/integration/hostile.py" send "$PORT") ||
    fail "sender failed"
kill -0 $DPID || fail "daemon died"
wait_lines "$T/events.log" "$nlines" 60
hwm=$(awk '/VmHWM/ {print $2}' /proc/$DPID/status)
stop_daemon
python3 "$TOP/tests/integration/hostile.py" check "$T/events.log" "$nseq" "$nlines" ||
    fail "oracle"
# Peak RSS: the 1 GiB line must stream through max_message-sized buffers.
# ASan's quarantine and shadow memory raise the floor.
lim=${HWM_LIMIT_KB:-131072}
case "$BIN" in *asan*) lim=${HWM_LIMIT_KB:-786432} ;; esac
[ "$hwm" -le "$lim" ] || fail "VmHWM $hwm kB > $lim kB"
tag=lsd-hostile-$$
ls -d /tmp/$tag* 2>/dev/null && fail "a ../ host or app became a path"
# (run: lib.sh's RUNTIME_DIRECTORY, the daemon's pid and state files)
extra=$(ls "$T" | grep -v -E '^(events\.log|alerts\.log|test\.conf|daemon\.(out|err)|run)$')
[ -z "$extra" ] || fail "unexpected files in the storage dir: $extra"
grep -q "traversal" "$T/events.log" || fail "traversal events not stored"
pass "$nseq neighbours intact after each of ${nseq} hostile inputs (TCP LF, octet, UDP, 1 GiB line), $nlines lines, VmHWM ${hwm} kB"
