#!/usr/bin/python3
"""make bench: turns bench/run.sh's RESULT lines into bench/results.md (markdown on stdout).

Usage: report.py RESULTS ELAPSED_S IDLE_S CHANGES
"""
import os
import platform
import subprocess
import sys


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        nft = subprocess.run(["nft", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nft = "?"
    try:
        iperf = subprocess.run(["iperf3", "--version"], capture_output=True,
                               text=True).stdout.split("\n")[0].strip()
    except OSError:
        iperf = "not installed"
    return (f"{os.cpu_count()} CPUs (`nproc`), kernel {platform.release()}, {cpu}, {nft}, "
            f"{iperf}")


def main():
    path, elapsed, idle, changes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    res = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 2 and p[0] == "RESULT":
                res[p[1]] = p[2:]
    rows = []

    def kv(fields):
        return dict(x.split("=", 1) for x in fields if "=" in x)

    def ratio_row(name, ours, base, target, note=""):
        r = ours / base if base else float("inf")
        ok = "—" if target is None else ("**pass**" if r <= target else "**miss**")
        tgt = "—" if target is None else f"≤ {target}x"
        rows.append(f"| {name} | {ours:.2f} ms | {base:.2f} ms | {r:.3f}x | {tgt} | {ok} | {note} |")

    if "s1" in res and "s1_noprobe" in res:
        a, b = res["s1"], res["s1_noprobe"]
        ka, kb = kv(a[5:]), kv(b[5:])
        base = float(a[1])
        size = f"{ka['sets']} sets, {ka['elems']} elements, {ka['rules']} rules; {a[4]} runs"
        ratio_row("1a full apply: netlink layer (open + commit; the daemon's path) vs `nft -f` process",
                  float(kb["net_ms"]), base, 0.3, size)
        ratio_row("1b full apply: process, no probe (exec + catalog + compile + commit) vs `nft -f`",
                  float(b[0]), base, 0.3, "probe done once, as the daemon does")
        ratio_row("1c full apply: process as `flowguard apply` (exec + compile + probe + commit) vs `nft -f`",
                  float(a[0]), base, 0.3, f"netlink part {float(ka['net_ms']):.2f} ms incl. probe")
    if "s2" in res and "s2_noprobe" in res:
        a, b = res["s2"], res["s2_noprobe"]
        ka, kb = kv(a[5:]), kv(b[5:])
        base = float(a[1])
        ratio_row("2a large set (100k IPv4 + 10k IPv6): netlink layer vs `nft -f`",
                  float(kb["net_ms"]), base, None, f"{a[4]} runs; no target in the issue")
        ratio_row("2b large set: process, no probe vs `nft -f`", float(b[0]), base, None, "")
        ratio_row("2c large set: process with probe vs `nft -f`", float(a[0]), base, None, "")
    if "s3" in res:
        a = res["s3"]
        k = kv(a[5:])
        ratio_row("3 one address changes in a 10,000-element set: element diff (daemon) vs "
                  "`nft -f` flush set + re-add all", float(a[0]), float(a[1]), 0.02,
                  f"{a[4]} runs; diff computation alone {float(k['diff_compute_ms']):.3f} ms")
    if "s4" in res:
        a = res["s4"]
        k = kv(a[5:])
        med = float(a[0])
        ok = "**pass**" if med <= 1050 else "**miss**"
        rows.append(f"| 4 DNS change to kernel (TTL 1 s, real daemon, {a[4]} changes): median / p90 / "
                    f"max | {med:.0f} / {float(k['p90_ms']):.0f} / {float(k['max_ms']):.0f} ms | — | — | "
                    f"median ≤ 1050 ms | {ok} | from the start of the `local_data` call to the "
                    f"element in a 5 ms netlink poll; min {float(a[2]):.0f} ms |")
    if "s5" in res:
        a = res["s5"]
        k = kv(a[5:])
        rss, hwm = int(a[0]), int(a[1])
        ok = "**pass**" if rss <= 8192 else "**miss**"
        rows.append(f"| 5a idle daemon, 200 names / 10,000 addresses: VmRSS (VmHWM) | {rss / 1024:.1f} MiB "
                    f"({hwm / 1024:.1f} MiB) | — | — | RSS ≤ 8 MiB | {ok} | after the sets were full; RssAnon "
                    f"{int(k.get('rss_anon', 0)) / 1024:.1f} MiB (the agent's heap and stacks), RssFile "
                    f"{int(k.get('rss_file', 0)) / 1024:.1f} MiB (binary and shared libraries) |")
        polls = int(k.get("polls", "0"))
        vol = int(a[2])
        if k.get("strace") == "yes":
            # the poll() in flight when strace attaches is restarted once: not a wake-up
            wake = max(polls - 1, 0)
            how = (f"strace -c: {polls} poll() calls, {k['syscalls']} syscalls in all"
                   + (" (empty summary: no syscall completed)" if k['syscalls'] == "0" else ""))
        else:
            wake = vol
            how = "voluntary context switches (no strace)"
        ok = "**pass**" if wake == 0 else "**miss**"
        rows.append(f"| 5b idle: wake-ups in {a[4]} s (no deadline due) | {wake * 60 / int(a[4]):.1f}/min | — | — | "
                    f"0 between deadlines | {ok} | {how}; {vol} voluntary / {a[3]} involuntary "
                    f"context switches (ptrace attach/detach included); CPU {k['cpu_ms']} ms |")
    if "s6" in res:
        a = res["s6"]
        k = kv(a[4:])
        s, n, lin = float(a[0]), float(a[1]), float(a[2])
        def gb(key):
            v = sorted(float(x) / 1e9 for x in k.get(key, "").split(",") if x)
            return f"{v[0]:.2f}–{v[-1]:.2f}" if v else "?"

        nv = sorted(float(x) for x in k.get("all_none", "").split(",") if x)
        spread = nv[-1] / nv[0] if nv and nv[0] > 0 else float("inf")
        if s / n >= 0.95:
            verdict = "**pass**"
        elif spread > 1.25:
            # the no-table runs alone vary more than the effect looked for
            verdict = f"**inconclusive** (no-table runs vary {spread:.2f}x)"
        else:
            verdict = "**miss**"
        rows.append(f"| 6 iperf3 over veth (median of {a[3]}): no table / flowguard set / 200 linear rules "
                    f"| {n / 1e9:.2f} / {s / 1e9:.2f} / {lin / 1e9:.2f} Gbit/s | — | set {s / n:.3f}x, linear "
                    f"{lin / n:.3f}x of no table | set ≥ 0.95x of no table | "
                    f"{verdict} | set rule matched "
                    f"{k.get('set_matched', '?')} packets; drop policy enforced: "
                    f"{k.get('drop_enforced', '?')}; ranges: none {gb('all_none')}, set {gb('all_set')}, "
                    f"linear {gb('all_linear')} Gbit/s |")
    print("# flowguard benchmark results\n")
    print(f"Machine: {machine()}  ")
    print(f"`make bench` wall time: {elapsed} s (idle window {idle} s, {changes} DNS changes).\n")
    print("| scenario | flowguard | baseline | ratio | target | result | notes |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)
    print("\nTimes are medians of alternating runs in the same `make bench`; ratios are "
          "flowguard / baseline. See BENCHMARKS.md for the method.")


main()
