#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A CDN-like authoritative DNS server for the harvest tests (stdlib only).

Usage: cdnauth.py ADDR PORT SEED TTL_MIN TTL_MAX LOG
Serves, over UDP on ADDR:PORT:
    edge.cdn.test   A: two addresses that move at every TTL: epoch k lasts a TTL drawn
                    from [TTL_MIN, TTL_MAX] (random.Random(SEED)), and its addresses are
                    new ones out of 10.99.128.0/17 (never used before in the run)
    www.cdn.test    CNAME edge.cdn.test (TTL 60), with edge's A records after it
    NAME.wild.test  A: the same epoch addresses (for a wildcard allow entry)
    NAME.fresh.test A: one address never answered before (10.100.0.0/16), TTL 60: every
                    answer changes a set (the latency benchmark's worst case)
Other names: NXDOMAIN; AAAA and other types: NODATA. An answer's TTL is what is left of
its epoch, so a cache in front never serves an address past its move: every program that
asks after a move gets the new addresses at once, before any poller can have seen them.
LOG gets one line per epoch change: "EPOCH k START_MS TTL ADDR ADDR".
"""
import random
import socket
import struct
import sys
import time

from dnsbad import T_A, T_CNAME, encode_name, parse_query, rr  # one wire format


class Epochs:
    def __init__(self, seed, lo, hi, logpath):
        self.rnd = random.Random(seed)
        self.lo, self.hi = lo, hi
        self.k = -1
        self.end = 0.0
        self.log = logpath
        self.next_addr = 0
        self.fresh = 0

    def addr(self):
        i = self.next_addr
        self.next_addr += 1
        return socket.inet_aton("10.99.%d.%d" % (128 + i // 250, 1 + i % 250))

    def current(self):
        now = time.monotonic()
        if now >= self.end:
            self.k += 1
            self.ttl = self.rnd.randint(self.lo, self.hi)
            self.end = now + self.ttl
            self.addrs = [self.addr(), self.addr()]
            with open(self.log, "a") as f:
                f.write("EPOCH %d %d %d %s\n" % (self.k, int(time.time() * 1000), self.ttl,
                        " ".join(socket.inet_ntoa(a) for a in self.addrs)))
        # The TTL left in this epoch: a cache never keeps an address past its move.
        return self.addrs, max(1, int(self.end - now + 0.999))


def answer(q, ep):
    qid, qflags, name, qtype, question = q
    flags = 0x8000 | 0x0400 | (qflags & 0x0100)
    ptr = b"\xc0\x0c"
    fresh = name.endswith(".fresh.test")
    if name not in ("edge.cdn.test", "www.cdn.test") and not name.endswith(".wild.test") \
            and not fresh:
        return struct.pack("!HHHHHH", qid, flags | 3, 1, 0, 0, 0) + question
    if qtype != T_A:
        return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + question
    if fresh:
        ep.fresh += 1
        a = socket.inet_aton("10.100.%d.%d" % (ep.fresh // 250 % 256, 1 + ep.fresh % 250))
        return struct.pack("!HHHHHH", qid, flags, 1, 1, 0, 0) + question + rr(ptr, T_A, a, 60)
    addrs, ttl = ep.current()
    recs, owner = [], ptr
    if name == "www.cdn.test":
        edge = encode_name("edge.cdn.test")
        recs.append(rr(ptr, T_CNAME, edge, 60))
        owner = edge
    recs += [rr(owner, T_A, a, ttl) for a in addrs]
    return struct.pack("!HHHHHH", qid, flags, 1, len(recs), 0, 0) + question + b"".join(recs)


def main():
    addr, port, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ep = Epochs(seed, int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        msg, peer = s.recvfrom(4096)
        q = parse_query(msg)
        if q:
            s.sendto(answer(q, ep), peer)


if __name__ == "__main__":
    main()
