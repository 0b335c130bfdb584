#!/usr/bin/env python3
"""hostile.py send|check PORT STORE PID: the bad-input corpus of issue 9.

send: every input goes over TCP with LF framing, TCP octet-counted
(RFC 6587 3.4.1) and UDP, each followed by a neighbour event
{"msg":"neighbour","seq":N} on the same stream (on a fresh connection when
the input's octet count claims more bytes than are sent, as the count then
rightly owns the rest of that stream).  A 1 GiB line with no LF is
streamed (never built in memory) over LF TCP.  Writes the number of lines
expected to STORE.expect.
check: every neighbour stored exactly once and intact, the line count
exact, and the daemon's VmHWM printed."""
import json, os, socket, sys, time

from sendlib import octet, tcp

TAG = "lsd-hostile-%d" % os.getppid()
INPUTS = [
    b'4294967296 <13>octet count 2^32',
    b'99999999999 <13>octet count with 11 digits',
    b'2147483648 <13>octet count 2^31',
    b'<999>1 2024-01-01T00:00:00Z h a - - - PRI 999',
    b'<192>Jan  1 00:00:00 h a: PRI 192',
    b'<4294967297>1 - h a - - - PRI that wraps',
    b'<-1>Jan  1 00:00:00 h a: negative PRI',
    b'<13>Jan  1 00:00:0',
    b'<165>1 2003-10-11T22:14:15.00300000000000000000003Z h a - - - long fraction',
    b'<165>1 9999-99-99T99:99:99+99:99 h a - - - bad fields',
    b'<13>2024-02-30T25:61:61.1234567890+99:99 host app: bad 3339',
    b'{"host":123,"app":["a",1],"message":{"a":1},"time":"x","level":null,"pid":true,"seq":"x"}',
    b'{"ts":1e308,"msg":{"nested":[1,{"x":null}]},"severity":-5,"facility":99}',
    b'{"a":' + b'[' * 10000 + b']' * 10000 + b'}',
    b'{"a":' + b'{"b":' * 10000 + b'1' + b'}' * 10000 + b'}',
    b'<165>1 2024-01-01T00:00:00Z %n%s%x%p %n%s - - - %n%n%n%s%s%s%s',
    b'level=%n msg="%s%s%s" host=%x app=%n',
    ('<14>1 2024-01-01T00:00:00Z ../../../../../../tmp/%s ../../../../../../tmp/%s.app 1 - - traversal' % (TAG, TAG)).encode(),
    ('<14>Jan  1 00:00:00 ../../../../tmp/%s ../../../tmp/%s[1]: traversal' % (TAG, TAG)).encode(),
    ('{"host":"../../../../../tmp/%s","app":"../../../../tmp/%s","msg":"t"}' % (TAG, TAG)).encode(),
    b'<13>Jan  1 00:00:00 h app: NUL\x00in\x00the\x00middle\x00',
    b'{"msg":"nul \\u0000 and lone \\ud800 \\udfff surrogates"}',
    b'<13>Jan  1 00:00:00 h app: surrogates in UTF-8 \xed\xa0\x80\xed\xbf\xbf and \xff\xfe',
    b'<13>Jan  1 00:00:00 h app: \x1b]0;pwned\x07\x1b[2J\x1b[31m \xe2\x80\xae bidi \xc2\x9b c1',
    b'<165>1 - h a - - [x k="v\\"] unclosed sd',
    b'<165>1 - h a - - ' + b'[a k="v"]' * 2000 + b' many sd',
    b'x' * 70000,
]
OVERCLAIM = {0, 1, 2}  # indexes whose octet count exceeds what is sent

def neighbour(seq):
    return ('<14>1 2024-01-01T00:00:00Z nb app - - - neighbour seq=%d' % seq).encode()

# RFC 6587 detects octet counting on a first frame "LEN SP <": each
# octet-counted connection opens with this event (one more line).
OPENER = b'<14>1 2024-01-01T00:00:00Z nb app - - - opener'
# An input that opens an LF stream with "LEN SP <" is octet counting too.
LF_OVERCLAIM = {0, 2}

def send(port):
    seq, lines = 0, 0
    for i, b in enumerate(INPUTS):                       # TCP, LF framing
        seq += 1
        if i in LF_OVERCLAIM:
            tcp(port, b + b'\n')
            tcp(port, neighbour(seq) + b'\n')
        else:
            tcp(port, b + b'\n' + neighbour(seq) + b'\n')
        lines += 2
    for i, b in enumerate(INPUTS):                       # TCP, octet counted
        seq += 1
        if i in OVERCLAIM:
            # The input's own count opens the stream: it takes everything.
            tcp(port, octet(OPENER) + b)
        else:
            tcp(port, octet(OPENER) + octet(b) + octet(neighbour(seq)))
        if i in OVERCLAIM:
            tcp(port, octet(neighbour(seq)))
        lines += 3
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # UDP
    for b in INPUTS:
        seq += 1
        if len(b) <= 65000:
            u.sendto(b, ("127.0.0.1", port))
            lines += 1
        u.sendto(neighbour(seq), ("127.0.0.1", port))
        lines += 1
        time.sleep(0.002)
    seq += 1                                             # 1 GiB, no LF
    gib = int(os.environ.get("HOSTILE_GIB_MB", "1024"))
    s = socket.create_connection(("127.0.0.1", port))
    chunk = b'<13>Jan  1 00:00:00 h app: ' + b'G' * (1 << 20)
    for _ in range(gib):
        s.sendall(chunk)
        chunk = b'G' * (1 << 20)
    s.sendall(b'\n' + neighbour(seq) + b'\n')
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    lines += 2
    print(seq, lines)

def check(store, nseq, nlines, pid):
    seen = {}
    n = 0
    with open(store, 'rb') as fp:
        for raw in fp:
            n += 1
            o = json.loads(raw)
            m = o.get("message", "")
            if m.startswith("neighbour seq="):
                s = int(m[len("neighbour seq="):])
                seen[s] = seen.get(s, 0) + 1
                if o.get("host") != "nb" or o.get("format") != "rfc5424":
                    sys.exit("neighbour %d not intact: %r" % (s, o))
    bad = ["%d:%s" % (s, seen.get(s)) for s in range(1, nseq + 1)
           if seen.get(s) != 1]
    if bad:
        sys.exit("neighbours not stored exactly once: %s" % bad[:20])
    if n != nlines:
        sys.exit("%d lines stored, %d sent" % (n, nlines))
    print("%d neighbours intact, %d lines" % (nseq, n))

if __name__ == '__main__':
    if sys.argv[1] == 'send':
        send(int(sys.argv[2]))
    else:
        check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), 0)
