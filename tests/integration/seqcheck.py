#!/usr/bin/env python3
"""seqcheck.py STORE SENT... : the oracle for "nothing lost".

Every line of STORE must be one valid JSON object; the seq of each event is
read from fields.seq (JSON/logfmt), or from "seq=K" (or an unparsed JSON
line's "seq":K) in the message.  With
--all, the stored seq set must equal the union of the SENT files' seqs, with
no duplicates.  With --prefix, each SENT file is one connection's stream in
order: what was stored of it must be exactly its first k events (TCP keeps
order, so an event read after a lost one means a loss), again without
duplicates.  --max-dups=N first (with --all): up to N duplicates are
allowed (a SIGKILL's repeats, bounded by the sync window).  Prints a one-line summary; exits 1 on any violation."""
import json, re, sys

SEQ = re.compile(r"seq=(\d+)")
# a JSON line that a peer (rsyslog) stored unparsed keeps "seq":K in its text
SEQ_JSON = re.compile(r'"seq":(\d+)')

def seq_of(obj):
    f = obj.get("fields") or {}
    if "seq" in f:
        return int(f["seq"])
    msg = obj.get("message", "")
    m = SEQ.search(msg) or SEQ_JSON.search(msg)
    return int(m.group(1)) if m else None

SEQ_BYTES = re.compile(rb"seq=(\d+)")

def sent_seqs(path):
    out = []
    with open(path, "rb") as fp:
        for line in fp:
            m = SEQ_BYTES.search(line)    # bytes: no decode per line
            if m:
                out.append(int(m.group(1)))
            else:
                j = json.loads(line)
                out.append(int(j["seq"]))
    return out

def main():
    args, maxdups = sys.argv[1:], 0
    if args and args[0].startswith("--max-dups="):
        maxdups = int(args.pop(0).split("=", 1)[1])
    mode, store, sent = args[0], args[1], args[2:]
    stored, bad = [], 0
    with open(store, "rb") as fp:
        for n, line in enumerate(fp, 1):
            if not line.endswith(b"\n"):
                print("line %d: no newline (torn line)" % n); return 1
            try:
                s = seq_of(json.loads(line))
            except ValueError as e:
                print("line %d: not JSON: %s" % (n, e)); return 1
            if s is None:
                bad += 1
            else:
                stored.append(s)
    dups = len(stored) - len(set(stored))
    have = set(stored)
    if mode == "--all":
        want = set()
        for p in sent:
            want.update(sent_seqs(p))
        missing, extra = want - have, have - want
        print("stored %d, sent %d, missing %d, extra %d, duplicates %d, "
              "without seq %d" % (len(stored), len(want), len(missing),
                                  len(extra), dups, bad))
        ok = not missing and not extra and dups <= maxdups and bad == 0
        if missing:
            print("first missing:", sorted(missing)[:10])
        return 0 if ok else 1
    total = 0
    for p in sent:
        order = sent_seqs(p)
        k = sum(1 for s in order if s in have)
        if set(order[:k]) != have.intersection(order):
            print("%s: stored events are not a prefix of what was sent" % p)
            return 1
        total += k
    print("stored %d, each connection a prefix, duplicates %d, without seq %d"
          % (len(stored), dups, bad))
    return 0 if dups == 0 and bad == 0 and total == len(stored) else 1

sys.exit(main())
