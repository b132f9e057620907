#!/usr/bin/env python3
"""A strict checker of the Prometheus text exposition format (version 0.0.4), written
from https://prometheus.io/docs/instrumenting/exposition_formats/ and independent of the
agent's writer. Stricter than Prometheus itself where flowguard promises more:

- metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (no "__"
  prefix: reserved), no duplicate label names in one sample;
- label values: only the escapes \\\\, \\" and \\n; HELP text: only \\\\ and \\n;
- every family has exactly one HELP and one TYPE line, both before its first sample, and
  all of a family's lines are together (no interleaving with another family);
- values: Go float syntax (incl. NaN, +Inf, -Inf); an optional int64 timestamp;
- no duplicate series (name + label set);
- counter family names end in _total, values >= 0; summary samples are NAME{quantile=..},
  NAME_sum and NAME_count (count >= 0, integral); histogram NAME_bucket{le=..} (with
  le="+Inf"), NAME_sum, NAME_count;
- the text ends with a newline; no carriage returns.

Usage: promcheck.py FILE...   (exit 0: valid; 1: every problem printed as FILE:LINE: msg)
       promcheck.py --self-test   (the checker's own positive and negative cases)
"""
import re
import sys

METRIC_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT_RE = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[Ii]nf|NaN)$")
TS_RE = re.compile(r"-?\d+$")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class Problems(Exception):
    pass


def parse_labels(s, i, lineno, errs):
    """Parses '{a="b",...}' starting at s[i] == '{'. Returns (labels, index after '}')."""
    labels = []
    i += 1
    while True:
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = LABEL_RE.match(s, i)
        if not m:
            raise Problems(f"{lineno}: bad label name at column {i + 1}")
        name = m.group(0)
        if name.startswith("__"):
            errs.append(f"{lineno}: label name '{name}' is reserved (starts with __)")
        i = m.end()
        if s[i:i + 2] != '="':
            raise Problems(f"{lineno}: expected '=\"' after label '{name}'")
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Problems(f"{lineno}: unterminated label value of '{name}'")
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise Problems(f"{lineno}: invalid escape '\\{nxt}' in label '{name}'")
                val.append({"n": "\n"}.get(nxt, nxt))
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise Problems(f"{lineno}: raw newline in label value")
            else:
                val.append(c)
                i += 1
        if name in (l[0] for l in labels):
            errs.append(f"{lineno}: duplicate label '{name}'")
        labels.append((name, "".join(val)))
        if i < len(s) and s[i] == ",":
            i += 1
        elif i < len(s) and s[i] == "}":
            continue
        else:
            raise Problems(f"{lineno}: expected ',' or '}}' after label '{name}'")


def parse_sample(line, lineno, errs):
    m = METRIC_RE.match(line)
    if not m:
        raise Problems(f"{lineno}: bad metric name")
    name = m.group(0)
    i = m.end()
    labels = []
    if i < len(line) and line[i] == "{":
        labels, i = parse_labels(line, i, lineno, errs)
    rest = line[i:]
    if not rest.startswith(" "):
        raise Problems(f"{lineno}: expected a space before the value of '{name}'")
    parts = rest.strip(" ").split(" ")
    if len(parts) not in (1, 2) or "" in parts:
        raise Problems(f"{lineno}: expected 'value [timestamp]' after '{name}'")
    if not FLOAT_RE.match(parts[0]):
        raise Problems(f"{lineno}: value '{parts[0]}' is not a float")
    if len(parts) == 2 and not TS_RE.match(parts[1]):
        raise Problems(f"{lineno}: timestamp '{parts[1]}' is not an integer")
    return name, labels, float(parts[0].replace("Inf", "inf").replace("NaN", "nan"))


def family_of(name, types):
    """The family a sample belongs to: itself, or NAME of NAME_sum/_count/_bucket."""
    if name in types:
        return name
    for suf in ("_sum", "_count", "_bucket"):
        base = name[: -len(suf)]
        if name.endswith(suf) and types.get(base) in ("summary", "histogram"):
            return base
    return name


def check_typed(fam, typ, name, labels, value, lineno, errs):
    lab = dict(labels)
    if typ == "counter":
        if not fam.endswith("_total"):
            errs.append(f"{lineno}: counter '{fam}' does not end in _total")
        if not value >= 0:
            errs.append(f"{lineno}: counter '{name}' is negative or NaN")
    elif typ == "summary":
        if name == fam and "quantile" not in lab:
            errs.append(f"{lineno}: summary sample '{name}' without a quantile label")
        if name == fam + "_count" and (value < 0 or value != int(value)):
            errs.append(f"{lineno}: summary count '{name}' is not a non-negative integer")
    elif typ == "histogram":
        if name == fam:
            errs.append(f"{lineno}: histogram sample '{name}' needs _bucket, _sum or _count")
        if name == fam + "_bucket" and "le" not in lab:
            errs.append(f"{lineno}: histogram bucket without le")


def check_text(text):
    """Returns (problems, families) for one exposition text."""
    errs = []
    if "\r" in text:
        errs.append("0: carriage return in the text")
    if text and not text.endswith("\n"):
        errs.append("0: the text does not end with a newline")
    types, helps, seen_fams, series = {}, {}, [], set()
    samples = {}
    current = None

    def enter(fam, lineno):
        nonlocal current
        if fam != current:
            if fam in seen_fams:
                errs.append(f"{lineno}: lines of family '{fam}' are not together")
            else:
                seen_fams.append(fam)
            current = fam

    for lineno, line in enumerate(text.split("\n")[:-1] if text.endswith("\n")
                                  else text.split("\n"), 1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            tok = line.split(" ", 3)
            if len(tok) >= 3 and tok[0] == "#" and tok[1] in ("HELP", "TYPE"):
                name = tok[2]
                if not METRIC_RE.fullmatch(name):
                    errs.append(f"{lineno}: bad metric name '{name}' in {tok[1]}")
                    continue
                arg = tok[3] if len(tok) > 3 else ""
                if name in samples:
                    errs.append(f"{lineno}: {tok[1]} of '{name}' after its samples")
                if tok[1] == "HELP":
                    if name in helps:
                        errs.append(f"{lineno}: second HELP for '{name}'")
                    if re.search(r"\\[^\\n]|\\$", arg):
                        errs.append(f"{lineno}: invalid escape in the HELP of '{name}'")
                    helps[name] = arg
                else:
                    if name in types:
                        errs.append(f"{lineno}: second TYPE for '{name}'")
                    if arg not in TYPES:
                        errs.append(f"{lineno}: unknown type '{arg}' for '{name}'")
                    types[name] = arg
                enter(name, lineno)
            continue
        try:
            name, labels, value = parse_sample(line, lineno, errs)
        except Problems as e:
            errs.append(str(e))
            continue
        fam = family_of(name, types)
        enter(fam, lineno)
        samples.setdefault(fam, []).append((name, labels, value))
        key = (name, tuple(sorted(labels)))
        if key in series:
            errs.append(f"{lineno}: duplicate series {name}{dict(labels)}")
        series.add(key)
        if fam not in types:
            errs.append(f"{lineno}: sample '{name}' before (or without) a TYPE line")
        if fam not in helps:
            errs.append(f"{lineno}: sample '{name}' before (or without) a HELP line")
        check_typed(fam, types.get(fam, "untyped"), name, labels, value, lineno, errs)
    for fam, typ in types.items():
        names = {s[0] for s in samples.get(fam, [])}
        if typ == "summary" and names and not {fam + "_sum", fam + "_count"} <= names:
            errs.append(f"0: summary '{fam}' lacks _sum or _count")
        if typ == "histogram" and names:
            les = {dict(s[1]).get("le") for s in samples[fam] if s[0] == fam + "_bucket"}
            if "+Inf" not in les:
                errs.append(f"0: histogram '{fam}' has no le=\"+Inf\" bucket")
    return errs, {f: samples.get(f, []) for f in seen_fams}


GOOD = [
    '# HELP a_total Things.\n# TYPE a_total counter\na_total{x="1"} 3\na_total{x="2"} 0\n',
    '# HELP g A gauge.\n# TYPE g gauge\ng{v="q\\"\\\\\\n"} -1.5e3\ng{v=""} NaN 1700000000000\n',
    '# HELP s_seconds Durations.\n# TYPE s_seconds summary\ns_seconds_sum{k="a"} 0.25\n'
    's_seconds_count{k="a"} 4\n',
    '# HELP h Hist.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\n'
    'h_sum 3\nh_count 2\n',
    "",
]

BAD = {
    "no TYPE": "# HELP a Things.\na 1\n",
    "no HELP": "# TYPE a gauge\na 1\n",
    "TYPE after sample": "# HELP a A.\na 1\n# TYPE a gauge\n",
    "two TYPE lines": "# HELP a A.\n# TYPE a gauge\n# TYPE a gauge\na 1\n",
    "duplicate series": "# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
    "duplicate series, labels reordered":
        '# HELP a A.\n# TYPE a gauge\na{x="1",y="2"} 1\na{y="2",x="1"} 2\n',
    "counter without _total": "# HELP a A.\n# TYPE a counter\na 1\n",
    "negative counter": "# HELP a_total A.\n# TYPE a_total counter\na_total -1\n",
    "bad escape": '# HELP a A.\n# TYPE a gauge\na{x="\\t"} 1\n',
    "unescaped quote": '# HELP a A.\n# TYPE a gauge\na{x="a"b"} 1\n',
    "bad metric name": "# HELP 1a A.\n# TYPE 1a gauge\n1a 1\n",
    "bad label name": '# HELP a A.\n# TYPE a gauge\na{1x="1"} 1\n',
    "reserved label name": '# HELP a A.\n# TYPE a gauge\na{__x="1"} 1\n',
    "duplicate label": '# HELP a A.\n# TYPE a gauge\na{x="1",x="2"} 1\n',
    "value not a float": "# HELP a A.\n# TYPE a gauge\na one\n",
    "no value": "# HELP a A.\n# TYPE a gauge\na\n",
    "bad timestamp": "# HELP a A.\n# TYPE a gauge\na 1 1.5\n",
    "unknown type": "# HELP a A.\n# TYPE a gauges\na 1\n",
    "interleaved families": "# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\n# HELP b B.\n"
                            "# TYPE b gauge\nb 1\na{x=\"2\"} 1\n",
    "summary without _count": "# HELP s S.\n# TYPE s summary\ns_sum 1\n",
    "summary count fractional": "# HELP s S.\n# TYPE s summary\ns_sum 1\ns_count 1.5\n",
    "histogram without +Inf": "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                              "h_sum 1\nh_count 1\n",
    "no final newline": "# HELP a A.\n# TYPE a gauge\na 1",
    "carriage return": "# HELP a A.\r\n# TYPE a gauge\r\na 1\r\n",
    "bad HELP escape": "# HELP a A \\t.\n# TYPE a gauge\na 1\n",
    "unterminated labels": '# HELP a A.\n# TYPE a gauge\na{x="1" 1\n',
}


def self_test():
    bad = 0
    for i, text in enumerate(GOOD):
        errs, _ = check_text(text)
        if errs:
            print(f"self-test: good case {i} rejected: {errs}")
            bad += 1
    for what, text in BAD.items():
        errs, _ = check_text(text)
        if not errs:
            print(f"self-test: broken text accepted: {what}")
            bad += 1
    print(f"self-test: {len(GOOD)} good, {len(BAD)} broken cases; {bad} wrong")
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) < 2:
        print(__doc__)
        return 2
    rc = 0
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            errs, fams = check_text(f.read())
        for e in errs:
            print(f"{path}:{e}")
        if errs:
            rc = 1
        else:
            print(f"{path}: ok, {len(fams)} families, "
                  f"{sum(len(s) for s in fams.values())} samples")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
