#!/usr/bin/env python3
"""pngstat.py A.png [B.png]: decode 8-bit PNGs (stdlib only) and print the
number of pixels drawn in the page's chart colours (#1f77b4, #d62728); with
two files, also how many pixels differ between them."""
import struct, sys, zlib


def decode(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and inter == 0 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return [(r[i], r[i + 1], r[i + 2]) for r in rows for i in range(0, stride, bpp)]


def chart(px):
    def near(p, q):
        return all(abs(a - b) < 40 for a, b in zip(p, q))
    return sum(1 for p in px if near(p, (0x1f, 0x77, 0xb4)) or near(p, (0xd6, 0x27, 0x28)))


a = decode(sys.argv[1])
out = ["chart_pixels=%d" % chart(a)]
if len(sys.argv) > 2:
    b = decode(sys.argv[2])
    out.append("differ=%d" % (sum(1 for p, q in zip(a, b) if p != q) if len(a) == len(b) else len(a)))
print(" ".join(out))
