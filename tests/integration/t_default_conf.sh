#!/bin/bash
# t_default_conf.sh: the shipped conf/logstreamd.conf (ports and paths moved
# into the test's dir) passes `logstreamd -t`, and the lines real systems
# write (sshd, PAM, the kernel's OOM killer and segfault report, a full
# disk, systemd, postfix SASL) each get their shipped class in events.log
# and raise exactly the shipped alerts, once per group while suppressed.
# Senders: RFC 3164 lines over nc, as rsyslog or syslog-ng would relay them.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
HPORT=$(free_port)
sed -e "s/^\(tcp\|udp\) = 127\.0\.0\.1:5514 /\1 = 127.0.0.1:$PORT /" \
    -e "s|^path = \.\./var/\([a-z]*\.log\) |path = $T/\1 |" \
    -e "s/^listen = 127\.0\.0\.1:9514$/listen = 127.0.0.1:$HPORT/" \
    "$TOP/conf/logstreamd.conf" > "$T/test.conf"
[ "$(grep -c "^listen = 127\.0\.0\.1:$HPORT\$" "$T/test.conf")" = 1 ] ||
	fail "http listen not rewritten: $(grep -n '^listen' "$T/test.conf")"
# The rewrite must have hit both listeners and both paths, and nothing else.
[ "$(grep -cE "^(tcp|udp) = 127\.0\.0\.1:$PORT " "$T/test.conf")" = 2 ] ||
	fail "listen lines not rewritten: $(grep -nE '^(tcp|udp)' "$T/test.conf")"
[ "$(grep -cE "^path = $T/(events|alerts)\.log " "$T/test.conf")" = 2 ] ||
	fail "paths not rewritten: $(grep -n '^path' "$T/test.conf")"
diff <(grep -vE '^(tcp|udp|path|listen) = ' "$TOP/conf/logstreamd.conf") \
    <(grep -vE '^(tcp|udp|path|listen) = ' "$T/test.conf") >/dev/null ||
	fail "the rewrite changed other lines"

out=$("$BIN" -t -c "$T/test.conf" 2>&1) || fail "-t rejects the shipped config: $out"
# ... and -t can say no: an unknown key, named by file:line.
sed '/^\[queue\]/a bogus = 1' "$T/test.conf" > "$T/bad.conf"
line=$(grep -n '^bogus' "$T/bad.conf" | cut -d: -f1)
out=$("$BIN" -t -c "$T/bad.conf" 2>&1)
rc=$?
[ $rc = 1 ] || fail "-t on an unknown key exited $rc: $out"
printf '%s\n' "$out" | grep -q "bad.conf:$line:" || fail "-t did not name bad.conf:$line: $out"

start_daemon
ts=$(date '+%b %e %H:%M:%S')
{
	for i in 1 2 3 4 5; do
		echo "<38>$ts bastion1 sshd[2201]: Failed password for root from 203.0.113.9 port 22 ssh2"
	done
	echo "<2>$ts db1 kernel: [12345.678901] Out of memory: Killed process 1234 (java) total-vm:8388608kB, anon-rss:4194304kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:12345kB oom_score_adj:0"
	echo "<11>$ts app1 postgres[812]: ERROR:  could not extend file \"base/16384/2619\": No space left on device"
	echo "<4>$ts app2 kernel: java[4711]: segfault at 0 ip 00007f1c2a4b5c3d sp 00007ffd5e8e9a20 error 4 in libc.so.6[7f1c2a400000+195000]"
	echo "<27>$ts web3 systemd[1]: Failed to start nginx.service - A high performance web server and a reverse proxy server."
	echo "<30>$ts web3 systemd[1]: Started cron.service - Regular background program processing daemon."
	echo "<27>$ts web3 nginx[900]: 2026/11/23 10:00:00 [error] 900#900: *1 connect() failed (111: Connection refused) while connecting to upstream"
	for i in $(seq 10); do
		echo "<38>$ts bastion2 sshd[$((3000 + i))]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.23  user=root"
	done
	for i in $(seq 10); do
		echo "<20>$ts mail1 postfix/smtpd[$((4000 + i))]: warning: unknown[198.51.100.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
	done
	for i in $(seq 10); do
		echo "<85>$ts web4 sudo: pam_unix(sudo:auth): authentication failure; logname= uid=0 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice"
	done
} | nc -N 127.0.0.1 "$PORT" || fail "nc to $PORT"
wait_lines "$T/events.log" 41
wait_lines "$T/alerts.log" 8
stop_daemon

diff -u - <(jq -r '[.host, .app, .class] | join(" ")' "$T/events.log" | uniq -c) <<'EOF' ||
      5 bastion1 sshd ssh_auth_failure
      1 db1 kernel out_of_memory
      1 app1 postgres disk_full
      1 app2 kernel segfault
      1 web3 systemd service_failure
      1 web3 systemd other
      1 web3 nginx error
     10 bastion2 sshd ssh_auth_failure
     10 mail1 postfix/smtpd auth_failure
     10 web4 sudo auth_failure
EOF
	fail "classes in events.log differ (- want, + got)"
# The sshd class's named groups: the attacker's address and the user.
diff -u - <(jq -r 'select(.app == "sshd") | [.host, .fields.ip, .fields.user] | join(" ")' "$T/events.log" | uniq -c) <<'EOF' ||
      5 bastion1 203.0.113.9 root
     10 bastion2 198.51.100.23 root
EOF
	fail "sshd fields differ (- want, + got)"

# Every line: a millisecond time stamp, ALERT, and first="<second>".
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'
bad=$(grep -Ev "^$ISO\.[0-9]{3}Z ALERT [a-z_]+ .* first=\"${ISO}Z\" msg=\".*\"\$" "$T/alerts.log")
[ -z "$bad" ] || fail "malformed alert lines: $bad"
# The rest, exactly.
diff -u - <(sed -E 's/^[^ ]+ //; s/ first="[^"]*"//' "$T/alerts.log") <<'EOF' ||
ALERT ssh_bruteforce class=ssh_auth_failure host=bastion1 ip=203.0.113.9 count=5 window=10m msg="Failed password for root from 203.0.113.9 port 22 ssh2"
ALERT out_of_memory class=out_of_memory host=db1 count=1 window=1m msg="[12345.678901] Out of memory: Killed process 1234 (java) total-vm:8388608kB, anon-rss:4194304kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:12345kB oom_score_adj:0"
ALERT disk_full class=disk_full host=app1 count=1 window=1m msg="ERROR:  could not extend file \"base/16384/2619\": No space left on device"
ALERT segfault class=segfault host=app2 count=1 window=1m msg="java[4711]: segfault at 0 ip 00007f1c2a4b5c3d sp 00007ffd5e8e9a20 error 4 in libc.so.6[7f1c2a400000+195000]"
ALERT service_failure class=service_failure host=web3 count=1 window=1m msg="Failed to start nginx.service - A high performance web server and a reverse proxy server."
ALERT ssh_bruteforce class=ssh_auth_failure host=bastion2 ip=198.51.100.23 count=5 window=10m msg="pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.23  user=root"
ALERT auth_failures class=auth_failure host=mail1 count=10 window=5m msg="warning: unknown[198.51.100.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
ALERT auth_failures class=auth_failure host=web4 count=10 window=5m msg="pam_unix(sudo:auth): authentication failure; logname= uid=0 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice"
EOF
	fail "alerts.log differs (- want, + got)"
pass "shipped config passes -t; sshd, PAM, OOM, ENOSPC, segfault, systemd, postfix, sudo: classes and 8 alerts"
