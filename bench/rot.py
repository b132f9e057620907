#!/usr/bin/env python3
"""Rotating rounds of whole processes, for comparing binaries and nft side by side.

    ip netns add x; ip netns exec x bench/rot.py N 'name=command' ...; ip netns del x

Each round runs every command once, in an order that rotates from round to round, each on
a deleted `table inet flowguard` after a 50 ms settle (the kernel frees a deleted table in
a work queue). A command is spawned with posix_spawn (no copy of this interpreter to tear
down in the child) and its CPU time is user + sys from wait4. Prints each command's median
and interquartile range, and its ratio to the first command: of the medians, and the median
of per-round ratios. Runs only inside a named namespace (`ip netns exec`): it deletes a table.
To compare as `make bench`'s target rows do, with the kernel's hook keys on, first hold the
plan's hooks in another namespace: `ip netns add k; ip netns exec k nft -f PLAN` (then
`ip netns del k`).
"""
import os
import shlex
import statistics as st
import subprocess
import sys
import time


def delete_table():
    subprocess.run(["nft", "delete", "table", "inet", "flowguard"], stderr=subprocess.DEVNULL)
    time.sleep(0.05)


def cpu_ms(argv):
    devnull = [(os.POSIX_SPAWN_OPEN, fd, "/dev/null", os.O_WRONLY, 0) for fd in (1, 2)]
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=devnull)
    _, status, ru = os.wait4(pid, 0)
    if status:
        sys.exit(f"rot.py: {' '.join(argv)} failed (status {status})")
    return (ru.ru_utime + ru.ru_stime) * 1000


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    ns = subprocess.run(["ip", "netns", "identify", str(os.getpid())], capture_output=True,
                        text=True).stdout.strip()
    if not ns:
        sys.exit("rot.py: run it in a namespace of its own (ip netns exec), not the host's")
    rounds = int(sys.argv[1])
    cmds = [a.split("=", 1) for a in sys.argv[2:]]
    res = {name: [] for name, _ in cmds}
    for r in range(rounds):
        for name, cmd in cmds[r % len(cmds):] + cmds[:r % len(cmds)]:
            delete_table()
            res[name].append(cpu_ms(shlex.split(cmd)))
    delete_table()
    base = cmds[0][0]
    for name, _ in cmds:
        v = res[name]
        q = st.quantiles(v, n=4)
        line = f"{name:10s} median {st.median(v):7.2f} ms (IQR {q[0]:.2f}-{q[2]:.2f})"
        if name != base:
            per = [a / b for a, b in zip(v, res[base])]
            pq = st.quantiles(per, n=4)
            line += (f"  /{base}: {st.median(v) / st.median(res[base]):.3f} (per-round "
                     f"{st.median(per):.3f}, IQR {pq[0]:.3f}-{pq[2]:.3f})")
        print(line)


main()
