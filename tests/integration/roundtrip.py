#!/usr/bin/env python3
"""roundtrip.py send PORT | check PORT DIR text|json: the escaping
contract, byte by byte.

send: RFC 5424 events whose MSG holds every byte value 0x00..0xff alone,
first, in the middle, last and doubled, every two-byte pair around the
UTF-8 edges (C1, bidi controls, surrogates, overlong forms, cut
sequences), JSON and escape look-alikes, and random byte strings (fixed
seed), over TCP octet-counted (RFC 6587 3.4.1: LF inside a message is
legal), TCP with LF framing (3.4.2: LF taken out of the MSG, and a NUL
before "<DIGIT", which ends a frame too) and UDP
(RFC 5426).
Each event's MSGID names it (rt-TRANSPORT-N).

check: events.log holds exactly one line per event sent; each line is
JSON with no raw control byte, and its message, decoded with
json.loads(...).encode("utf-8", "surrogateescape") (PEP 383: invalid
UTF-8 is stored as \\udcXX), is the MSG sent, less only what the framing
rules remove (a trailing LF and/or CR, then one NUL over LF framing and
UDP; the RFC 5424 BOM).  alerts.log (text
or JSON) holds no raw byte 0x00-0x1f but LF, no 0x7f and no raw C1 or bidi
control character (docs-security.md), and its msgs, unescaped, are the
stored messages: one alert line per event."""
import json, random, re, socket, sys, time
from collections import Counter

from sendlib import octet, tcp

HDR = b'<13>1 2024-01-01T00:00:00Z rthost rtapp - %s - '
BOM = b'\xef\xbb\xbf'
# C1 and the bidi controls the alert file must escape (alert_format.c).
BIDI = [0x61c, 0x200e, 0x200f] + list(range(0x202a, 0x202f)) + \
    list(range(0x2066, 0x206a))


def payloads():
    """The MSGs sent on every transport (LF framing skips those with LF)."""
    out = []
    for b in range(256):
        c = bytes([b])
        out += [c, c + b'after', b'before' + c + b'after', b'before' + c,
                c + c, b'\\' + c, c + b'"']
    for cp in list(range(0x80, 0xa0)) + BIDI + [0xfeff, 0xfffe, 0xffff,
                                                0x10000, 0x10ffff]:
        u = chr(cp).encode('utf-8')
        out += [u, b'x' + u + b'y', u[:-1], b'x' + u[:-1] + b'y']
    # Lead bytes with every continuation-range neighbour, and the classic
    # invalid forms: surrogates, overlongs, past U+10FFFF, lone tails.
    for lead in (0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5,
                 0xff):
        for nxt in (0x00, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff):
            out.append(bytes([lead, nxt]) + b'\x80\x80')
    out += [b'\xed\xa0\x80', b'\xed\xbf\xbf', b'\xed\xa0\x80\xed\xb0\x80',
            b'\xc0\xaf', b'\xe0\x80\xaf', b'\xf0\x80\x80\xaf',
            b'\xf4\x90\x80\x80', b'\x80', b'\xbf\xbf', b'\xf0\x9f\x98',
            b'\\u0000', b'\\udc80', b'\\"', b'\\n\\r\\t', b'"}', b'\x00' * 64,
            b'\x1b[2J\x1b]0;title\x07\x1b[31m', b'%n%s%x%p',
            b'\r\n', b'a\r', b'a\n', b'a\r\n', b'a\n\r', b'\n\n', b'\r\r',
            BOM + b'bom', BOM + BOM + b'two boms', b' leading space',
            b'trailing space ', b'\t']
    rnd = random.Random(9)
    for n in range(400):
        ln = rnd.choice((1, 2, 3, 5, 8, 17, 64, 255, 1000))
        out.append(bytes(rnd.randrange(256) for _ in range(ln)))
    out.append(bytes(rnd.randrange(256) for _ in range(60000)))
    return out


def expected(transport, msg):
    """What the framing and the RFC 5424 parser leave of MSG."""
    if transport != 'lf' and msg.endswith(b'\n'):
        msg = msg[:-1]
    if msg.endswith(b'\r'):
        msg = msg[:-1]
    if transport != 'octet' and msg.endswith(b'\x00'):
        msg = msg[:-1]      # one trailing NUL is a delimiter (rsyslog too)
    if msg.startswith(BOM):
        msg = msg[3:]
    return msg


def events(transport):
    out = []
    for i, p in enumerate(payloads()):
        if transport == 'lf':	# LF ends the frame: take it out
            p = p.replace(b'\n', b'')
            # and so does a NUL before the next event's PRI ("\0<1")
            while re.search(rb'\x00<[0-9]', p):
                p = re.sub(rb'\x00(?=<[0-9])', b'', p)
        out.append((b'rt-%s-%d' % (transport.encode(), i), p))
    return out


def send(port):
    octets, lf = [], []
    for mid, p in events('octet'):
        ev = HDR % mid + p
        octets.append(octet(ev))
    for mid, p in events('lf'):
        lf.append(HDR % mid + p + b'\n')
    tcp(port, b''.join(octets))
    tcp(port, b''.join(lf))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for n, (mid, p) in enumerate(events('udp')):
        u.sendto(HDR % mid + p, ('127.0.0.1', port))
        if n % 32 == 31:
            time.sleep(0.01)	# a bounded burst: no kernel drop
    u.close()
    print(sum(len(events(t)) for t in ('octet', 'lf', 'udp')))


def check(d, fmt):
    want = {}
    for t in ('octet', 'lf', 'udp'):
        for mid, p in events(t):
            want[mid.decode()] = (t, p)
    lines = open(d + '/events.log', 'rb').read().split(b'\n')
    if lines[-1] != b'':
        sys.exit('events.log does not end with LF')
    lines = lines[:-1]
    seen, bad = set(), []
    for line in lines:
        if any(b < 0x20 or b == 0x7f for b in line):
            sys.exit('raw control byte in a stored line: %r' % line[:200])
        ev = json.loads(line)
        mid = ev.get('msgid')
        if mid not in want:
            sys.exit('stored an event not sent: %r' % line[:200])
        if mid in seen:
            sys.exit('stored twice: %s' % mid)
        seen.add(mid)
        t, p = want[mid]
        # writer.c leaves an empty parsed message out of the line.
        got = ev.get('message', '').encode('utf-8', 'surrogateescape')
        if got != expected(t, p):
            bad.append('%s: sent %r stored %r' % (mid, p[:80], got[:80]))
    if bad:
        sys.exit('%d messages differ:\n%s' % (len(bad), '\n'.join(bad[:20])))
    missing = sorted(set(want) - seen)
    if missing:
        sys.exit('%d events not stored, e.g. %s' % (len(missing),
                                                    missing[:10]))
    alerts = open(d + '/alerts.log', 'rb').read()
    for n, b in enumerate(alerts):
        if (b < 0x20 and b != 0x0a) or b == 0x7f:
            sys.exit('raw byte 0x%02x in alerts.log at %d: %r' %
                     (b, n, alerts[max(0, n - 60):n + 20]))
    text = alerts.decode('utf-8')	# invalid UTF-8 is \xNN or \udcXX there
    for ch in text:
        if 0x80 <= ord(ch) <= 0x9f or ord(ch) in BIDI:
            sys.exit('raw U+%04X in alerts.log' % ord(ch))
    # Faithful too: each alert's msg decodes to a stored message.
    got = sorted(alert_msg(line, fmt) for line in text.split('\n')[:-1])
    exp = sorted(expected(t, p) for t, p in want.values())
    if got != exp:
        lost = list((Counter(exp) - Counter(got)).elements())
        odd = list((Counter(got) - Counter(exp)).elements())
        sys.exit('%d alerts for %d events; %d messages with no alert msg, '
                 'e.g. %r; %d alert msgs that are no message, e.g. %r' % (
                     len(got), len(exp), len(lost), [m[:60] for m in lost[:3]],
                     len(odd), [m[:60] for m in odd[:3]]))
    print('%d events: every message byte-exact (octet %d, lf %d, udp %d); '
          '%d %s alert lines, terminal-safe, each msg decoding to its '
          'message' % (len(want), *(len(events(t)) for t in
                                     ('octet', 'lf', 'udp')),
                       len(got), fmt))


def alert_msg(line, fmt):
    r"""The msg of one alert line as bytes: JSON (PEP 383 like the store),
    or text, where \\ \" \xNN \uNNNN are the only escapes."""
    if fmt == 'json':
        return json.loads(line)['msg'].encode('utf-8', 'surrogateescape')
    m = re.search(r' msg="(.*)"$', line)
    if m is None:
        sys.exit('alert line without msg: %r' % line[:200])
    out, s, i = bytearray(), m.group(1), 0
    while i < len(s):
        if s[i] != '\\':
            out += s[i].encode('utf-8')
            i += 1
        elif s[i + 1] in '\\"':
            out += s[i + 1].encode()
            i += 2
        elif s[i + 1] == 'x':
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif s[i + 1] == 'u':
            out += chr(int(s[i + 2:i + 6], 16)).encode('utf-8')
            i += 6
        else:
            sys.exit('unknown escape in %r' % line[:200])
    return bytes(out)


if __name__ == '__main__':
    if sys.argv[1] == 'send':
        send(int(sys.argv[2]))
    else:
        check(sys.argv[3], sys.argv[4])
