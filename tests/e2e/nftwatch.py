#!/usr/bin/env python3
# What happened to table inet flowguard, event by event, from `nft monitor` (an independent
# reader): a capture replaces sampling with `nft list` every 0.1-0.2 s, which misses any gap
# shorter than its period.
#
#   nftwatch.py record OUT
#       Runs `nft monitor` (in the caller's netns) and appends each line to OUT as
#       "<epoch ms> <line>". Writes "<ms> # ready" once the monitor is known to be
#       subscribed: it creates and deletes a probe table until its own event comes back.
#       SIGTERM ends it (and nft with it).
#   nftwatch.py states CAP SET FROM TO
#       The contents of set SET over [FROM, TO] (epoch ms), one line per stretch with the
#       same contents: "<start> <end> ADDR...". Batches are atomic (nothing in between is
#       visible to others); kernel timeouts expire elements without an event, so each
#       element lives until its "expires" from the event that added it.
#   nftwatch.py --self-test
#       Proves the replay on made-up captures: it must see each kind of gap.
#   nftwatch.py states-of CAP FROM TO SET...
#       The same for several sets at once, each line led by the set's name.
#   nftwatch.py reaction CAP FROM
#       ms from the first commit of another process that touched the table after FROM to the
#       last commit of flowguard's in the capture (how long a restore took; the caller makes
#       sure the agent has nothing else to commit meanwhile).
# Exit 2 when the capture says events were lost (the verdict would not be sound).
import os
import re
import select
import signal
import subprocess
import sys
import time

TABLE = ("inet", "flowguard")
GEN = re.compile(r"^# new generation \d+ by process (\d+) \((.*)\)$")
OPTS = {"timeout", "expires", "comment", "counter", "packets", "bytes", "quota", "limit"}
UNITS = {"d": 86400000, "h": 3600000, "m": 60000, "s": 1000, "ms": 1}


def now_ms():
    return int(time.time() * 1000)


def record(out):
    probe = "fgwatch_%d" % os.getpid()

    def pdeath():
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: nft dies with us

    mon = subprocess.Popen(["nft", "monitor"], stdout=subprocess.PIPE, preexec_fn=pdeath)
    signal.signal(signal.SIGTERM, lambda *_: (mon.kill(), sys.exit(0)))
    f = open(out, "a")
    ready = False
    poke = 0.0
    os.set_blocking(mon.stdout.fileno(), False)
    buf = b""
    while True:
        if not ready and time.monotonic() >= poke:
            subprocess.run(["nft", "add table ip %s; delete table ip %s" % (probe, probe)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            poke = time.monotonic() + 0.2
        select.select([mon.stdout], [], [], 0.2 if not ready else None)
        chunk = mon.stdout.read()
        if chunk == b"":
            return 1  # nft is gone
        if chunk:
            buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode(errors="replace")
            t = now_ms()
            f.write("%d %s\n" % (t, text))
            if not ready and text == "add table ip %s" % probe:
                ready = True
                f.write("%d # ready\n" % t)
            f.flush()


def duration_ms(s):
    total, pos = 0, 0
    for m in re.finditer(r"(\d+)(ms|d|h|m|s)", s):
        if m.start() != pos:
            return None
        total += int(m.group(1)) * UNITS[m.group(2)]
        pos = m.end()
    return total if pos == len(s) and s else None


def split_elements(body):
    """'a timeout 1s comment "x, y", b' -> [['a', 'timeout', '1s', ...], ['b']]"""
    elems, cur, tok, quoted = [], [], "", False
    for c in body:
        if c == '"':
            quoted = not quoted
            tok += c
        elif quoted:
            tok += c
        elif c == ",":
            if tok:
                cur.append(tok)
            elems.append(cur)
            cur, tok = [], ""
        elif c.isspace():
            if tok:
                cur.append(tok)
            tok = ""
        else:
            tok += c
    if tok:
        cur.append(tok)
    if cur:
        elems.append(cur)
    return elems


def element(tokens, t):
    """(key, absolute expiry ms or None) of one element printed by nft monitor."""
    key, i = [], 0
    while i < len(tokens) and tokens[i] not in OPTS:
        key.append(tokens[i])
        i += 1
    opts = dict(zip(tokens[i::2], tokens[i + 1::2]))
    left = duration_ms(opts.get("expires", "")) or duration_ms(opts.get("timeout", ""))
    return " ".join(key), (t + left if left else None)


def batches(cap):
    """[(t, pid, comm, [(t, line)])] for every commit; lost events raise SystemExit(2)."""
    out, events = [], []
    with open(cap) as f:
        for raw in f:
            t, _, line = raw.rstrip("\n").partition(" ")
            if "lost" in line.lower() and line.startswith("#"):
                sys.stderr.write("nftwatch: the capture lost events: %s\n" % line)
                sys.exit(2)
            m = GEN.match(line)
            if m:
                out.append((int(t), int(m.group(1)), m.group(2), events))
                events = []
            elif line and not line.startswith("#"):
                events.append((int(t), line))
    return out


def complete(commits):
    """nft 1.0.6's monitor prints nothing for a commit it cannot decode (after the table it
    knew was deleted and made again, it no longer knows the sets): then the capture does
    not tell what the table held."""
    for t, pid, comm, events in commits:
        if not events:
            sys.stderr.write("nftwatch: nft monitor printed nothing for the commit of %d (%s) "
                             "at %d: the capture is incomplete\n" % (pid, comm, t))
            sys.exit(2)
    return commits


def ours(line):
    w = line.split()
    return len(w) >= 4 and (w[2], w[3]) == TABLE


def apply(elems, line, set_name, t):
    w = line.split()
    if w[0] == "delete" and w[1] == "table":
        elems.clear()
    elif len(w) >= 5 and w[4] == set_name and w[1] == "set" and w[0] == "delete":
        elems.clear()
    elif len(w) >= 5 and w[4] == set_name and w[1] == "element":
        body = line[line.index("{") + 1:line.rindex("}")]
        for toks in split_elements(body):
            key, exp = element(toks, t)
            if w[0] == "add":
                elems[key] = exp
            elif w[0] == "delete":
                elems.pop(key, None)


def states(cap, set_name, lo, hi, commits=None):
    """[(start, end, sorted keys)] covering [lo, hi]."""
    elems, segs = {}, []

    def live(x):
        return tuple(sorted(k for k, e in elems.items() if e is None or e > x))

    def span(a, b):  # the stretch [a, b) with no commit: only expiries change it
        cuts = sorted({e for e in elems.values() if e is not None and a < e < b})
        for s, e in zip([a] + cuts, cuts + [b]):
            s, e = max(s, lo), min(e, hi)
            if s < e:
                segs.append([s, e, live(s)])

    prev = None
    for t, _, _, events in commits if commits is not None else complete(batches(cap)):
        if prev is not None:
            span(prev, t)
        for et, line in events:
            if ours(line):
                apply(elems, line, set_name, et)
        prev = t
    if prev is not None:
        span(prev, max(prev, hi))
    merged = []
    for s in segs:
        if merged and merged[-1][2] == s[2] and merged[-1][1] == s[0]:
            merged[-1][1] = s[1]
        else:
            merged.append(s)
    return merged


def reaction(cap, lo):
    first = last = None
    for t, _, comm, events in batches(cap):
        # A commit printed without its events (see complete()) may be to our table.
        touched = not events or any(ours(line) for _, line in events)
        if not touched or t < lo:
            continue
        if comm != "flowguard" and first is None:
            first = t
        elif comm == "flowguard" and first is not None:
            last = t
    if first is None or last is None:
        return None
    return last - first


SELF_TEST = [
    # (capture, states of set "s" over [1000, 9000] it must yield)
    ("""1000 add element inet flowguard s { 10.0.0.1 timeout 32s expires 32s comment "a, b" }
1000 # new generation 2 by process 7 (flowguard)
2000 add element inet flowguard s { 10.0.0.2 timeout 1s expires 1s, 10.0.0.1 timeout 32s expires 31s }
2000 # new generation 3 by process 7 (flowguard)
""", [(1000, 2000, ("10.0.0.1",)), (2000, 3000, ("10.0.0.1", "10.0.0.2")),
      (3000, 9000, ("10.0.0.1",))]),
    # a delete and an add in one commit: never empty; in two commits: empty in between
    ("""1000 add element inet flowguard s { 10.0.0.1 timeout 1m expires 59s990ms }
1000 # new generation 2 by process 7 (flowguard)
3000 delete element inet flowguard s { 10.0.0.1 timeout 1m expires 57s }
3000 add element inet flowguard s { 10.0.0.2 timeout 1m expires 1m }
3000 # new generation 3 by process 7 (flowguard)
5000 delete element inet flowguard s { 10.0.0.2 timeout 1m expires 58s }
5000 # new generation 4 by process 7 (flowguard)
5500 add element inet flowguard s { 10.0.0.2 timeout 1m expires 1m }
5500 # new generation 5 by process 7 (flowguard)
""", [(1000, 3000, ("10.0.0.1",)), (3000, 5000, ("10.0.0.2",)), (5000, 5500, ()),
      (5500, 9000, ("10.0.0.2",))]),
    # the kernel's timeout expires an element without any event; other tables do not count;
    # a deleted table empties its sets
    ("""1000 add element inet flowguard s { 10.0.0.1 timeout 2s expires 2s }
1000 add element inet other s { 10.0.0.9 }
1000 # new generation 2 by process 7 (flowguard)
6000 add element inet flowguard s { 10.0.0.1 timeout 2s expires 2s }
6000 # new generation 3 by process 7 (flowguard)
7000 delete table inet flowguard
7000 # new generation 4 by process 8 (nft)
""", [(1000, 3000, ("10.0.0.1",)), (3000, 6000, ()), (6000, 7000, ("10.0.0.1",)),
      (7000, 9000, ())]),
]


def self_test():
    import tempfile
    for i, (cap, want) in enumerate(SELF_TEST):
        with tempfile.NamedTemporaryFile("w", suffix=".cap") as f:
            f.write(cap)
            f.flush()
            got = [(a, b, k) for a, b, k in states(f.name, "s", 1000, 9000)]
        if got != want:
            print("self-test %d: got %s, want %s" % (i, got, want))
            return 1
    print("%d made-up captures replayed as expected" % len(SELF_TEST))
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) == 3 and argv[1] == "record":
        return record(argv[2])
    if len(argv) == 6 and argv[1] == "states":
        for s, e, keys in states(argv[2], argv[3], int(argv[4]), int(argv[5])):
            print(s, e, *keys)
        return 0
    if len(argv) >= 6 and argv[1] == "states-of":
        commits = complete(batches(argv[2]))
        for name in argv[5:]:
            for s, e, keys in states(argv[2], name, int(argv[3]), int(argv[4]), commits):
                print(name, s, e, *keys)
        return 0
    if len(argv) == 4 and argv[1] == "reaction":
        r = reaction(argv[2], int(argv[3]))
        print("" if r is None else r)
        return 0 if r is not None else 1
    sys.stderr.write("usage: nftwatch.py record OUT | states CAP SET FROM TO |\n"
                     "       states-of CAP FROM TO SET... | reaction CAP FROM | --self-test\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
