#!/usr/bin/env python3
"""promcheck.py FILE: a strict check of the Prometheus text exposition
format (0.0.4) as logstreamd writes it: every family has one HELP and one
TYPE before its samples, samples of a family are contiguous, names and
labels are well formed, values are numbers, counters end in _total, no
series repeats, and histogram buckets rise with le, are cumulative and end
with +Inf equal to _count.  Exits 1 naming the first problem."""
import math, re, sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LNAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*$")
SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def die(n, msg):
    sys.exit("promcheck: line %d: %s" % (n, msg))


def labels(n, text):
    out, pos = [], 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if not m:
            die(n, "bad labels {%s}" % text)
        out.append((m.group(1), m.group(2)))
        pos = m.end()
    names = [k for k, _ in out]
    if len(set(names)) != len(names):
        die(n, "repeated label in {%s}" % text)
    return tuple(out)


def family_of(name, types):
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and types.get(name[: -len(suf)]) == "histogram":
            return name[: -len(suf)]
    return name


def check_hist(fam, samples):
    series = {}
    for name, lab, val in samples:
        key = tuple(kv for kv in lab if kv[0] != "le")
        s = series.setdefault(key, {"b": [], "sum": None, "count": None})
        if name == fam + "_bucket":
            le = dict(lab).get("le")
            if le is None:
                sys.exit("promcheck: %s bucket without le" % fam)
            s["b"].append((math.inf if le == "+Inf" else float(le), val))
        elif name == fam + "_sum":
            s["sum"] = val
        elif name == fam + "_count":
            s["count"] = val
        else:
            sys.exit("promcheck: %s: stray sample %s" % (fam, name))
    for key, s in series.items():
        b = s["b"]
        if not b or b[-1][0] != math.inf:
            sys.exit("promcheck: %s%s: no +Inf bucket last" % (fam, key))
        for (l1, v1), (l2, v2) in zip(b, b[1:]):
            if not l2 > l1:
                sys.exit("promcheck: %s: le not rising (%g, %g)" % (fam, l1, l2))
            if v2 < v1:
                sys.exit("promcheck: %s: buckets not cumulative" % fam)
        if s["count"] is None or s["sum"] is None:
            sys.exit("promcheck: %s: _sum or _count missing" % fam)
        if s["count"] != b[-1][1]:
            sys.exit("promcheck: %s: +Inf %g != _count %g" % (fam, b[-1][1], s["count"]))


def main(path):
    helps, types, done, seen = {}, {}, set(), set()
    cur, cur_samples, nsamples = None, [], 0
    lines = open(path, encoding="utf-8").read().split("\n")
    if lines[-1] != "":
        die(len(lines), "no newline at the end")
    for n, line in enumerate(lines[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
                die(n, "comment that is not HELP or TYPE: %r" % line)
            name = parts[2]
            if not NAME.match(name):
                die(n, "bad metric name %r" % name)
            if name in done or (cur is not None and name != cur):
                if cur_samples or name in done:
                    if name in done:
                        die(n, "%s described again after its samples" % name)
            table = helps if parts[1] == "HELP" else types
            if name in table:
                die(n, "second %s for %s" % (parts[1], name))
            if parts[1] == "TYPE":
                if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    die(n, "bad TYPE line %r" % line)
                table[name] = parts[3]
            else:
                if len(parts) != 4 or not parts[3].strip():
                    die(n, "empty HELP for %s" % name)
                table[name] = parts[3]
            if cur is not None and name != cur:
                if types.get(cur) == "histogram":
                    check_hist(cur, cur_samples)
                done.add(cur)
                cur_samples = []
            cur = name
            continue
        m = SAMPLE.match(line)
        if not m:
            die(n, "not a sample: %r" % line)
        name, lab = m.group(1), labels(n, m.group(3) or "")
        try:
            val = float(m.group(4))
        except ValueError:
            die(n, "bad value %r" % m.group(4))
        fam = family_of(name, types)
        if fam != cur:
            die(n, "sample %s outside its family (now %s)" % (name, cur))
        if fam not in helps or fam not in types:
            die(n, "%s has no HELP or TYPE before it" % fam)
        if types[fam] == "counter" and not fam.endswith("_total"):
            die(n, "counter %s does not end in _total" % fam)
        if types[fam] in ("counter", "histogram") and val < 0:
            die(n, "negative %s" % name)
        key = (name, tuple(sorted(lab)))
        if key in seen:
            die(n, "series repeated: %s%s" % (name, lab))
        seen.add(key)
        cur_samples.append((name, lab, val))
        nsamples += 1
    if cur is not None and types.get(cur) == "histogram":
        check_hist(cur, cur_samples)
    for fam in helps:
        if fam not in types:
            sys.exit("promcheck: %s has HELP but no TYPE" % fam)
    if nsamples == 0:
        sys.exit("promcheck: no samples")
    print("promcheck: %d families, %d samples: ok" % (len(types), nsamples))


main(sys.argv[1])
