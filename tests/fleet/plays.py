#!/usr/bin/python3
"""Reads ansible-playbook's JSON (callback ansible.posix.json) for tests/fleet/run.sh.

  plays.py FILE stats                  one line per host: HOST changed=N failures=N unreachable=N
  plays.py FILE changed                the hosts with changed > 0, space-separated
  plays.py FILE task NAME HOST KEY     KEY of that host's result of the last task NAME
  plays.py FILE failed                 HOST: task: message, for each failed result
  plays.py FILE profile N              the N slowest tasks: seconds, then the task's name
"""
import json
import sys
from datetime import datetime


def results(doc):
    for play in doc["plays"]:
        for task in play["tasks"]:
            for host, res in task["hosts"].items():
                yield task["task"]["name"], host, res


def main():
    doc = json.load(open(sys.argv[1]))
    what = sys.argv[2]
    if what == "stats":
        for host, s in sorted(doc["stats"].items()):
            print("%s changed=%d failures=%d unreachable=%d" %
                  (host, s["changed"], s["failures"], s["unreachable"]))
    elif what == "changed":
        print(" ".join(h for h, s in sorted(doc["stats"].items()) if s["changed"] > 0))
    elif what == "task":
        name, host, key = sys.argv[3:6]
        val = ""
        for t, h, res in results(doc):
            if (t == name or t.endswith(" : " + name)) and h == host:
                val = res.get(key, "")
        print(val)
    elif what == "failed":
        for t, h, res in results(doc):
            if res.get("failed") or res.get("unreachable"):
                print("%s: %s: %s" % (h, t, str(res.get("msg", ""))[:300]))
    elif what == "profile":
        rows = []
        for play in doc["plays"]:
            for task in play["tasks"]:
                d = task["task"].get("duration", {})
                if "start" in d and "end" in d:
                    t = (datetime.fromisoformat(d["end"].rstrip("Z")) -
                         datetime.fromisoformat(d["start"].rstrip("Z"))).total_seconds()
                    rows.append((t, task["task"]["name"]))
        for t, name in sorted(rows, reverse=True)[:int(sys.argv[3])]:
            print("%6.1f s  %s" % (t, name))
    else:
        sys.exit("unknown: " + what)


if __name__ == "__main__":
    main()
