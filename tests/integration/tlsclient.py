#!/usr/bin/env python3
"""tlsclient.py HOST PORT [options]: an RFC 5425 sender for the tests.

Connects over TLS (verifying the server against --ca, host name HOST),
optionally with a client certificate, and sends the lines of --send (LF
framing, or RFC 5425 octet counting with --octet).  --fingerprint prints the
SHA-256 of the server's certificate.  --hold FILE keeps the connection open
after sending until FILE exists, then sends --then and closes (an old
connection across a reload).  --refused inverts the verdict: exit 0 only if
the server refuses us (TLS 1.3 completes the client's side of the handshake
before the server has checked the client's certificate, so after sending it
waits for the server's alert or close; a server that accepted stays silent
and the wait times out)."""
import argparse, hashlib, os, socket, ssl, sys, time

p = argparse.ArgumentParser()
p.add_argument("host")
p.add_argument("port", type=int)
p.add_argument("--ca", required=True)
p.add_argument("--cert")
p.add_argument("--key")
p.add_argument("--tls", choices=["1.2", "1.3"])
p.add_argument("--send")
p.add_argument("--octet", action="store_true")
p.add_argument("--fingerprint", action="store_true")
p.add_argument("--hold")
p.add_argument("--then", default="")
p.add_argument("--refused", action="store_true")
a = p.parse_args()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(a.ca)
if a.cert:
    ctx.load_cert_chain(a.cert, a.key)
if a.tls:
    v = ssl.TLSVersion.TLSv1_2 if a.tls == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ctx.maximum_version = v


def frame(line):
    b = line.encode("utf-8", "surrogateescape")
    return b"%d %s" % (len(b), b) if a.octet else b + b"\n"


def lines():
    if not a.send:
        return []
    fp = sys.stdin if a.send == "-" else open(a.send, encoding="utf-8",
                                               errors="surrogateescape")
    return [l.rstrip("\n") for l in fp]


def run():
    raw = socket.create_connection((a.host, a.port), timeout=10)
    t = ctx.wrap_socket(raw, server_hostname=a.host)
    if a.fingerprint:
        print(hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest())
    batch = [frame(l) for l in lines()]
    for i in range(0, len(batch), 256):
        t.sendall(b"".join(batch[i:i + 256]))
    if a.refused:
        t.settimeout(3)
        return t.recv(1)        # an alert raises; a close gives b""
    if a.hold:
        while not os.path.exists(a.hold):
            time.sleep(0.05)
        if a.then:
            t.sendall(frame(a.then))
    t.close()
    return None


try:
    got = run()
except (ssl.SSLError, ConnectionError) as e:
    if a.refused:
        print("refused: %s" % e)
        sys.exit(0)
    print("tlsclient: %s" % e, file=sys.stderr)
    sys.exit(1)
except socket.timeout:
    print("tlsclient: accepted (no alert, no close)" if a.refused else
          "tlsclient: timed out", file=sys.stderr)
    sys.exit(1)
if a.refused:
    if got == b"":
        print("refused: closed")
        sys.exit(0)
    sys.exit(1)
