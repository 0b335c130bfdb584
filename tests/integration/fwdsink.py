#!/usr/bin/env python3
"""fwdsink.py PORT OUT [hang]: a forward target for the tests.

Listens on 127.0.0.1:PORT (SO_REUSEADDR) and reads RFC 6587 octet-counted
frames from every connection, appending each frame as one line to OUT
(flushed at once).  With "hang" it accepts connections and never reads
them: the kernel still takes (and TCP-acknowledges) what fits its socket
buffer, as for a peer whose program is stuck.

fwdsink.py --count OUT [SENT]: the seqs in OUT (seq=K in the message, or
seq="K" in the structured data a forward output makes of fields): prints
"frames=N distinct=D dups=U missing=M" (missing: of SENT's seqs, if given).
"""
import re
import socket
import sys
import threading

SEQ = re.compile(rb'seq="?(\d+)')


def serve(conn, out, lock):
    buf = b""
    while True:
        d = conn.recv(65536)
        if not d:
            break
        buf += d
        while True:
            sp = buf.find(b" ")
            if sp < 0:
                break
            n = int(buf[:sp])
            if len(buf) < sp + 1 + n:
                break
            frame = buf[sp + 1:sp + 1 + n]
            buf = buf[sp + 1 + n:]
            with lock:
                out.write(frame.replace(b"\n", b" ") + b"\n")
                out.flush()
    conn.close()


def listen(port, path, hang):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    out = open(path, "ab")
    lock = threading.Lock()
    held = []
    while True:
        c, _ = s.accept()
        if hang:
            held.append(c)
            continue
        threading.Thread(target=serve, args=(c, out, lock), daemon=True).start()


def seqs(path):
    v = []
    try:
        fp = open(path, "rb")
    except FileNotFoundError:
        return v
    with fp:
        for line in fp:
            m = SEQ.search(line)
            if m:
                v.append(int(m.group(1)))
    return v


def count(path, sent):
    v = seqs(path)
    d = set(v)
    missing = len(set(seqs(sent)) - d) if sent else 0
    print("frames=%d distinct=%d dups=%d missing=%d" % (len(v), len(d), len(v) - len(d), missing))


if __name__ == "__main__":
    if sys.argv[1] == "--count":
        count(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        listen(int(sys.argv[1]), sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "hang")
