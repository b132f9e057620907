#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A DNS responder that misbehaves on purpose, for tests/e2e/t_dnsbad.sh (stdlib only).

Usage: dnsbad.py PORT CONTROL LOG [ADDR]
Listens on ADDR:PORT (default 127.0.0.1), UDP and TCP. CONTROL is re-read on every query, so a test
switches behaviour at runtime by rewriting it (atomically: write a temp file, mv). One
line per name:
    NAME BEHAVIOUR [ADDRESS]
Names not listed get NXDOMAIN. Behaviours apply to the A query; AAAA gets an empty
NOERROR answer (NODATA) except for nxdomain. Every faulty reply carries only addresses
of EVIL (10.99.0.9) or 10.99.1.x, so an accepted fault shows up in the nft set:
    good ADDR   one A record, TTL 1
    trunc       ANCOUNT 1, the packet cut in the middle of the record's data
    tc          UDP: TC bit, no answer; TCP: the right id followed by garbage
    badid       a well-formed answer with a wrong transaction id
    big         UDP: 40 A records (>512 bytes, no EDNS, no TC); TCP: a message whose
                length prefix says 65535 bytes, cut off after ~40,000 and closed
    huge        not a fault: UDP: TC bit; TCP: a complete ~64 KB answer of 4000 A
                records 10.98.x.y (the agent must keep resolver.max-addresses of them)
    ptrloop     the answer's owner name is a compression pointer to itself
    ptrpast     the answer's owner name points past the end of the packet
    other       question echoed, the answer's owner is evil.test (poisoning attempt)
    otherq      the question and answer are for evil.test, not the name asked
    cname       question echoed, answer: other.test CNAME evil.test, evil.test A EVIL
                (a CNAME whose owner is not the name asked: a chain hijack)
    ancount     ANCOUNT 3 with one record present
    rdlen5      an A record with RDLENGTH 5
    nxdomain    NXDOMAIN (A and AAAA)
    timeout     no reply at all (A; AAAA still gets NODATA)
LOG gets one line per query: "PROTO NAME QTYPE BEHAVIOUR".
"""
import os
import random
import socket
import struct
import sys
import threading

T_A, T_AAAA, T_CNAME = 1, 28, 5
EVIL = bytes([10, 99, 0, 9])
LOCK = threading.Lock()


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_query(msg):
    """(id, flags, qname, qtype, question bytes) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1 or flags & 0x8000:
        return None
    pos, labels = 12, []
    while pos < len(msg) and msg[pos] != 0:
        n = msg[pos]
        if n & 0xC0 or pos + 1 + n > len(msg):
            return None
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace").lower())
        pos += 1 + n
    if pos + 5 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[pos + 1:pos + 3])[0]
    return qid, flags, ".".join(labels), qtype, msg[12:pos + 5]


def header(qid, qflags, rcode=0, an=0, tc=False, qd=1):
    flags = 0x8000 | 0x0400 | 0x0080 | (qflags & 0x0100) | rcode
    if tc:
        flags |= 0x0200
    return struct.pack("!HHHHHH", qid, flags, qd, an, 0, 0)


def rr(owner, rtype, rdata, ttl=1, rdlen=None):
    """A record; owner is wire bytes (a name or a pointer)."""
    n = len(rdata) if rdlen is None else rdlen
    return owner + struct.pack("!HHIH", rtype, 1, ttl, n) + rdata


PTR_Q = b"\xc0\x0c"  # the question's name


def control(path, name):
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) >= 2 and w[0].rstrip(".").lower() == name:
                    return w[1], (w[2] if len(w) > 2 else None)
    except OSError:
        pass
    return "missing", None


def answer(q, tcp, ctl):
    """The reply bytes for query q (None: no reply), and the behaviour's name."""
    qid, qflags, name, qtype, question = q
    beh, arg = control(ctl, name)
    if beh == "missing" or beh == "nxdomain":
        return header(qid, qflags, rcode=3) + question, beh
    if qtype != T_A:
        return header(qid, qflags) + question, beh  # NODATA
    if beh == "good":
        addr = socket.inet_aton(arg)
        return header(qid, qflags, an=1) + question + rr(PTR_Q, T_A, addr), beh
    if beh == "trunc":
        return (header(qid, qflags, an=1) + question + rr(PTR_Q, T_A, EVIL))[:-2], beh
    if beh == "tc":
        if not tcp:
            return header(qid, qflags, tc=True) + question, beh
        rnd = random.Random(qid)
        return struct.pack("!H", qid) + bytes(rnd.randrange(256) for _ in range(200)), beh
    if beh == "badid":
        return header(qid ^ 0x5A5A, qflags, an=1) + question + rr(PTR_Q, T_A, EVIL), beh
    if beh == "big":
        if not tcp:
            recs = b"".join(rr(PTR_Q, T_A, bytes([10, 99, 1, i])) for i in range(1, 41))
            return header(qid, qflags, an=40) + question + recs, beh
        recs = b"".join(rr(PTR_Q, T_A, bytes([10, 99, 1, i % 250 + 1])) for i in range(4000))
        msg = header(qid, qflags, an=4000) + question + recs
        return msg[:40000], "big-cut"  # the length prefix says 65535 (see serve_tcp)
    if beh == "huge":
        if not tcp:
            return header(qid, qflags, tc=True) + question, beh
        recs = b"".join(rr(PTR_Q, T_A, bytes([10, 98, i // 250, i % 250 + 1]))
                        for i in range(4000))
        return header(qid, qflags, an=4000) + question + recs, beh
    if beh == "ptrloop":
        off = 12 + len(question)  # the owner name is a pointer to its own offset
        owner = struct.pack("!H", 0xC000 | off)
        return header(qid, qflags, an=1) + question + rr(owner, T_A, EVIL), beh
    if beh == "ptrpast":
        owner = struct.pack("!H", 0xC000 | 0x3FF0)
        return header(qid, qflags, an=1) + question + rr(owner, T_A, EVIL), beh
    if beh == "other":
        return (header(qid, qflags, an=1) + question +
                rr(encode_name("evil.test"), T_A, EVIL)), beh
    if beh == "otherq":
        oq = encode_name("evil.test") + struct.pack("!HH", T_A, 1)
        return header(qid, qflags, an=1) + oq + rr(PTR_Q, T_A, EVIL), beh
    if beh == "cname":
        evil = encode_name("evil.test")
        return (header(qid, qflags, an=2) + question +
                rr(encode_name("other.test"), T_CNAME, evil) + rr(evil, T_A, EVIL)), beh
    if beh == "ancount":
        return header(qid, qflags, an=3) + question + rr(PTR_Q, T_A, EVIL), beh
    if beh == "rdlen5":
        return header(qid, qflags, an=1) + question + rr(PTR_Q, T_A, EVIL + b"\x01"), beh
    if beh == "timeout":
        return None, beh
    return header(qid, qflags, rcode=2) + question, "unknown:" + beh  # SERVFAIL


def log(path, proto, q, beh):
    with LOCK, open(path, "a") as f:
        f.write("%s %s %d %s\n" % (proto, q[2], q[3], beh))


def serve_udp(sock, ctl, logpath):
    while True:
        msg, peer = sock.recvfrom(4096)
        q = parse_query(msg)
        if not q:
            continue
        reply, beh = answer(q, False, ctl)
        log(logpath, "udp", q, beh)
        if reply is not None:
            sock.sendto(reply, peer)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve_conn(conn, ctl, logpath):
    with conn:
        while True:
            hdr = recv_exact(conn, 2)
            if not hdr:
                return
            msg = recv_exact(conn, struct.unpack("!H", hdr)[0])
            q = parse_query(msg) if msg else None
            if not q:
                return
            reply, beh = answer(q, True, ctl)
            log(logpath, "tcp", q, beh)
            if reply is None:
                continue
            if beh == "big-cut":
                conn.sendall(struct.pack("!H", 65535) + reply)
                return  # closed long before the 65535 bytes promised
            conn.sendall(struct.pack("!H", len(reply)) + reply)


def serve_tcp(sock, ctl, logpath):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_conn, args=(conn, ctl, logpath), daemon=True).start()


def main():
    port, ctl, logpath = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    addr = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(16)
    threading.Thread(target=serve_tcp, args=(t, ctl, logpath), daemon=True).start()
    open(logpath, "a").close()
    sys.stdout.write("ready %d\n" % os.getpid())
    sys.stdout.flush()
    serve_udp(u, ctl, logpath)


if __name__ == "__main__":
    main()
