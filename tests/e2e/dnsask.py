#!/usr/bin/env python3
"""dnsask.py RESOLVER NAME N: N A queries for NAME to RESOLVER:53, one at a time, each on a
socket of its own (a new flow: its answer is a new one to harvest or hold). "RND" in NAME
becomes 8 random hex digits per query. Prints "answered p50 p99 max": how many were
answered within 2 s, and the round trips in milliseconds (a query left unanswered counts
as 2000)."""
import random, socket, struct, sys, time


def ask(res, qname):
    q = b"".join(bytes([len(l)]) + l.encode() for l in qname.split(".")) + b"\0"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    qid = random.randrange(65536)
    t0 = time.monotonic()
    s.sendto(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + b"\0\1\0\1", (res, 53))
    try:
        while struct.unpack("!H", s.recv(4096)[:2])[0] != qid:
            pass
        return (time.monotonic() - t0) * 1000
    except socket.timeout:
        return None
    finally:
        s.close()


def main():
    res, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rtt = [ask(res, name.replace("RND", "%08x" % random.randrange(1 << 32))) for _ in range(n)]
    got = sum(r is not None for r in rtt)
    rtt = sorted(2000.0 if r is None else r for r in rtt)
    print("%d %.2f %.2f %.2f" % (got, rtt[len(rtt) // 2], rtt[int(len(rtt) * 0.99)], rtt[-1]))


if __name__ == "__main__":
    main()
