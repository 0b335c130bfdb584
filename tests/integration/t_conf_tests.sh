#!/bin/bash
# t_conf_tests: [test NAME] sections, run by -t.  The shipped config's own
# tests pass; a copy with four wrong expectations (a field value, a field
# it lacks, an alert the inputs do not raise, a class) fails with exit 1,
# each failure named by the file:line of its expectation and what
# differed; a test with an unknown key, no input, or a class or alert the
# config lacks is a config error with file:line (the daemon does not start
# with it either).  No alert line is written and no exec program is run.
. "$(dirname "$0")/lib.sh"

cp "$TOP/conf/logstreamd.conf" "$T/ok.conf"
out=$("$BIN" -t -c "$T/ok.conf" 2>&1) || fail "-t on the shipped tests: $out"
n=$(grep -c '^\[test ' "$T/ok.conf")
[ "$n" -ge 8 ] || fail "only $n tests shipped"
[ "$out" = "$T/ok.conf: ok ($n tests passed)" ] || fail "-t said: $out"
pass "the shipped config's $n tests pass"

line() { grep -n -- "$1" "$T/bad.conf" | head -1 | cut -d: -f1; }
sed -e 's/^expect_field.ip = 203.0.113.9$/expect_field.ip = 203.0.113.10/' \
    -e 's/^expect_field.user = oracle$/expect_field.nouser = x/' \
    -e '0,/^expect_alert = out_of_memory$/s//expect_alert = ssh_user_targeted/' \
    -e 's/^expect_class = segfault$/expect_class = error/' \
    "$T/ok.conf" > "$T/bad.conf"
cat >> "$T/bad.conf" <<CONF
[alert exec_probe]
class = segfault
exec = $T/probe.sh
CONF
printf '#!/bin/sh\ntouch %s/probe.ran\n' "$T" > "$T/probe.sh"
chmod +x "$T/probe.sh"
"$BIN" -t -c "$T/bad.conf" > "$T/out" 2> "$T/err" && fail "-t passed wrong expectations"
grep -q "^$T/bad.conf:$(line 203.0.113.10): \[test ssh_bruteforce\] input 1 (line [0-9]*): field ip = 203.0.113.9, expected 203.0.113.10$" "$T/err" || fail "field value: $(cat "$T/err")"
grep -q "^$T/bad.conf:$(line nouser): \[test ssh_invalid_user\] input 1 (line [0-9]*): no field nouser, expected x$" "$T/err" || fail "missing field: $(cat "$T/err")"
grep -q "^$T/bad.conf:$(line '^expect_alert = ssh_user_targeted'): \[test oom_kill\] alert ssh_user_targeted not raised by the 1 input$" "$T/err" || fail "alert: $(cat "$T/err")"
grep -q "^$T/bad.conf:$(line '^expect_class = error$'): \[test segfault\] input 1 (line [0-9]*): class segfault, expected error$" "$T/err" || fail "class: $(cat "$T/err")"
grep -q "^$T/bad.conf: 4 of $n tests failed$" "$T/err" || fail "summary: $(cat "$T/err")"
[ -e "$T/probe.ran" ] && fail "-t ran an alert's exec program"
[ -e "$TOP/var/alerts.log" ] && [ "$TOP/var/alerts.log" -nt "$T/bad.conf" ] && fail "-t wrote an alert line"
pass "4 wrong expectations: exit 1, each named with its file:line and what differed; no exec program run"

cat > "$T/bad2.conf" <<CONF
[storage]
path = $T/events.log
[alerts]
path = $T/alerts.log
[test t]
expect_class = nope
expect_alert = nada
foo = 1
[test u]
input = x
CONF
"$BIN" -t -c "$T/bad2.conf" > /dev/null 2> "$T/err2" && fail "-t took a broken test"
for want in "bad2.conf:8: unknown key 'foo' in \[test t\]" "bad2.conf:5: \[test t\] has no input" \
    "bad2.conf:6: \[test t\] expect_class = nope: no such class" "bad2.conf:7: \[test t\] expect_alert = nada: no such alert"; do
	grep -q "$want" "$T/err2" || fail "wanted '$want': $(cat "$T/err2")"
done
timeout 10 "$BIN" -c "$T/bad2.conf" > /dev/null 2>&1; rc=$?
[ $rc = 1 ] || fail "the daemon started (or exited $rc) with a broken test"
pass "a broken [test] is a config error with file:line (-t and at start)"
