#!/bin/sh
# audit: 0 when equal, 1 when not; what drifted in words first (rules missing, extra or
# changed with their flow, elements per set, chain policy, extra sets), then a tight diff
# (3 lines of context per hunk); --json says the same; DNS-fed sets' elements are ignored
# when no agent runs.
. tests/netns/lib.sh

"$FGNL" apply sample >/dev/null
"$FGNL" audit sample >/dev/null && ok "clean after apply" || fail "not clean"
nft add element inet flowguard dns_v4 '{ 203.0.113.5 timeout 1m }'
out=$("$FGNL" audit sample)
[ $? = 0 ] && ok "dynamic set elements ignored" || fail "dynamic elements: $out"
printf '%s\n' "$out" | grep -q '^DNS-fed sets: elements not compared: no agent runs' &&
	ok "says DNS-fed elements were not compared" || fail "no DNS note: $out"
nft add rule inet flowguard input tcp dport 22 accept
nft delete element inet flowguard ranges_v4 '{ 192.0.2.1 }'
out=$("$FGNL" audit sample)
rc=$?
[ $rc = 1 ] && ok "drift: exit 1" || fail "drift: rc $rc"
printf '%s\n' "$out" | grep -q '^+		tcp dport 22 accept$' && ok "diff shows the added rule" ||
	fail "added rule not shown: $out"
printf '%s\n' "$out" | grep -q '^-.*192.0.2.1 comment "one host"' && ok "diff shows the deleted element" ||
	fail "deleted element not shown: $out"

# In words, before the diff.
words() { printf '%s\n' "$out" | sed -n '/^--- desired/q;p'; }
words | grep -qx 'flowguard: table inet flowguard drifted from the desired ruleset (2 changes):' &&
	ok "words: headline with the count" || fail "headline: $(words)"
words | grep -qxF "  set ranges_v4: 1 element missing: 192.0.2.1 ('one host')" &&
	ok "words: the set's missing element" || fail "element words: $(words)"
words | grep -qxF '  rule extra in chain input: tcp dport 22 accept' &&
	ok "words: the extra rule and its chain" || fail "rule words: $(words)"

# The diff is tight: one hunk per change, 3 lines of context, never the lines between.
hunks=$(printf '%s\n' "$out" | grep -c '^@@')
longest=$(printf '%s\n' "$out" | awk '/^@@/ { if (n > m) m = n; n = 0; h = 1; next }
	h && /^[-+ ]/ { n++ } END { if (n > m) m = n; print m + 0 }')
[ "$hunks" = 2 ] && [ "$longest" -le 7 ] && ok "diff: $hunks hunks, at most $longest lines each" ||
	fail "diff: $hunks hunks, longest $longest lines: $out"

# A rule changed in place (same comment, another port), a chain's policy, an extra set.
h=$(nft -a list chain inet flowguard input | sed -n 's/.*tcp dport 4118 .* # handle \([0-9]*\)$/\1/p')
nft replace rule inet flowguard input handle "$h" ip saddr @ranges_v4 tcp dport 4119 counter accept comment '"manager -> agent 4118/tcp"'
nft chain inet flowguard output '{ policy drop ; }'
nft add set inet flowguard stray '{ type ipv4_addr ; }'
out=$("$FGNL" audit sample)
words | grep -qxF '  rule changed in chain input: '"'manager -> agent 4118/tcp'"': plan: ip saddr @ranges_v4 tcp dport 4118 counter accept; kernel: ip saddr @ranges_v4 tcp dport 4119 counter accept' &&
	ok "words: a changed rule, both sides" || fail "changed rule: $(words)"
words | grep -qxF '  chain output: policy drop in the kernel, accept in the plan' &&
	ok "words: chain policy" || fail "policy: $(words)"
words | grep -qxF '  set stray extra' && ok "words: extra set" || fail "extra set: $(words)"

# --json: the same, for machines.
json=$("$FGNL" audit-json sample)
rc=$?
printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
kinds = sorted(c["kind"] for c in d["changes"])
assert d["in_sync"] is False and d["present"] is True, d
assert kinds == ["chain_policy", "elements_missing", "rule_changed", "rule_extra", "set_extra"], kinds
ch = [c for c in d["changes"] if c["kind"] == "rule_changed"][0]
assert ch["chain"] == "input" and ch["kernel_rule"].startswith("ip saddr @ranges_v4 tcp dport 4119"), ch
el = [c for c in d["changes"] if c["kind"] == "elements_missing"][0]
assert el["set"] == "ranges_v4" and el["elements"] == ["192.0.2.1"] and el["dns"] is False, el
assert d["diff"].startswith("--- desired"), d["diff"][:40]
assert d["dns_checked"] is False and d["agent"] is None
' && [ $rc = 1 ] && ok "--json: every change, kind and fields; exit 1" || fail "--json (rc $rc): $json"

nft delete table inet flowguard
out=$("$FGNL" audit sample)
[ $? = 1 ] && [ "$out" = "flowguard: table inet flowguard is missing" ] && ok "missing table: $out" ||
	fail "missing table: $out"
json=$("$FGNL" audit-json sample)
printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["present"] is False and d["changes"][0]["kind"] == "table_missing", d
' && ok "--json: table missing" || fail "--json missing table: $json"
finish
