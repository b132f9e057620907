#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""An application that resolves and connects at once, for the harvest tests (stdlib only).

Usage: churnapp.py RESOLVER NAME[,NAME...] PORT SECONDS RATE OUT [STOP]
Every 1/RATE s, for SECONDS or until the file STOP exists: asks RESOLVER (UDP port 53, its own DNS client: no
/etc/resolv.conf involved) for the A records of the next NAME, and opens a TCP connection
to the first address at once (timeout 1.5 s: one SYN retry). OUT gets one line per
attempt, "T_MS NAME ADDR RESULT MS" with RESULT ok (connected before any SYN retry,
< 0.9 s), retry (connected after one, < 1.5 s), fail (not connected in 1.5 s) or nodns,
then a summary line "SUMMARY attempts=N ok=N retry=N fail=N nodns=N". "RND" in a NAME becomes
8 random hex digits at each attempt (a new name below a wildcard every time).
"""
import os
import random
import socket
import struct
import sys
import time


def query(resolver, name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            return pos + 2
        if n == 0:
            return pos + 1
        pos += 1 + n


def parse_a(msg, qid):
    qid2, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if qid2 != qid or not flags & 0x8000:
        return None
    pos = 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    out = []
    for _ in range(an):
        pos = skip_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(msg[pos:pos + 4]))
        pos += rdlen
    return out


def resolve(resolver, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    try:
        for _ in range(2):
            qid = random.randrange(65536)
            s.sendto(query(resolver, name, qid), (resolver, 53))
            try:
                while True:
                    msg, _ = s.recvfrom(4096)
                    addrs = parse_a(msg, qid)
                    if addrs is not None:
                        return addrs
            except socket.timeout:
                continue
        return []
    finally:
        s.close()


def attempt(resolver, name, port):
    addrs = resolve(resolver, name)
    if not addrs:
        return "-", "nodns", 0.0
    t0 = time.monotonic()
    try:
        socket.create_connection((addrs[0], port), timeout=1.5).close()
        ms = (time.monotonic() - t0) * 1000
        return addrs[0], "ok" if ms < 900 else "retry", ms
    except OSError:
        return addrs[0], "fail", (time.monotonic() - t0) * 1000


def main():
    resolver, names, port = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
    seconds, rate, out = float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    stop = sys.argv[7] if len(sys.argv) > 7 else None
    counts = {"ok": 0, "retry": 0, "fail": 0, "nodns": 0}
    end = time.monotonic() + seconds
    i = 0
    with open(out, "w") as f:
        while time.monotonic() < end and not (stop and os.path.exists(stop)):
            t_next = time.monotonic() + 1 / rate
            name = names[i % len(names)].replace("RND", "%08x" % random.randrange(1 << 32))
            addr, res, ms = attempt(resolver, name, port)
            counts[res] += 1
            f.write("%d %s %s %s %.1f\n" % (time.time() * 1000, name, addr, res, ms))
            f.flush()
            i += 1
            time.sleep(max(0.0, t_next - time.monotonic()))
        f.write("SUMMARY attempts=%d ok=%d retry=%d fail=%d nodns=%d\n" % (
            i, counts["ok"], counts["retry"], counts["fail"], counts["nodns"]))


if __name__ == "__main__":
    main()
