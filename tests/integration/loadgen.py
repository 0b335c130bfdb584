#!/usr/bin/env python3
"""loadgen.py MODE ...: the senders of t_load.sh (many sockets, from several
127.x addresses, so that they look like many hosts).  Every event is a plain
line "load ... seq=K"; the seqs a mode sent in full are written to its SENT
file, one line each, for seqcheck.py.  Prints one JSON object of figures.

  concurrent PORT HPORT N PER SENT     N connections all open at once (the
                                       daemon's gauge must reach N), then PER
                                       events on each
  reconnect PORT WORKERS ROUNDS SENT   WORKERS threads that each connect,
                                       send, drop (FIN, or RST once the
                                       kernel has every byte acknowledged),
                                       reconnect, ROUNDS times
  slowloris PORT HPORT N SECS LEGIT_AT EVENTS SENT
                                       N sockets from 127.0.0.2-5 trickle a
                                       byte a second, never ending a line,
                                       reconnecting when closed, for SECS s
                                       and on (30 s more at most) until the
                                       legitimate sender is stored: at
                                       LEGIT_AT s a sender from 127.0.0.1
                                       sends 50 events; how long until all
                                       are in EVENTS (the store), while the
                                       attack goes on
  persource PORT SRC N HOLD            N connections from SRC; how many the
                                       daemon closed once HOLD s have passed
                                       and the count has not moved for 1 s
                                       (20 s more at most)
  cycles PORT N SENT [FIRST]           N connect/close cycles: a line then
                                       FIN, nothing, a line then RST, a
                                       half line then FIN (an event at EOF)
  hold PORT SRC N SENT                 N connections that each send a line
                                       and stay open until stdin closes
"""
import errno, fcntl, json, os, select, socket, struct, sys, termios, threading, time
import urllib.request

IP_BIND_ADDRESS_NO_PORT = 24


def connect(port, src="127.0.0.1", timeout=10):
    s = socket.socket()
    s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def outq(s):
    """Bytes the kernel has not had acknowledged yet (TIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def rst(s):
    """Close with RST, once every byte sent was acknowledged (fully sent)."""
    t = time.time() + 5
    while outq(s) > 0:
        if time.time() > t:
            raise SystemExit("bytes not acknowledged in 5 s")
        time.sleep(0.001)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def metric(hport, name, label=None):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % hport, timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        if key == name or (label and key == '%s{%s}' % (name, label)):
            return float(val)
    return None


def server_closed(s):
    """True if the daemon closed s (EOF or reset), without blocking."""
    p = select.poll()
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return False
    try:
        return s.recv(64, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def line(tag, seq):
    return b"load %s seq=%d\n" % (tag.encode(), seq)


def concurrent(port, hport, n, per, sent):
    socks, t0 = [], time.time()
    for i in range(n):
        socks.append(connect(port, "127.0.0.%d" % (2 + i % 8)))
    top, deadline = 0, time.time() + 30
    while top < n and time.time() < deadline:
        top = int(metric(hport, "logstreamd_connections") or 0)
        if top < n:
            time.sleep(0.05)
    with open(sent, "w") as fp:
        for r in range(0, per, 10):
            for i, s in enumerate(socks):
                seqs = range(i * per + r, i * per + min(r + 10, per))
                s.sendall(b"".join(line("c=%d" % i, k) for k in seqs))
                fp.write("".join("seq=%d\n" % k for k in seqs))
    open_at_end = int(metric(hport, "logstreamd_connections") or 0)
    for s in socks:
        s.close()
    return {"connections": n, "open_at_once": top, "open_after_sending": open_at_end,
            "events": n * per, "seconds": round(time.time() - t0, 2)}


def reconnect(port, workers, rounds, sent):
    out, lock, stats = open(sent, "w"), threading.Lock(), {"fin": 0, "rst": 0, "split": 0}

    def work(w):
        seq = w * 1000000
        for r in range(rounds):
            s = connect(port)
            k = 1 + (seq * 7 + r * 13) % 40
            data = b"".join(line("w=%d r=%d" % (w, r), seq + j) for j in range(k))
            cut = (w * 31 + r * 17) % len(data)      # mid-line: the rest later
            s.sendall(data[:cut])
            time.sleep(0.001)
            s.sendall(data[cut:])
            mine = ["seq=%d\n" % (seq + j) for j in range(k)]
            seq += k
            how = "rst" if (w + r) % 2 else "fin"
            if how == "fin" and r % 3 == 0:
                # a last line without LF: an event when the peer closes
                s.sendall(b"load w=%d r=%d tail seq=%d" % (w, r, seq))
                mine.append("seq=%d\n" % seq)
                seq += 1
                how = "split"
            if how == "rst":
                rst(s)
            else:
                s.close()
            with lock:
                out.write("".join(mine))
                stats[how] += 1

    def guard(w):
        try:
            work(w)
        except Exception as e:      # a refused or reset connection: fail
            with lock:
                stats.setdefault("errors", []).append("worker %d: %r" % (w, e))

    threads = [threading.Thread(target=guard, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.close()
    if "errors" in stats:
        print(json.dumps(stats))
        sys.exit(1)
    return stats


def slowloris(port, hport, n, secs, legit_at, events, sent):
    srcs = ["127.0.0.%d" % (2 + i % 4) for i in range(n)]
    socks = [None] * n
    opened = closed = refused_connect = 0

    def open_one(i):
        nonlocal opened, refused_connect
        try:
            socks[i] = connect(port, srcs[i], timeout=2)
            socks[i].setblocking(False)
            socks[i].send(b"x")
            opened += 1
        except OSError:
            socks[i] = None
            refused_connect += 1

    t0 = time.time()
    for i in range(n):
        open_one(i)
    last_tick, full_before, legit = t0, None, None
    legit_t0 = legit_done = trying = None
    tries, retry_at, tried_at = 0, 0, 0
    want = set(range(5000000, 5000050))
    while time.time() - t0 < secs or (legit_done is None and time.time() - t0 < secs + 30):
        now = time.time()
        # the daemon closed some: reconnect them, as an attacker would
        p, where = select.poll(), {}
        for i, s in enumerate(socks):
            if s is not None:
                p.register(s, select.POLLIN)
                where[s.fileno()] = i
        for fd, _ in p.poll(50):
            i = where[fd]
            if server_closed(socks[i]):
                socks[i].close()
                closed += 1
                open_one(i)
        if now - last_tick >= 1:
            last_tick = now
            for s in socks:
                if s is not None:
                    try:
                        s.send(b"x")
                    except OSError:
                        pass
        # the legitimate sender: connect, send, and if the daemon closes
        # it (refused), try again 0.1 s later, as rsyslog would; the
        # attackers keep trickling meanwhile
        if legit is None and now - t0 >= legit_at and now >= retry_at:
            if legit_t0 is None:
                full_before = int(metric(hport, "logstreamd_connections") or 0)
                legit_t0 = time.time()
            if trying is not None and server_closed(trying):
                trying.close()
                trying = None
            if trying is None:
                tries += 1
                trying = connect(port, "127.0.0.1")
                trying.sendall(b"".join(line("legit", k) for k in sorted(want)))
                tried_at = time.time()
            elif time.time() - tried_at >= 0.1:
                legit, trying = trying, None
            retry_at = time.time() + 0.02
        if legit is not None and legit_done is None:
            have = set()
            with open(events, "rb") as fp:
                for ln in fp:
                    if b'load legit seq=' in ln:
                        have.add(int(ln.split(b"seq=")[1].split(b'"')[0]))
            if want <= have:
                legit_done = time.time()
    for s in socks:
        if s is not None:
            s.close()
    if legit is not None:
        legit.close()
    with open(sent, "w") as fp:
        fp.write("".join("seq=%d\n" % k for k in sorted(want)))
    return {"attackers": n, "opened": opened, "closed_by_daemon": closed,
            "connect_failed": refused_connect, "open_before_legit": full_before,
            "legit_tries": tries,
            "legit_stored_after": round(legit_done - legit_t0, 2) if legit_done else None}


def persource(port, src, n, hold):
    socks = [connect(port, src) for _ in range(n)]
    t0 = time.time()
    time.sleep(hold)
    # Not a fixed time: until the daemon is done closing (a busy machine
    # closes later, never fewer).
    closed = [False] * n
    gone, last, since = 0, -1, time.time()
    while time.time() - t0 < hold + 20:
        for i, s in enumerate(socks):
            if not closed[i] and server_closed(s):
                closed[i] = True
                gone += 1
        if gone != last:
            last, since = gone, time.time()
        elif time.time() - since >= 1:
            break
        time.sleep(0.1)
    for s in socks:
        s.close()
    return {"connections": n, "closed_by_daemon": gone}


def cycles(port, n, sent, first):
    out, kinds = open(sent, "w"), {"line_fin": 0, "silent": 0, "line_rst": 0, "half_fin": 0}
    for i in range(first, first + n):
        s = connect(port, "127.0.0.%d" % (2 + i % 16))
        k = i % 4
        if k == 0:
            s.sendall(line("cycle", i)); s.close(); kinds["line_fin"] += 1
        elif k == 1:
            s.close(); kinds["silent"] += 1
            continue
        elif k == 2:
            s.sendall(line("cycle", i)); rst(s); kinds["line_rst"] += 1
        else:
            s.sendall(b"load cycle seq=%d" % i); s.close(); kinds["half_fin"] += 1
        out.write("seq=%d\n" % i)
    out.close()
    return kinds


def hold(port, src, n, sent):
    socks = []
    with open(sent, "w") as fp:
        for i in range(n):
            s = connect(port, src)
            s.sendall(line("held", 7000000 + i))
            fp.write("seq=%d\n" % (7000000 + i))
            socks.append(s)
    print(json.dumps({"held": n}), flush=True)
    sys.stdin.read()
    for s in socks:
        s.close()
    return {"closed": n}


def main():
    mode, a = sys.argv[1], sys.argv[2:]
    if mode == "concurrent":
        r = concurrent(int(a[0]), int(a[1]), int(a[2]), int(a[3]), a[4])
    elif mode == "reconnect":
        r = reconnect(int(a[0]), int(a[1]), int(a[2]), a[3])
    elif mode == "slowloris":
        r = slowloris(int(a[0]), int(a[1]), int(a[2]), float(a[3]), float(a[4]), a[5], a[6])
    elif mode == "persource":
        r = persource(int(a[0]), a[1], int(a[2]), float(a[3]))
    elif mode == "cycles":
        r = cycles(int(a[0]), int(a[1]), a[2], int(a[3]) if len(a) > 3 else 0)
    elif mode == "hold":
        r = hold(int(a[0]), a[1], int(a[2]), a[3])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(r), flush=True)


main()
