#!/usr/bin/env python3
"""Generate a reproducible mix of syslog lines (RFC 3164, RFC 5424, JSON, plain) for tests and benchmarks
(the project's copy of the shared benchmark's generator: same output for the same arguments).
Usage: gen.py N [seed] > file   -- every line carries a unique sequence number seq=K."""
import random, sys
n = int(sys.argv[1]); rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
hosts = ["web01", "web02", "db01", "cache03", "auth01"]
apps = ["sshd", "nginx", "postgres", "kernel", "cron", "app"]
msgs = ["Accepted publickey for deploy from 10.0.0.%d port 5%04d ssh2",
        "Failed password for invalid user admin from 203.0.113.%d port 4%04d ssh2",
        "GET /api/v1/items/%d HTTP/1.1 200 %d",
        "connection reset by peer fd=%d errno=%d",
        "ERROR: deadlock detected pid=%d tx=%d",
        "Out of memory: Killed process %d (java) total-vm:%dkB",
        "session opened for user root by (uid=%d) tty=%d",
        "disk /dev/sda1 usage %d%% inode %d"]
# alert-worthy lines (failed password, deadlock, out of memory) are about 5% of the stream
weights = [30, 3, 40, 10, 1.5, 0.5, 10, 5]
out = sys.stdout.write
for i in range(n):
    h = rnd.choice(hosts); a = rnd.choice(apps); m = rnd.choices(msgs, weights)[0] % (rnd.randrange(255), rnd.randrange(9999))
    pri = rnd.choice([11, 12, 13, 14, 30, 38, 86, 131])
    k = i % 10
    if k < 5:
        out("<%d>Nov 23 20:%02d:%02d %s %s[%d]: %s seq=%d\n" % (pri, i // 60 % 60, i % 60, h, a, 1000 + i % 5000, m, i))
    elif k < 8:
        out("<%d>1 2026-11-23T20:%02d:%02d.%06dZ %s %s %d ID47 [meta sequenceId=\"%d\"] %s seq=%d\n" % (pri, i // 60 % 60, i % 60, i % 1000000, h, a, 1000 + i % 5000, i, m, i))
    elif k < 9:
        out('{"host":"%s","app":"%s","level":"%s","msg":"%s","seq":%d}\n' % (h, a, rnd.choice(["info", "warn", "error"]), m, i))
    else:
        out("%s %s: %s seq=%d\n" % (h, a, m, i))
