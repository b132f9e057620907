#!/usr/bin/python3
"""make bench, scenario 6: the same allowlist as linear rules.

Reads the packet-path table as nft text (fgbench s6 writes it) and prints it as table inet
linear, with every rule of the output-hook chain that looks up a set written out as one
rule per element of that set ("ip daddr @s tcp dport 443 counter accept" becomes
"ip daddr 198.18.2.1 tcp dport 443 counter accept", ...), in the set's order, at the
rule's place. Everything else (other chains, the sets they use) is kept as it is, so both
tables differ only in how the output chain matches addresses. The count of rules in that
chain, before and after, goes to stderr as "set_rules=N linear_rules=M".

Usage: linearize.py TABLE.nft > LINEAR.nft
"""
import re
import sys

SET_RULE = re.compile(r"^(\s*)(ip6?) (daddr|saddr) @(\w+) (.*?)(?: comment \".*\")?$")


def set_elements(text):
    """{set name: [element, ...]}, each element as written (address, prefix or range)."""
    sets = {}
    for m in re.finditer(r"\tset (\w+) \{(.*?)\n\t\}", text, re.S):
        e = re.search(r"elements = \{(.*?)\}", m.group(2), re.S)
        items = []
        if e:
            # an element is its first word; timeout, expires and comment follow it
            for part in re.split(r",\s*(?=[0-9a-fA-F:])", e.group(1).strip()):
                word = part.split()[0] if part.split() else ""
                if word:
                    items.append(word.rstrip(","))
        sets[m.group(1)] = items
    return sets


def main():
    text = open(sys.argv[1]).read()
    sets = set_elements(text)
    out, in_output, rules, before = [], False, 0, 0
    for line in text.split("\n"):
        if line.startswith("table inet "):
            line = "table inet linear {"
        if re.match(r"^\tchain \w+ \{", line):
            in_output = False
        if "hook output" in line:
            in_output = True
        m = SET_RULE.match(line) if in_output else None
        if m:
            indent, fam, dirn, name, rest = m.groups()
            before += 1
            for elem in sets[name]:
                out.append(f"{indent}{fam} {dirn} {elem} {rest}")
                rules += 1
            continue
        if in_output and line.startswith("\t\t") and not re.match(r"^\t\t(type|comment|policy) ", line):
            rules += 1
            before += 1
        out.append(line)
    sys.stdout.write("\n".join(out))
    print(f"set_rules={before} linear_rules={rules}", file=sys.stderr)


main()
