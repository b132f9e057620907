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


def quartiles(v):
    """(q1, median, q3) of v, linear interpolation (numpy's default)."""
    v = sorted(v)
    if not v:
        return (float("nan"),) * 3

    def q(p):
        x = p * (len(v) - 1)
        i = int(x)
        return v[i] if i + 1 >= len(v) else v[i] + (v[i + 1] - v[i]) * (x - i)
    return q(0.25), q(0.5), q(0.75)


def packet_path(a, k, runs):
    """Scenario 6: per table, median and IQR; per round, each table as a fraction of the
    no-table run of the same round (paired, so slow drifts of the VM cancel)."""
    rows = []
    tabs = ("none", "set", "linct", "walk", "linear")
    rounds = sorted({r for r, *_ in runs})
    by = {(r, t): (bps, pps) for r, t, bps, pps, _ in runs}
    for idx, unit, scale, what in ((0, "Gbit/s", 1e9, "TCP bulk throughput"),
                                   (1, "kpps", 1e3, "64-byte UDP datagrams sent per second")):
        qs = {t: quartiles([by[(r, t)][idx] / scale for r in rounds if (r, t) in by])
              for t in tabs}
        pair = {t: quartiles([by[(r, t)][idx] / by[(r, "none")][idx] for r in rounds
                              if (r, t) in by and by.get((r, "none"), (0, 0))[idx] > 0])
                for t in tabs[1:]}
        def vs(x, y):
            return quartiles([by[(r, x)][idx] / by[(r, y)][idx] for r in rounds
                              if (r, x) in by and by.get((r, y), (0, 0))[idx] > 0])
        lw, sl = vs("linear", "walk"), vs("set", "linct")
        noise = (qs["none"][2] - qs["none"][0]) / qs["none"][1] if qs["none"][1] else float("inf")
        def verdict(q, what):
            q1, med, q3 = q
            if med >= 0.95:
                return f"vs {what}: **pass**"
            if q3 >= 0.95 or noise > 0.10:
                return (f"vs {what}: **inconclusive** (IQR {q1:.2f}–{q3:.2f}; no-table IQR "
                        f"{noise * 100:.0f} % of its median)")
            return f"vs {what}: **miss**"
        verdict = verdict(pair["set"], "no table") + "; " + verdict(sl, "linear rules")
        cell = " / ".join(f"{qs[t][1]:.2f} ({qs[t][0]:.2f}–{qs[t][2]:.2f})" for t in tabs)
        ratio = "; ".join(f"{t} {pair[t][1]:.3f}x ({pair[t][0]:.2f}–{pair[t][2]:.2f})"
                          for t in tabs[1:]) + " of no table"
        n = "6a" if idx == 0 else "6b"
        note = (f"{len(rounds)} rounds of {a[1]} s runs. flowguard table / linear rules, "
                f"both with the ct shortcut: {sl[1]:.3f}x ({sl[0]:.2f}–{sl[2]:.2f}); without "
                f"it, linear / set: {lw[1]:.3f}x ({lw[0]:.2f}–{lw[2]:.2f}) "
                f"({k.get('set_rules', '?')} vs {k.get('linear_rules', '?')} rules in the "
                f"output chain)")
        if idx == 0:
            note += (f"; the iperf3 rules of the set table matched {k.get('set_matched', '?')} "
                     f"packets (tcp/udp); drop policy enforced: {k.get('drop_enforced', '?')}")
        rows.append(f"| {n} packet path, {what}: median (IQR) of no table / flowguard table / "
                    f"its allowlist as linear rules / the same two without the ct shortcut "
                    f"| {cell} {unit} | — | {ratio} | flowguard table ≥ 0.95x of no table, and of "
                    f"linear rules | "
                    f"{verdict} | {note} |")
    return rows


def main():
    path, elapsed, idle, changes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    res = {}
    s6runs = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 2 and p[0] == "RESULT":
                res[p[1]] = p[2:]
            elif len(p) == 6 and p[0] == "S6":
                s6runs.append((int(p[1]), p[2], float(p[3]), float(p[4]), float(p[5])))
    rows = []

    def kv(fields):
        return dict(x.split("=", 1) for x in fields if "=" in x)

    def ratio_row(name, ours, base, target, note=""):
        r = ours / base if base else float("inf")
        ok = "—" if target is None else ("**pass**" if r <= target else "**miss**")
        tgt = "—" if target is None else f"≤ {target}x"
        rows.append(f"| {name} | {ours:.2f} ms | {base:.2f} ms | {r:.3f}x | {tgt} | {ok} | {note} |")

    def noise(k, pfx=""):
        """The run's spread: IQR of each side and of the per-run paired ratios."""
        if pfx + "r_q1" not in k:
            return ""
        bq = "cpu_b" if pfx == "cpu_" else "b"
        return (f"per-run ratio IQR {float(k[pfx + 'r_q1']):.2f}–{float(k[pfx + 'r_q3']):.2f}x; "
                f"flowguard IQR {float(k[pfx + 'o_q1']):.2f}–{float(k[pfx + 'o_q3']):.2f} ms, "
                f"nft IQR {float(k[bq + '_q1']):.2f}–{float(k[bq + '_q3']):.2f} ms")

    def cpu_row(name, k, target):
        """The same runs in CPU time (user + sys of each process), if the driver gave it."""
        if "cpu_o" in k:
            ratio_row(name, float(k["cpu_o"]), float(k["cpu_b"]), target, noise(k, "cpu_"))

    def beside_row(name, what, a):
        """Another baseline or pass of the same driver, in CPU time, shown beside its row
        without a target of its own."""
        if a:
            cpu_row(f"{name} {what}", kv(a[5:]), None)

    def table_rows(name, of, a):
        """`nft -f` of the table alone, without the plan's first two lines (`table`, `delete
        table`): a baseline that can only create, stricter than the plan an admin would run."""
        beside_row(name, f"the same runs as {of}, CPU time, against `nft -f` of the table "
                   "alone (no replace lines)", a)

    def cold_row(name, of, a):
        """The driver's first pass, before the keeper: nothing else on the machine holds the
        plan's hooks, so each commit turns the kernel's hook static keys on (code patching
        with IPIs), a cost both sides pay."""
        beside_row(name, f"as {of}, CPU time, with the hook keys cold (no other table with "
                   "these hooks on the machine)", a)

    if "s1" in res and "s1_probe" in res:
        a, b = res["s1"], res["s1_probe"]
        ka, kb = kv(a[5:]), kv(b[5:])
        base = float(a[1])
        size = f"{ka['sets']} sets, {ka['elems']} elements, {ka['rules']} rules; {a[4]} runs"
        ratio_row("1a full apply: netlink layer (open + commit, as `flowguard apply` does it) vs "
                  "`nft -f` process", float(ka["net_ms"]), base, 0.3,
                  size + "; " + noise(ka, "net_"))
        ratio_row("1b full apply: process as `flowguard apply` (exec + catalog + compile + "
                  "commit, no probe) vs `nft -f`", float(a[0]), base, None,
                  "the fgbench child: the binary's code path in a larger program without its "
                  "heap setup; the goal is measured on the binary itself, rows 1d/1e; "
                  + noise(ka))
        ratio_row("1c full apply: process with the feature probe first (apply before this "
                  "change; the daemon's start) vs `nft -f`", float(b[0]), base, None,
                  f"netlink part {float(kb['net_ms']):.2f} ms incl. probe")
    if "s1_real" in res:
        a = res["s1_real"]
        k = kv(a[5:])
        ratio_row("1d full apply: the `flowguard apply` binary vs `nft -f` of the same plan "
                  "(as `flowguard plan` prints it), the hook keys held by a keeper",
                  float(a[0]), float(a[1]), 0.5,
                  f"{k['sets']} sets, {k['elems']} elements (DNS-fed sets empty, as apply "
                  f"leaves them), {k['rules']} rules; {a[4]} runs; " + noise(k))
        cpu_row("1e the same runs as 1d in CPU time (user + sys of each whole process)", k, 0.5)
        table_rows("1f", "1d", res.get("s1_real_table"))
        cold_row("1g", "1e", res.get("s1_real_cold"))
    if "s2" in res and "s2_probe" in res:
        a, b = res["s2"], res["s2_probe"]
        ka = kv(a[5:])
        base = float(a[1])
        ratio_row("2a large set (100k IPv4 + 10k IPv6): netlink layer vs `nft -f`",
                  float(ka["net_ms"]), base, None, f"{a[4]} runs; no target in the issue")
        ratio_row("2b large set: process (no probe) vs `nft -f`", float(a[0]), base, None, "")
        ratio_row("2c large set: process with the probe vs `nft -f`", float(b[0]), base, None, "")
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
    s7 = sorted((int(kv(v[5:])["addrs"]), v) for key, v in res.items() if key.startswith("s7_"))
    base7 = next((float(kv(v[5:])["cpu_ms"]) for n, v in s7 if n == 0), None)
    for n, v in s7:
        k = kv(v[5:])
        cpu = float(k["cpu_ms"])
        per = (f"; {(cpu - base7) * 1000 / n:.2f} ms of CPU per 1,000 addresses above the "
               f"relay without them" if base7 is not None and n else "")
        rows.append(f"| 7 `flowguard check`, relay with {n:,} static addresses: wall, CPU "
                    f"(user + sys), peak RSS | {float(v[0]):.1f} ms wall (IQR "
                    f"{float(k['o_q1']):.1f}–{float(k['o_q3']):.1f}); {cpu:.1f} ms CPU (IQR "
                    f"{float(k['cpu_q1']):.1f}–{float(k['cpu_q3']):.1f}); "
                    f"{int(k['maxrss_kb']) / 1024:.1f} MiB | — | — | linear in addresses | "
                    f"see the CPU per 1,000 | whole processes, {v[4]} runs{per} |")
    if "s8" in res:
        a = res["s8"]
        k = kv(a[5:])
        n8 = int(res["s8_addrs"][0]) if "s8_addrs" in res else 0
        ratio_row(f"8 apply of a relay with {n8:,} static addresses: the "
                  "`flowguard apply` binary vs `nft -f` of the same plan, the hook keys held "
                  "by a keeper",
                  float(a[0]), float(a[1]), 0.5,
                  f"{k['sets']} sets, {k['elems']} elements, {k['rules']} rules; {a[4]} runs; "
                  + noise(k))
        cpu_row("8b the same runs as 8 in CPU time (user + sys of each whole process)", k, 0.5)
        table_rows("8c", "8", res.get("s8_table"))
        cold_row("8d", "8b", res.get("s8_cold"))
    if "s6" in res:
        rows.extend(packet_path(res["s6"], kv(res["s6"][2:]), s6runs))
    print("# flowguard benchmark results\n")
    print(f"Machine: {machine()}  ")
    print(f"`make bench` wall time: {elapsed} s (idle window {idle} s, {changes} DNS changes).\n")
    print("| scenario | flowguard | baseline | ratio | target | result | notes |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)
    print("\nTimes are medians of alternating runs in the same `make bench`; ratios are "
          "flowguard / baseline. Scenario 6 ratios are medians of per-round ratios (each round "
          "runs the five tables back to back), with their interquartile range. See "
          "BENCHMARKS.md for the method.")


main()
