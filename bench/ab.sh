#!/bin/bash
# Two commands in alternation under perf stat, for comparing a binary with another (or with
# nft) by hand:
#   ip netns add x; ip netns exec x bench/ab.sh N "command A" "command B"; ip netns del x
# Each run starts on a deleted table inet flowguard. Prints the medians of user, sys and
# user + sys (ms) and of page faults per command, and A/B of the medians. Each command runs
# through "sh -c exec", whose start both sides pay; bench/rot.py spawns them directly.
# Runs only inside a named namespace: it deletes a table.
set -u
if [ $# -ne 3 ]; then
	echo "usage: bench/ab.sh N 'command A' 'command B'" >&2
	exit 2
fi
if [ -z "$(ip netns identify $$)" ]; then
	echo "ab.sh: run it in a namespace of its own (ip netns exec), not the host's" >&2
	exit 1
fi
n=$1 A=$2 B=$3
ABD=$(mktemp -d /tmp/ab.XXXXXX)
export ABD
trap 'rm -rf "$ABD"' EXIT
for i in $(seq "$n"); do
	for s in A B; do
		nft delete table inet flowguard 2>/dev/null
		if [ $s = A ]; then c=$A; else c=$B; fi
		perf stat -x, -e user_time,system_time,page-faults -o "$ABD/$s.$i" \
			sh -c "exec $c" >/dev/null 2>&1
	done
done
nft delete table inet flowguard 2>/dev/null
python3 - <<'PY'
import glob, os, statistics as st
D = os.environ["ABD"]
med = {}
for s in "AB":
    u, y, f = [], [], []
    for fn in glob.glob(f"{D}/{s}.*"):
        d = {}
        for line in open(fn):
            p = line.split(",")
            if len(p) > 3:  # perf says "<not counted>" for a time of 0
                d[p[2]] = 0.0 if p[0] == "<not counted>" else float(p[0])
        if len(d) == 3:
            u.append(d["user_time"] / 1e6)
            y.append(d["system_time"] / 1e6)
            f.append(d["page-faults"])
    t = [a + b for a, b in zip(u, y)]
    q = st.quantiles(t, n=4)
    med[s] = st.median(t)
    print(f"{s} user {st.median(u):.2f} sys {st.median(y):.2f} total {med[s]:.2f} "
          f"(IQR {q[0]:.2f}-{q[2]:.2f}) faults {st.median(f):.0f} runs {len(t)}")
print(f"A/B of the medians {med['A'] / med['B']:.3f}")
PY
