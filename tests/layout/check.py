#!/usr/bin/env python3
"""The layout rules of ARCHITECTURE.md, checked on every #include "..." of our C code:
- code outside a folder of agent/ includes only that folder's door header
  (agent/X/X.h; every header of agent/util/ is public);
- netlink/ includes nothing of ours, policies/ only netlink/'s plain-data headers;
- the folders' include graph has no cycle, and neither has the files' graph.
Prints one line per violation and a "layout: N passed, N failed" line; exit 1 on any."""
import os, re, sys

ROOTS = ["agent", "netlink", "policies"]
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
POLICIES_MAY = {"netlink/ruleset.h"}


def folder(path):
    parts = path.split("/")
    return "/".join(parts[:2]) if parts[0] == "agent" else parts[0]


def door(fold):
    return fold + "/" + fold.split("/")[-1] + ".h"


def sources():
    for root in ROOTS:
        for d, _, files in os.walk(root):
            for f in files:
                if f.endswith((".c", ".h")):
                    yield os.path.join(d, f)


def main():
    graph, fgraph, bad = {}, {}, []
    for src in sorted(sources()):
        text = open(src, encoding="utf-8", errors="replace").read()
        mine = folder(src)
        for inc in INC.findall(text):
            near = os.path.join(os.path.dirname(src), inc)
            if os.path.exists(near):
                inc = os.path.normpath(near)
            if not os.path.exists(inc):
                bad.append(f"{src}: includes {inc}, which does not exist")
                continue
            theirs = folder(inc)
            fgraph.setdefault(src, set()).add(inc)
            if theirs == mine:
                continue
            graph.setdefault(mine, set()).add(theirs)
            if mine == "netlink":
                bad.append(f"{src}: netlink/ includes {inc}: it depends on nothing of ours")
            elif mine == "policies" and inc not in POLICIES_MAY:
                bad.append(f"{src}: policies/ includes {inc}: only {sorted(POLICIES_MAY)}")
            elif theirs.startswith("agent/") and theirs != "agent/util" and inc != door(theirs):
                bad.append(f"{src}: includes {inc}, an internal header of {theirs}/ "
                           f"(its door is {door(theirs)})")
    for g, what in ((graph, "folders"), (fgraph, "files")):
        cyc = find_cycle(g)
        if cyc:
            bad.append(f"include cycle between {what}: {' -> '.join(cyc)}")
    for b in bad:
        print("layout: " + b)
    print(f"layout: {0 if bad else 1} passed, {1 if bad else 0} failed")
    return 1 if bad else 0


def find_cycle(g):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if not state.get(n):
            c = visit(n)
            if c:
                return c
    return None


if __name__ == "__main__":
    sys.exit(main())
