#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reads the agent's status file for the end-to-end tests (an independent JSON parser).

  flows.py STATUS FIELD [KEY=VALUE...]

Prints FIELD of every element of blocked.flows that matches every KEY=VALUE, one a line,
in file order. Values compare as the JSON text would print (true/false, numbers as
digits, null as nothing). FIELD 'count' prints how many match; 'sum:F' the sum of numeric field F;
'blocked:F' prints field F of the "blocked" object itself (filters ignored).
Exit 1 if the file is missing, is not JSON, or has no blocked.flows list.
"""
import json
import sys


def text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1]) as f:
            blocked = json.load(f)["blocked"]
        flows = blocked["flows"]
        assert isinstance(flows, list)
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as e:
        print("flows.py: %s: %r" % (argv[1], e), file=sys.stderr)
        return 1
    field = argv[2]
    if field.startswith("blocked:"):
        print(text(blocked.get(field[8:], "")))
        return 0
    want = dict(a.split("=", 1) for a in argv[3:])
    hits = [x for x in flows if all(text(x.get(k)) == v for k, v in want.items())]
    if field == "count":
        print(len(hits))
    elif field.startswith("sum:"):
        print(sum(int(x.get(field[4:], 0)) for x in hits))
    else:
        for x in hits:
            print(text(x.get(field, "")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
